"""`itsm serve`: the production web server (gunicorn), serving static files itself."""

import gc
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from gunicorn.app.base import BaseApplication


def _settle_memory(worker: Any) -> None:
    """Once a worker has loaded the application: move everything loaded so far (Django,
    the product's modules) out of the garbage collector's sight, and collect the young
    generation less often. Requests allocate many short-lived objects; without this each
    full collection walks the whole application again, which shows as p95 spikes."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from itsm.wsgi import application

        return application


class Command(BaseCommand):
    help = "Run the web server (gunicorn) on ITSM_BIND, default 127.0.0.1:8000."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--bind", default=settings.ITSM_BIND)
        parser.add_argument("--workers", type=int, default=settings.ITSM_WEB_WORKERS)
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        _Gunicorn(
            {
                "bind": options["bind"],
                "workers": options["workers"],
                "threads": options["threads"],
                "worker_class": "gthread",
                "keepalive": settings.ITSM_WEB_KEEPALIVE,
                "accesslog": "-",
                "timeout": 60,
                "post_worker_init": _settle_memory,
            }
        ).run()

"""`itsm worker`: runs queued background tasks and the periodic sweeps.

Sweeps are listed in settings.ITSM_PERIODIC_JOBS as (dotted path, interval in seconds). Every
sweep is idempotent, so any number of workers may run them."""

import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.module_loading import import_string


def run_sweeps(stop: threading.Event) -> None:
    jobs = [(import_string(path), interval) for path, interval in settings.ITSM_PERIODIC_JOBS]
    next_run = [0.0] * len(jobs)
    while not stop.is_set():
        for index, (job, interval) in enumerate(jobs):
            if time.monotonic() >= next_run[index]:
                close_old_connections()
                try:
                    job()
                finally:
                    next_run[index] = time.monotonic() + interval
        stop.wait(5)


class Command(BaseCommand):
    help = "Run background tasks and periodic sweeps (auto-close, …)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--no-sweeps", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if not options["no_sweeps"]:
            threading.Thread(target=run_sweeps, args=(stop,), daemon=True).start()
        try:
            call_command("db_worker", interval=2, reload=False)
        finally:
            stop.set()

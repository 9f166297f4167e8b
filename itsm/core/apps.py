from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "itsm.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Sign-ins are audited by signal receivers (core/signals.py).
        from itsm.core import signals  # noqa: F401

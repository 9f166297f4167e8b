from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "itsm.sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from itsm.sla.services import watch_configuration

        watch_configuration()

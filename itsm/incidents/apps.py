from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "itsm.incidents"
    verbose_name = _("Incident management")

    def ready(self) -> None:
        from itsm.incidents.search import register_incidents

        register_incidents()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "itsm.problems"
    verbose_name = _("Problem management")

    def ready(self) -> None:
        from itsm.problems.search import register_problems

        register_problems()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "itsm.knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from itsm.knowledge.search import register_articles

        register_articles()

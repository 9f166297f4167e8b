from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """Talking to the world outside: e-mail and chat robots (senders of notification
    deliveries, named in settings.ITSM_NOTIFICATION_SENDERS)."""

    name = "itsm.integrations"
    verbose_name = _("Integrations")

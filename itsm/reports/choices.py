from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ReportDimension(models.TextChoices):
    """What the SLA compliance report breaks each month down by."""

    SERVICE = "service", _("Service")
    DEPARTMENT = "department", _("Department")
    GROUP = "group", _("Support group")
    PRIORITY = "priority", _("Priority")
    KIND = "kind", _("Agreement kind")


class ReportMetric(models.TextChoices):
    """Which clocks the report counts: the response clocks, the resolution clocks, or both
    side by side. These labels name the clocks everywhere in the reports ("Resolution"
    alone also names the incident's resolution notes, hence the context)."""

    RESPONSE = "response", pgettext_lazy("SLA clock", "Response")
    RESOLUTION = "resolution", pgettext_lazy("SLA clock", "Resolution")
    BOTH = "both", pgettext_lazy("SLA clock", "Response and resolution")

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportDimension(models.TextChoices):
    """What the SLA compliance report breaks each month down by."""

    SERVICE = "service", _("Service")
    DEPARTMENT = "department", _("Department")
    GROUP = "group", _("Support group")
    PRIORITY = "priority", _("Priority")
    KIND = "kind", _("Agreement kind")


class ReportMetric(models.TextChoices):
    """Which clocks the report counts: the response clocks, the resolution clocks, or both
    side by side. These labels name the clocks everywhere in the reports."""

    RESPONSE = "response", _("Response target")
    RESOLUTION = "resolution", _("Resolution target")
    BOTH = "both", _("Both targets")

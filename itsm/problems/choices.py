from django.db import models
from django.utils.translation import gettext_lazy as _


class ProblemStatus(models.TextChoices):
    NEW = "new", _("New")
    INVESTIGATING = "investigating", _("Under investigation")
    ROOT_CAUSE_KNOWN = "root_cause_known", _("Root cause known")
    KNOWN_ERROR = "known_error", _("Known error")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_PROBLEM_STATUSES = (
    ProblemStatus.NEW,
    ProblemStatus.INVESTIGATING,
    ProblemStatus.ROOT_CAUSE_KNOWN,
    ProblemStatus.KNOWN_ERROR,
)


class CauseCategory(models.TextChoices):
    SOFTWARE = "software", _("Software defect")
    CONFIGURATION = "configuration", _("Configuration")
    HARDWARE = "hardware", _("Hardware")
    NETWORK = "network", _("Network")
    CAPACITY = "capacity", _("Capacity")
    VENDOR = "vendor", _("Vendor")
    OPERATION = "operation", _("Operation")
    OTHER = "other", _("Other")


class TrendKind(models.TextChoices):
    """What the incidents of a proposed problem have in common."""

    CI = "ci", _("Same configuration item")
    SERVICE = "service", _("Same service")
    CATEGORY = "category", _("Same incident category")


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")

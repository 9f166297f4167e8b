from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core.choices import TicketPendingReason


class IncidentStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    PENDING = "pending", _("Pending")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (
    IncidentStatus.NEW,
    IncidentStatus.ASSIGNED,
    IncidentStatus.IN_PROGRESS,
    IncidentStatus.PENDING,
)


class IncidentKind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    CONSULTATION = "consultation", _("Consultation")
    SERVICE_REQUEST = "service_request", _("Service request")


class IncidentChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("E-mail")
    MONITORING = "monitoring", _("Monitoring")
    API = "api", _("API")


# Pending reasons are shared by every ticket: agreements choose which pause the clocks.
IncidentPendingReason = TicketPendingReason


class IncidentResolutionCode(models.TextChoices):
    FIXED = "fixed", _("Fixed")
    WORKAROUND = "workaround", _("Workaround applied")
    HARDWARE_REPLACED = "hardware_replaced", _("Hardware replaced")
    USER_GUIDED = "user_guided", _("User guided / trained")
    ANSWERED = "answered", _("Question answered")
    REQUEST_FULFILLED = "request_fulfilled", _("Request fulfilled")
    NOT_REPRODUCIBLE = "not_reproducible", _("Could not reproduce")
    DUPLICATE = "duplicate", _("Duplicate")
    SOLVED_BY_KB = "solved_by_kb", _("Solved by a knowledge article")


class IncidentRoutingKind(models.TextChoices):
    ASSIGN = "assign", _("Assigned")
    ESCALATE = "escalate", _("Escalated")
    REASSIGN = "reassign", _("Reassigned")

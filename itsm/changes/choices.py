from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeType(models.TextChoices):
    """ITIL's three kinds of change: a standard change follows a pre-approved template and
    needs no CAB; a normal change is assessed and approved; an emergency change may be
    implemented first and approved by the emergency CAB after the fact."""

    STANDARD = "standard", _("Standard")
    NORMAL = "normal", _("Normal")
    EMERGENCY = "emergency", _("Emergency")


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ASSESSMENT = "assessment", _("Under assessment")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    IMPLEMENTING = "implementing", _("Implementing")
    IMPLEMENTED = "implemented", _("Implemented")
    FAILED = "failed", _("Implementation failed")
    BACKED_OUT = "backed_out", _("Backed out")
    REVIEW = "review", _("Under review")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


# Before implementation: the plan may still be edited and the change cancelled.
PLANNING_STATUSES = (
    ChangeStatus.DRAFT,
    ChangeStatus.SUBMITTED,
    ChangeStatus.ASSESSMENT,
    ChangeStatus.AWAITING_APPROVAL,
    ChangeStatus.APPROVED,
    ChangeStatus.SCHEDULED,
)
OPEN_CHANGE_STATUSES = (
    *PLANNING_STATUSES,
    ChangeStatus.IMPLEMENTING,
    ChangeStatus.IMPLEMENTED,
    ChangeStatus.FAILED,
    ChangeStatus.BACKED_OUT,
    ChangeStatus.REVIEW,
)
# Statuses a change may be implemented from without approval: only emergency changes.
BEFORE_APPROVAL_STATUSES = (
    ChangeStatus.SUBMITTED,
    ChangeStatus.ASSESSMENT,
    ChangeStatus.AWAITING_APPROVAL,
)


class ChangeOutcome(models.TextChoices):
    SUCCESSFUL = "successful", _("Successful")
    FAILED = "failed", _("Implementation failed")
    BACKED_OUT = "backed_out", _("Backed out")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class BoardKind(models.TextChoices):
    CAB = "cab", _("Change advisory board (CAB)")
    EMERGENCY = "ecab", _("Emergency CAB (ECAB)")


class ApprovalStepKind(models.TextChoices):
    CHANGE_MANAGER = "change_manager", _("Change manager")
    CAB = "cab", _("CAB")
    EMERGENCY_CAB = "ecab", _("Emergency CAB")


class ApprovalStepStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ApprovalDecision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


class ChangeTaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class BlackoutKind(models.TextChoices):
    """A recurring window repeats on some weekdays between two local times (the outpatient
    morning peak); a dated window runs from one moment to another (the Spring Festival
    week, an inspection week)."""

    RECURRING = "recurring", _("Recurring")
    DATED = "dated", _("Dated")


class CmdbUpdateKind(models.TextChoices):
    """The CMDB updates a change declares, applied when it is implemented successfully."""

    CREATE = "create", _("New configuration item")
    SET_ATTRIBUTES = "set_attributes", _("Attribute values")
    RELATE = "relate", _("Add a relationship")
    UNRELATE = "unrelate", _("Remove a relationship")
    RETIRE = "retire", _("Retire the item")


class ConflictKind(models.TextChoices):
    """What a change's planned window collides with (see `itsm.changes.calendar`)."""

    BLACKOUT = "blackout", _("Blackout window")
    SAME_ITEM = "same_item", _("Same configuration item")
    RELATED_ITEM = "related_item", _("Related configuration item")
    IMPLEMENTER = "implementer", _("Implementer booked twice")

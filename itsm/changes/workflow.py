"""The change lifecycle: draft → submitted → assessment → awaiting_approval → approved →
scheduled → implementing → implemented → review → closed, with rejected, cancelled, and
failed / backed_out as outcomes of implementing. Standard changes skip assessment and
approval (submitted → scheduled); emergency changes may be implemented before approval
and are approved by the emergency CAB after the fact, with a mandatory review. Drawn in
docs/processes/changes.md."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.changes.choices import (
    BEFORE_APPROVAL_STATUSES,
    PLANNING_STATUSES,
    ApprovalStepKind,
    ApprovalStepStatus,
    ChangeOutcome,
    ChangeStatus,
    ChangeTaskStatus,
    ChangeType,
)
from itsm.changes.forms import CloseForm, CompleteForm, OutcomeForm, ReasonForm, ScheduleForm
from itsm.changes.models import ApprovalStep, Change, RiskQuestion
from itsm.changes.scheduling import check_schedule, window_errors
from itsm.core.workflow import Transition, Workflow

S = ChangeStatus


# Guards (403) ---------------------------------------------------------------------------


def is_routed_to_actor(change: Change, actor: Any) -> str | None:
    """The hospital's own IT staff work any change; a back-line engineer only those of his
    groups, or that he implements or requested."""
    if actor.has_perm("incidents.view_all_incidents"):
        return None
    if change.assignment_group_id and change.assignment_group_id in actor.group_ids():
        return None
    if actor.pk is not None and actor.pk in (change.implementer_id, change.requester_id):
        return None
    return _("This change is not with one of your groups.")


# Conditions (409) -----------------------------------------------------------------------


def is_ready_to_submit(change: Change, actor: Any) -> str | None:
    """An RFC is submitted with its reason, plans and a window that has not begun
    (an emergency change may be under way already)."""
    missing = [
        str(Change._meta.get_field(name).verbose_name)  # type: ignore[union-attr]
        for name in ("reason", "implementation_plan", "backout_plan")
        if not getattr(change, name).strip()
    ]
    if change.planned_start is None or change.planned_end is None:
        missing.append(_("planned start and end"))
    if missing:
        return _("Complete the request first: %(fields)s.") % {"fields": ", ".join(missing)}
    errors = window_errors(change.planned_start, change.planned_end, allow_past=change.is_emergency)
    if errors:
        return " ".join(errors.values())
    return None


def is_not_standard(change: Change, actor: Any) -> str | None:
    if change.change_type == ChangeType.STANDARD:
        return _("A standard change is pre-approved: schedule it.")
    return None


def is_ready_for_approval(change: Change, actor: Any) -> str | None:
    """A normal change is assessed (its risk questionnaire answered) before it is sent
    for approval; an emergency change may be sent straight from submitted."""
    reason = is_not_standard(change, actor)
    if reason:
        return reason
    if change.is_emergency:
        return None
    if change.status != S.ASSESSMENT:
        return _("A normal change is assessed before it is sent for approval.")
    if change.risk_level == "" or change.risk_answers.count() < (
        RiskQuestion.objects.filter(active=True).count()
    ):
        return _("Answer the risk questionnaire first.")
    return None


def _step_statuses(change: Change) -> list[str]:
    return list(
        ApprovalStep.objects.filter(change=change)
        .order_by("position")
        .values_list("status", flat=True)
    )


def is_fully_approved(change: Change, actor: Any) -> str | None:
    statuses = _step_statuses(change)
    if not statuses or any(s != ApprovalStepStatus.APPROVED for s in statuses):
        return _("Not every approval step has approved the change yet.")
    return None


def is_rejected_by_a_step(change: Change, actor: Any) -> str | None:
    if ApprovalStepStatus.REJECTED not in _step_statuses(change):
        return _("No approval step has rejected the change.")
    return None


def is_approved_or_standard(change: Change, actor: Any) -> str | None:
    if change.status == S.SUBMITTED and change.change_type != ChangeType.STANDARD:
        return _("Only a standard change is scheduled without approval.")
    return None


def may_be_implemented(change: Change, actor: Any) -> str | None:
    """Normal and standard changes are implemented once scheduled; an emergency change
    may be implemented before it is approved."""
    if change.is_emergency or change.status == S.SCHEDULED:
        return None
    if change.status in BEFORE_APPROVAL_STATUSES:
        return _(
            "This change is not approved yet: only an emergency change may be implemented "
            "before approval."
        )
    return _("Schedule the change before implementing it.")


def has_no_open_tasks(change: Change, actor: Any) -> str | None:
    if change.tasks.filter(status=ChangeTaskStatus.OPEN).exists():
        return _("Finish or cancel the open implementation tasks first.")
    return None


def is_ready_to_close(change: Change, actor: Any) -> str | None:
    """Failed, backed-out and emergency changes are closed after their review; an
    emergency change also needs the emergency CAB's decision."""
    if change.review_required and change.status != S.REVIEW:
        return _("This change needs a post-implementation review before it is closed.")
    if change.is_emergency and ApprovalStepStatus.PENDING in _step_statuses(change):
        return _("The emergency CAB has not decided on this change yet.")
    return None


# Actions ---------------------------------------------------------------------------------


def set_schedule(change: Change, *, actor: Any, data: dict[str, Any]) -> None:
    if data.get("planned_start"):
        change.planned_start = data["planned_start"]
    if data.get("planned_end"):
        change.planned_end = data["planned_end"]
    check_schedule(change, actor=actor, data=data)


def start_implementation(change: Change, *, actor: Any, data: dict[str, Any]) -> None:
    change.actual_start = timezone.now()
    if change.implementer_id is None and actor.pk is not None:
        change.implementer = actor


def _finish(outcome: str) -> Any:
    def finish(change: Change, *, actor: Any, data: dict[str, Any]) -> None:
        change.outcome = outcome
        change.outcome_notes = data.get("note", "")
        change.actual_end = timezone.now()

    finish.__doc__ = "Record the outcome (%s) and the actual end." % outcome
    return finish


def set_review(change: Change, *, actor: Any, data: dict[str, Any]) -> None:
    notes = (data.get("review_notes") or "").strip()
    if notes:
        change.review_notes = notes
    if change.review_required and not change.review_notes.strip():
        raise ValidationError(
            {
                "review_notes": _(
                    "Failed, backed-out and emergency changes are closed with their "
                    "post-implementation review."
                )
            }
        )


def build_approval_path(change: Change, *, actor: Any, data: dict[str, Any]) -> None:
    # Imported here: the approval path lives with the approval services, which take
    # transitions themselves.
    from itsm.changes.approvals import open_approval_steps

    open_approval_steps(change, actor=actor)


def open_emergency_approval(change: Change, *, actor: Any, data: dict[str, Any]) -> None:
    """An emergency change asks the emergency CAB as soon as it is submitted, so that it
    may approve before or after the work."""
    if change.is_emergency:
        build_approval_path(change, actor=actor, data=data)


def notify_outcome(change: Change, *, actor: Any, data: dict[str, Any]) -> None:
    from itsm.changes.approvals import notify_change

    notify_change(change, gettext_lazy("%(number)s: %(status)s"))


def may_update_cmdb(change: Change, actor: Any) -> str | None:
    from itsm.changes.cmdb_updates import may_apply_cmdb_updates

    return may_apply_cmdb_updates(change, actor)


def apply_declared_cmdb_updates(change: Change, *, actor: Any, data: dict[str, Any]) -> None:
    """Apply the CMDB updates the change declared, with its number; one that cannot be
    applied refuses the transition (409) and nothing is written."""
    from itsm.changes.cmdb_updates import apply_cmdb_updates

    apply_cmdb_updates(change, actor=actor)


def record_planned_downtime(change: Change, *, actor: Any, data: dict[str, Any]) -> None:
    """The expected downtime, as a planned outage of the affected services."""
    from itsm.changes.cmdb_updates import record_change_outage

    record_change_outage(change, actor=actor)


CHANGE_WORKFLOW: Workflow[Change] = Workflow(
    initial=S.DRAFT,
    timestamps={
        S.SUBMITTED: "submitted_at",
        S.APPROVED: "approved_at",
        S.IMPLEMENTED: "resolved_at",
        S.CLOSED: "closed_at",
        S.REJECTED: "closed_at",
        S.CANCELLED: "closed_at",
    },
    transitions=(
        Transition(
            "submit",
            gettext_lazy("Submit"),
            (S.DRAFT,),
            S.SUBMITTED,
            "changes.change_change",
            guards=(is_routed_to_actor,),
            conditions=(is_ready_to_submit,),
            effects=(open_emergency_approval,),
            style="primary",
        ),
        Transition(
            "assess",
            gettext_lazy("Start assessment"),
            (S.SUBMITTED,),
            S.ASSESSMENT,
            "changes.manage_change",
            conditions=(is_not_standard,),
            style="primary",
        ),
        Transition(
            "request_approval",
            gettext_lazy("Send for approval"),
            (S.SUBMITTED, S.ASSESSMENT),
            S.AWAITING_APPROVAL,
            "changes.manage_change",
            conditions=(is_ready_for_approval,),
            effects=(build_approval_path,),
            style="primary",
        ),
        Transition(
            "approve",
            gettext_lazy("Approved"),
            BEFORE_APPROVAL_STATUSES,
            S.APPROVED,
            "changes.view_change",
            conditions=(is_fully_approved,),
            effects=(notify_outcome,),
            style="success",
        ),
        Transition(
            "reject",
            gettext_lazy("Rejected"),
            BEFORE_APPROVAL_STATUSES,
            S.REJECTED,
            "changes.view_change",
            conditions=(is_rejected_by_a_step,),
            effects=(notify_outcome,),
            style="danger",
        ),
        Transition(
            "schedule",
            gettext_lazy("Schedule"),
            (S.SUBMITTED, S.APPROVED),
            S.SCHEDULED,
            "changes.change_change",
            form=ScheduleForm,
            guards=(is_routed_to_actor,),
            conditions=(is_approved_or_standard,),
            action=set_schedule,
            style="primary",
        ),
        Transition(
            "start",
            gettext_lazy("Start implementation"),
            (S.SUBMITTED, S.ASSESSMENT, S.AWAITING_APPROVAL, S.APPROVED, S.SCHEDULED),
            S.IMPLEMENTING,
            "changes.change_change",
            guards=(is_routed_to_actor,),
            conditions=(may_be_implemented,),
            action=start_implementation,
            style="warning",
        ),
        Transition(
            "complete",
            gettext_lazy("Implemented successfully"),
            (S.IMPLEMENTING,),
            S.IMPLEMENTED,
            "changes.change_change",
            form=CompleteForm,
            guards=(is_routed_to_actor, may_update_cmdb),
            conditions=(has_no_open_tasks,),
            action=_finish(ChangeOutcome.SUCCESSFUL),
            effects=(apply_declared_cmdb_updates, record_planned_downtime),
            style="success",
        ),
        Transition(
            "fail",
            gettext_lazy("Implementation failed"),
            (S.IMPLEMENTING,),
            S.FAILED,
            "changes.change_change",
            form=OutcomeForm,
            guards=(is_routed_to_actor,),
            action=_finish(ChangeOutcome.FAILED),
            effects=(record_planned_downtime, notify_outcome),
            style="danger",
        ),
        Transition(
            "back_out",
            gettext_lazy("Backed out"),
            (S.IMPLEMENTING,),
            S.BACKED_OUT,
            "changes.change_change",
            form=OutcomeForm,
            guards=(is_routed_to_actor,),
            action=_finish(ChangeOutcome.BACKED_OUT),
            effects=(record_planned_downtime, notify_outcome),
            style="warning",
        ),
        Transition(
            "review",
            gettext_lazy("Start review"),
            (S.IMPLEMENTED, S.FAILED, S.BACKED_OUT),
            S.REVIEW,
            "changes.manage_change",
            style="primary",
        ),
        Transition(
            "close",
            gettext_lazy("Close"),
            (S.IMPLEMENTED, S.REVIEW),
            S.CLOSED,
            "changes.manage_change",
            form=CloseForm,
            conditions=(is_ready_to_close,),
            action=set_review,
            style="success",
        ),
        Transition(
            "cancel",
            gettext_lazy("Cancel"),
            PLANNING_STATUSES,
            S.CANCELLED,
            "changes.change_change",
            form=ReasonForm,
            guards=(is_routed_to_actor,),
            style="danger",
        ),
    ),
)

# The approval kinds each change type's path may hold, for the docs and tests.
APPROVAL_KINDS = {
    ChangeType.STANDARD: (),
    ChangeType.NORMAL: (ApprovalStepKind.CHANGE_MANAGER, ApprovalStepKind.CAB),
    ChangeType.EMERGENCY: (ApprovalStepKind.EMERGENCY_CAB,),
}

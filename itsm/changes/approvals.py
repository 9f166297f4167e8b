"""Change approval: the path a change takes (by type, risk and impact) and each approver's
decision. Service verbs like those of `services.py`, kept apart because the workflow's
effects open the path: atomic, audited on the change in the same transaction.

The path:
- standard change: none (its template was approved once);
- normal change: the change manager; then the CAB, with its quorum, when the risk is
  medium or high or the impact is high (a critical or high-criticality service affected);
- emergency change: the emergency CAB, before or after the work.

Steps are decided in order; one rejection rejects the step and the change, `required`
approvals approve the step, and the last step approved approves the change."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.accounts.models import User
from itsm.changes.calendar import conflicts_of
from itsm.changes.choices import (
    BEFORE_APPROVAL_STATUSES,
    ApprovalDecision,
    ApprovalStepKind,
    ApprovalStepStatus,
    BoardKind,
    ChangeStatus,
    ChangeType,
    RiskLevel,
)
from itsm.changes.models import AdvisoryBoard, Approval, ApprovalStep, Change
from itsm.core.choices import TicketImpact
from itsm.core.exceptions import ConflictError
from itsm.core.services import notify, write_audit

# Statuses in which an emergency change's after-the-fact approval is still taken.
FINISHED_STATUSES = (ChangeStatus.CLOSED, ChangeStatus.CANCELLED, ChangeStatus.REJECTED)


def change_managers() -> list[User]:
    """The active users with the change manager's permission, by role or of their own."""
    permission = Permission.objects.filter(
        content_type__app_label="changes", codename="manage_change"
    ).first()
    users = User.objects.filter(is_active=True)
    return list(
        users.filter(
            Q(is_superuser=True)
            | Q(groups__permissions=permission)
            | Q(user_permissions=permission)
        )
        .distinct()
        .order_by("username")
    )


def needs_cab(change: Change) -> bool:
    return change.risk_level in (RiskLevel.MEDIUM, RiskLevel.HIGH) or (
        change.impact == TicketImpact.HIGH
    )


def active_board(kind: str) -> AdvisoryBoard:
    board = AdvisoryBoard.objects.filter(kind=kind, active=True).order_by("pk").first()
    if board is None:
        raise ConflictError(
            _("No active %(board)s is configured: an administrator sets one up.")
            % {"board": BoardKind(kind).label}
        )
    return board


def open_approval_steps(change: Change, *, actor: Any) -> list[ApprovalStep]:
    """Create the change's approval steps, once: a change that has them keeps them. The
    change manager's step leaves out the requester: nobody approves his own change."""
    if change.approval_steps.exists() or change.change_type == ChangeType.STANDARD:
        return []
    plan: list[tuple[str, AdvisoryBoard | None]] = []
    if change.is_emergency:
        plan.append((ApprovalStepKind.EMERGENCY_CAB, active_board(BoardKind.EMERGENCY)))
    else:
        plan.append((ApprovalStepKind.CHANGE_MANAGER, None))
        if needs_cab(change):
            plan.append((ApprovalStepKind.CAB, active_board(BoardKind.CAB)))
    steps: list[ApprovalStep] = []
    for position, (kind, board) in enumerate(plan, start=1):
        if board is None:
            approvers = [u for u in change_managers() if u.pk != change.requester_id]
            required = 1
        else:
            approvers = list(board.members.filter(is_active=True).order_by("username"))
            required = board.quorum
        if len(approvers) < required:
            raise ConflictError(
                _("Not enough approvers for the step “%(step)s”: %(count)d of %(required)d.")
                % {
                    "step": ApprovalStepKind(kind).label,
                    "count": len(approvers),
                    "required": required,
                }
            )
        step = ApprovalStep.objects.create(
            change=change, position=position, kind=kind, board=board, required=required
        )
        step.approvers.set(approvers)
        steps.append(step)
    write_audit(
        change,
        actor=actor,
        action="approval_path",
        changes={"approval_path": [[], [s.kind for s in steps]]},
    )
    if steps:
        _ask(steps[0])
    return steps


def _ask(step: ApprovalStep) -> None:
    change = step.change
    notify(
        list(step.approvers.all()),
        change,
        gettext_lazy("Your approval is asked: %(number)s %(title)s"),
        params={"number": change.number, "title": change.title},
    )


def notify_change(change: Change, message: str | Promise) -> None:
    """Tell the requester and the implementer what became of the change."""
    people = [u for u in (change.requester, change.implementer) if u is not None]
    notify(
        people,
        change,
        message,
        params={"number": change.number, "status": ChangeStatus(change.status).label},
        groups=[change.assignment_group] if change.assignment_group_id else [],
    )


def current_step(change: Change) -> ApprovalStep | None:
    """The first step not decided yet: the one approvers act on now."""
    return (
        change.approval_steps.filter(status=ApprovalStepStatus.PENDING).order_by("position").first()
    )


def can_decide(change: Change, user: Any) -> bool:
    """Whether the UI offers this user the approve and reject buttons."""
    step = current_step(change)
    return (
        step is not None
        and _takes_decisions(change)
        and step.approvers.filter(pk=user.pk).exists()
        and not step.approvals.filter(approver=user).exists()
    )


def _takes_decisions(change: Change) -> bool:
    if change.is_emergency:
        return change.status not in FINISHED_STATUSES
    return change.status in BEFORE_APPROVAL_STATUSES


def decide_change(change: Change, *, actor: Any, decision: str, comment: str = "") -> Approval:
    """Record one approver's decision on the change's current step, with his comment.

    Refused, with nothing written: a change not waiting for approval (409), an actor who is
    not an approver of the current step (403; 409 if his step comes later), a second
    decision by the same approver (409), a rejection without a reason (400). The step is
    approved when `required` approvers approved, rejected at the first rejection; the
    change follows (approved when its last step is, rejected when a step is) — except an
    emergency change already under way, whose after-the-fact decision is recorded."""
    from itsm.changes.workflow import CHANGE_WORKFLOW
    from itsm.core.workflow import apply_transition

    if decision not in ApprovalDecision.values:
        raise ValidationError({"decision": _("Approve or reject.")})
    comment = (comment or "").strip()
    if decision == ApprovalDecision.REJECT and not comment:
        raise ValidationError({"comment": _("Say why you reject the change.")})
    with transaction.atomic():
        locked = Change.objects.select_for_update().get(pk=change.pk)
        if not _takes_decisions(locked):
            raise ConflictError(_("This change is not waiting for approval."))
        steps = list(
            ApprovalStep.objects.select_for_update().filter(change=locked).order_by("position")
        )
        pending = [s for s in steps if s.status == ApprovalStepStatus.PENDING]
        if not pending:
            raise ConflictError(_("No approval is pending on this change."))
        step = pending[0]
        if not step.approvers.filter(pk=actor.pk).exists():
            if any(s.approvers.filter(pk=actor.pk).exists() for s in pending[1:]):
                raise ConflictError(_("The previous approval step is not decided yet."))
            raise PermissionDenied(_("You are not an approver of this step."))
        if step.approvals.filter(approver=actor).exists():
            raise ConflictError(_("You have already decided on this step."))
        approval = Approval.objects.create(
            step=step, approver=actor, decision=decision, comment=comment
        )
        before = step.status
        if decision == ApprovalDecision.REJECT:
            step.status = ApprovalStepStatus.REJECTED
        elif step.approvals.filter(decision=ApprovalDecision.APPROVE).count() >= step.required:
            step.status = ApprovalStepStatus.APPROVED
        changes: dict[str, list[Any]] = {"approval": [None, "%s:%s" % (step.kind, decision)]}
        if decision == ApprovalDecision.APPROVE:
            # The approver decides knowing the calendar's warnings; they never block.
            warnings = [c.reason for c in conflicts_of(locked)]
            if warnings:
                changes["conflicts"] = [None, warnings]
        if step.status != before:
            step.decided_at = timezone.now()
            step.save(update_fields=["status", "decided_at"])
            changes["step_%d" % step.position] = [before, step.status]
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save(update_fields=["version", "updated_at"])
        write_audit(
            locked, actor=actor, action="approval:%s" % decision, changes=changes, note=comment
        )
        if step.status == ApprovalStepStatus.REJECTED:
            if locked.status in BEFORE_APPROVAL_STATUSES:
                apply_transition(locked, CHANGE_WORKFLOW, "reject", actor=actor)
            else:
                notify_change(
                    locked,
                    gettext_lazy("%(number)s was rejected by the emergency CAB after the fact"),
                )
        elif step.status == ApprovalStepStatus.APPROVED:
            following = pending[1:]
            if following:
                _ask(following[0])
            elif locked.status in BEFORE_APPROVAL_STATUSES:
                apply_transition(locked, CHANGE_WORKFLOW, "approve", actor=actor)
    return approval

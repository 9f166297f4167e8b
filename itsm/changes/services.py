"""Service verbs of change management. The change pages, the API and the demo data call
these; each is atomic and audited on the change in the same transaction. The approval
verbs are in `approvals.py`; the schedule's rules in `scheduling.py`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.changes.approvals import decide_change
from itsm.changes.choices import (
    PLANNING_STATUSES,
    ApprovalDecision,
    ChangeOutcome,
    ChangeStatus,
    ChangeTaskStatus,
    ChangeType,
    RiskLevel,
)
from itsm.changes.impact import impact_of_change
from itsm.changes.models import (
    Approval,
    Change,
    ChangeIncident,
    ChangeTask,
    ChangeTemplate,
    RiskAnswer,
    RiskChoice,
    RiskQuestion,
)
from itsm.changes.scheduling import check_window
from itsm.changes.workflow import CHANGE_WORKFLOW, is_routed_to_actor
from itsm.cmdb.choices import Criticality
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.choices import TicketImpact
from itsm.core.exceptions import ConflictError
from itsm.core.services import (
    compute_priority,
    diff,
    lock_version,
    next_number,
    save_version,
    write_audit,
)
from itsm.core.workflow import apply_transition
from itsm.incidents.models import Incident
from itsm.problems.models import Problem
from itsm.problems.services import update_problem

# The plan: edited while the change is prepared and assessed, frozen once it goes to the
# approvers (what they approved is what is done).
PLAN_FIELDS = (
    "title",
    "description",
    "reason",
    "urgency",
    "service",
    "planned_start",
    "planned_end",
    "downtime_expected",
    "downtime_minutes",
    "implementation_plan",
    "backout_plan",
    "test_plan",
)
# Who does it: may change until the change is finished.
STAFFING_FIELDS = ("assignment_group", "assignee", "implementer")
EDITABLE_FIELDS = (*PLAN_FIELDS, "change_type", *STAFFING_FIELDS)
RELATION_SETS = ("configuration_items",)
PLAN_EDIT_STATUSES = (ChangeStatus.DRAFT, ChangeStatus.SUBMITTED, ChangeStatus.ASSESSMENT)
STAFFING_EDIT_STATUSES = (
    *PLANNING_STATUSES,
    ChangeStatus.IMPLEMENTING,
    ChangeStatus.IMPLEMENTED,
    ChangeStatus.FAILED,
    ChangeStatus.BACKED_OUT,
    ChangeStatus.REVIEW,
)


# Impact from the CMDB -------------------------------------------------------------------


def impact_from_services(services: list[Service]) -> int:
    """A critical or high-criticality service makes a high impact, a medium one a medium
    impact; otherwise (or with no service) the impact is low."""
    most = min((s.criticality for s in services), default=Criticality.LOW)
    if most <= Criticality.HIGH:
        return TicketImpact.HIGH
    if most == Criticality.MEDIUM:
        return TicketImpact.MEDIUM
    return TicketImpact.LOW


def _apply_impact(change: Change, items: list[ConfigurationItem] | None = None) -> None:
    change.impact = impact_from_services(impact_of_change(change, items).services)
    change.priority = compute_priority(change.impact, change.urgency)


# Raising and editing --------------------------------------------------------------------


def _check_can_work(change: Change, actor: Any) -> None:
    if not actor.has_perm("changes.change_change"):
        raise PermissionDenied(_("You may not edit changes."))
    refusal = is_routed_to_actor(change, actor)
    if refusal:
        raise PermissionDenied(refusal)


def _set_items(change: Change, values: Any) -> dict[str, list[Any]]:
    if values is None:
        return {}
    old = sorted(change.configuration_items.values_list("pk", flat=True))
    new = sorted(v.pk for v in values)
    if old == new:
        return {}
    change.configuration_items.set(values)
    return {"configuration_items": [old, new]}


@transaction.atomic
def raise_change(data: Mapping[str, Any], *, actor: Any) -> Change:
    """Raise a normal or emergency change (a draft). Standard changes come from a template
    (`raise_standard_change`). The impact follows from the affected items' services, the
    priority from impact × urgency. A window that ends before it starts, or starts in the
    past, is refused (400)."""
    if not actor.has_perm("changes.add_change"):
        raise PermissionDenied(_("You may not raise changes."))
    if data.get("change_type") == ChangeType.STANDARD:
        raise ValidationError(
            {"change_type": _("A standard change is raised from a pre-approved template.")}
        )
    fields = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    change = Change(**fields, requester=actor)
    items = list(data.get("configuration_items") or [])
    _apply_impact(change, items)
    change.full_clean(exclude=("number", "status", "requester"))
    check_window(change.planned_start, change.planned_end, allow_past=change.is_emergency)
    change.number = next_number(Change.NUMBER_PREFIX)
    change.status = CHANGE_WORKFLOW.initial
    change.save()
    changes = diff({}, change.field_snapshot())
    changes.update(_set_items(change, items))
    write_audit(change, actor=actor, action="create", changes=changes)
    return change


@transaction.atomic
def raise_standard_change(
    template: ChangeTemplate, data: Mapping[str, Any], *, actor: Any
) -> Change:
    """Raise a standard change from a pre-approved template: its plans, downtime, group and
    items are the template's; the window starts at `planned_start` and lasts the
    template's usual duration. Needs no CAB: submitted, it is scheduled directly."""
    if not actor.has_perm("changes.add_change"):
        raise PermissionDenied(_("You may not raise changes."))
    if not template.active:
        raise ValidationError({"template": _("This template is retired.")})
    start = data.get("planned_start")
    if start is None:
        raise ValidationError({"planned_start": _("Give the planned start.")})
    check_window(start, None)
    change = Change(
        title=data.get("title") or template.name,
        change_type=ChangeType.STANDARD,
        template=template,
        description=template.description,
        reason=template.reason,
        implementation_plan=template.implementation_plan,
        backout_plan=template.backout_plan,
        test_plan=template.test_plan,
        downtime_expected=template.downtime_expected,
        downtime_minutes=template.downtime_minutes,
        service=template.service,
        assignment_group=template.assignment_group,
        implementer=data.get("implementer"),
        planned_start=start,
        planned_end=start + timedelta(minutes=template.duration_minutes),
        requester=actor,
    )
    items = list(data.get("configuration_items") or template.configuration_items.all())
    _apply_impact(change, items)
    change.full_clean(exclude=("number", "status", "requester"))
    change.number = next_number(Change.NUMBER_PREFIX)
    change.status = CHANGE_WORKFLOW.initial
    change.save()
    changes = diff({}, change.field_snapshot())
    changes.update(_set_items(change, items))
    write_audit(change, actor=actor, action="create", changes=changes, note=template.name)
    return change


def _differs(current: Any, given: Any) -> bool:
    """Whether an edit changes a value; times to the minute, as the form shows them."""
    if isinstance(current, datetime) and isinstance(given, datetime):
        return current.replace(second=0, microsecond=0) != given.replace(second=0, microsecond=0)
    return bool(current != given)


@transaction.atomic
def update_change(
    change: Change, changes: Mapping[str, Any], *, actor: Any, version: int
) -> Change:
    """Edit a change. The plan (window, plans, items, type) is edited until the change goes
    for approval; who does it, until it is finished (409 otherwise). Applies only if nobody
    changed the change since `version` was read (409)."""
    _check_can_work(change, actor)
    locked = lock_version(change, version)
    plan_open = locked.status in PLAN_EDIT_STATUSES
    if locked.status not in STAFFING_EDIT_STATUSES:
        raise ConflictError(_("A closed, rejected or cancelled change cannot be edited."))
    before = locked.field_snapshot()
    items = changes.get("configuration_items")
    frozen = []
    for name, value in changes.items():
        if name not in EDITABLE_FIELDS:
            continue
        if name in STAFFING_FIELDS or plan_open:
            setattr(locked, name, value)
        elif _differs(getattr(locked, name), value):
            frozen.append(name)
    if items is not None and not plan_open:
        current = sorted(locked.configuration_items.values_list("pk", flat=True))
        if current != sorted(i.pk for i in items):
            frozen.append("configuration_items")
        items = None
    if frozen:
        raise ConflictError(
            _("The plan of a change is frozen once it is sent for approval: %(fields)s.")
            % {"fields": ", ".join(frozen)}
        )
    if locked.change_type == ChangeType.STANDARD and before["change_type"] != ChangeType.STANDARD:
        raise ValidationError(
            {"change_type": _("A standard change is raised from a pre-approved template.")}
        )
    if before["change_type"] == ChangeType.STANDARD and locked.change_type != ChangeType.STANDARD:
        raise ValidationError({"change_type": _("A standard change stays standard.")})
    _apply_impact(locked, list(items) if items is not None else None)
    locked.full_clean(exclude=("number", "status", "requester"))
    window_moved = (
        before["planned_start"] != locked.planned_start
        or before["planned_end"] != locked.planned_end
    )
    if window_moved:
        check_window(locked.planned_start, locked.planned_end, allow_past=locked.is_emergency)
    changed = diff(before, locked.field_snapshot())
    changed.update(_set_items(locked, items))
    if not changed:
        return locked
    save_version(locked, changed)
    write_audit(locked, actor=actor, action="update", changes=changed)
    return locked


def transition_change(
    change: Change,
    name: str,
    *,
    actor: Any,
    data: Mapping[str, Any] | None = None,
    version: int | None = None,
) -> Change:
    saved: Change = apply_transition(
        change, CHANGE_WORKFLOW, name, actor=actor, data=dict(data or {}), version=version
    )
    return saved


def schedule_change(
    change: Change,
    *,
    actor: Any,
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    version: int | None = None,
) -> Change:
    """Put an approved (or standard) change on the schedule, optionally moving its window.
    The window's rules are `scheduling.check_schedule`, where the change calendar adds its
    conflict and blackout checks."""
    data: dict[str, Any] = {}
    if planned_start is not None:
        data["planned_start"] = planned_start.isoformat()
    if planned_end is not None:
        data["planned_end"] = planned_end.isoformat()
    return transition_change(change, "schedule", actor=actor, data=data, version=version)


# Risk -----------------------------------------------------------------------------------


def risk_level_for(score: int) -> str:
    from django.conf import settings

    if score >= settings.ITSM_CHANGE_RISK_HIGH:
        return RiskLevel.HIGH
    if score >= settings.ITSM_CHANGE_RISK_MEDIUM:
        return RiskLevel.MEDIUM
    return RiskLevel.LOW


@transaction.atomic
def assess_risk(
    change: Change, answers: Mapping[int, int], *, actor: Any, version: int | None = None
) -> Change:
    """Answer the risk questionnaire: `answers` maps each active question's id to the id of
    one of its choices. Every active question must be answered (400 per question); the
    score is the sum of the choices' scores, the level follows from the thresholds.
    Answered again, the answers are replaced. Only before the change goes for approval
    (409)."""
    _check_can_work(change, actor)
    locked = lock_version(change, version)
    if locked.status not in PLAN_EDIT_STATUSES:
        raise ConflictError(_("The risk is assessed before the change goes for approval."))
    questions = list(RiskQuestion.objects.filter(active=True).order_by("position", "pk"))
    choices = {c.pk: c for c in RiskChoice.objects.filter(question__in=questions)}
    errors: dict[str, str] = {}
    picked: list[RiskChoice] = []
    for question in questions:
        choice = choices.get(int(answers.get(question.pk) or 0))
        if choice is None or choice.question_id != question.pk:
            errors["q%d" % question.pk] = _("Answer this question.")
        else:
            picked.append(choice)
    unknown = set(map(int, answers)) - {q.pk for q in questions}
    for pk in sorted(unknown):
        errors["q%d" % pk] = _("There is no such active question.")
    if errors:
        raise ValidationError(errors)
    before = {"risk_score": locked.risk_score, "risk_level": locked.risk_level}
    RiskAnswer.objects.filter(change=locked).delete()
    RiskAnswer.objects.bulk_create(
        RiskAnswer(change=locked, question_id=c.question_id, choice=c, score=c.score)
        for c in picked
    )
    locked.risk_score = sum(c.score for c in picked)
    locked.risk_level = risk_level_for(locked.risk_score)
    changed = diff(before, {"risk_score": locked.risk_score, "risk_level": locked.risk_level})
    changed["answers"] = [None, {str(c.question_id): c.pk for c in picked}]
    save_version(locked, {"risk_score": 1, "risk_level": 1})
    write_audit(locked, actor=actor, action="assess_risk", changes=changed)
    return locked


# Approvals ------------------------------------------------------------------------------


def approve_change(change: Change, *, actor: Any, comment: str = "") -> Approval:
    """Approve the change's current step as one of its approvers."""
    return decide_change(change, actor=actor, decision=ApprovalDecision.APPROVE, comment=comment)


def reject_change(change: Change, *, actor: Any, comment: str) -> Approval:
    """Reject the change's current step (and so the change), with the reason."""
    return decide_change(change, actor=actor, decision=ApprovalDecision.REJECT, comment=comment)


# Implementation tasks -------------------------------------------------------------------


@transaction.atomic
def add_change_task(change: Change, data: Mapping[str, Any], *, actor: Any) -> ChangeTask:
    """Add an implementation task to an open change, assigned to one engineer."""
    _check_can_work(change, actor)
    locked = lock_version(change, None)
    if locked.status not in (*PLANNING_STATUSES, ChangeStatus.IMPLEMENTING):
        raise ConflictError(_("Tasks are added before or during the implementation."))
    position = (locked.tasks.order_by("-position").values_list("position", flat=True).first()) or 0
    task = ChangeTask(
        change=locked,
        position=position + 1,
        title=data.get("title", ""),
        description=data.get("description", ""),
        assignee=data.get("assignee"),
    )
    task.full_clean(exclude=("change",))
    task.save()
    save_version(locked, {})
    write_audit(
        locked,
        actor=actor,
        action="add_task",
        changes={"task": [None, task.title], "task_assignee": [None, task.assignee_id]},
        note=task.title,
    )
    return task


@transaction.atomic
def finish_change_task(
    task: ChangeTask, *, actor: Any, status: str = ChangeTaskStatus.DONE, notes: str = ""
) -> ChangeTask:
    """Mark a task done or cancelled: by its assignee, or by whoever works the change."""
    change = task.change
    if task.assignee_id != actor.pk:
        _check_can_work(change, actor)
    if status not in (ChangeTaskStatus.DONE, ChangeTaskStatus.CANCELLED):
        raise ValidationError({"status": _("A task is finished as done or cancelled.")})
    locked_change = lock_version(change, None)
    locked = ChangeTask.objects.select_for_update().get(pk=task.pk)
    if locked.status != ChangeTaskStatus.OPEN:
        raise ConflictError(_("This task is finished already."))
    if locked_change.status not in (*PLANNING_STATUSES, ChangeStatus.IMPLEMENTING):
        raise ConflictError(_("The change is no longer being implemented."))
    locked.status = status
    locked.notes = notes
    locked.done_at = timezone.now()
    locked.done_by = actor if getattr(actor, "pk", None) else None
    locked.save(update_fields=["status", "notes", "done_at", "done_by"])
    save_version(locked_change, {})
    write_audit(
        locked_change,
        actor=actor,
        action="finish_task",
        changes={"task": [locked.title, status]},
        note="%s: %s" % (locked.title, notes) if notes else locked.title,
    )
    return locked


# Links: problems fixed, incidents caused --------------------------------------------------


@transaction.atomic
def link_problem(change: Change, problem: Problem, *, actor: Any) -> None:
    """Record that the change fixes the problem. An open problem without a permanent-fix
    change gets this change's number, through the problems' own service (with its
    permission checks and audit)."""
    _check_can_work(change, actor)
    locked = lock_version(change, None)
    if locked.problems.filter(pk=problem.pk).exists():
        raise ConflictError(_("This problem is linked already."))
    locked.problems.add(problem)
    save_version(locked, {})
    write_audit(
        locked,
        actor=actor,
        action="link_problem",
        changes={"fixed_problems": [[], [problem.number]]},
    )
    if problem.is_open and not problem.change_number:
        update_problem(
            problem, {"change_number": locked.number}, actor=actor, version=problem.version
        )


@transaction.atomic
def unlink_problem(change: Change, problem: Problem, *, actor: Any) -> None:
    _check_can_work(change, actor)
    locked = lock_version(change, None)
    if not locked.problems.filter(pk=problem.pk).exists():
        raise ValidationError({"problem": _("This problem is not linked to the change.")})
    locked.problems.remove(problem)
    save_version(locked, {})
    write_audit(
        locked,
        actor=actor,
        action="unlink_problem",
        changes={"fixed_problems": [[problem.number], []]},
    )
    if problem.is_open and problem.change_number == locked.number:
        update_problem(problem, {"change_number": ""}, actor=actor, version=problem.version)


@transaction.atomic
def link_incident(
    change: Change, incident: Incident, *, actor: Any, note: str = ""
) -> ChangeIncident:
    """Record an incident the change caused. Only a change that has been carried out can
    cause one (409 before)."""
    _check_can_work(change, actor)
    locked = lock_version(change, None)
    if locked.actual_start is None:
        raise ConflictError(_("Only a change that has been carried out can cause incidents."))
    if ChangeIncident.objects.filter(change=locked, incident=incident).exists():
        raise ConflictError(_("This incident is linked already."))
    link = ChangeIncident.objects.create(
        change=locked,
        incident=incident,
        note=note,
        linked_by=actor if getattr(actor, "pk", None) else None,
    )
    save_version(locked, {})
    write_audit(
        locked,
        actor=actor,
        action="link_incident",
        changes={"induced_incidents": [[], [incident.number]]},
        note=note,
    )
    return link


@transaction.atomic
def unlink_incident(change: Change, incident: Incident, *, actor: Any) -> None:
    _check_can_work(change, actor)
    locked = lock_version(change, None)
    deleted, _rows = ChangeIncident.objects.filter(change=locked, incident=incident).delete()
    if not deleted:
        raise ValidationError({"incident": _("This incident is not linked to the change.")})
    save_version(locked, {})
    write_audit(
        locked,
        actor=actor,
        action="unlink_incident",
        changes={"induced_incidents": [[incident.number], []]},
    )


def find_by_number(model: Any, number: str, *, viewer: Any, field: str) -> Any:
    """A record the viewer can see, by its number (400 naming `field` when there is none)."""
    found = model.objects.visible_to(viewer).filter(number__iexact=number.strip()).first()
    if found is None:
        raise ValidationError({field: _("There is no %(number)s.") % {"number": number}})
    return found


# Report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthRow:
    """The changes finished in one month (by their actual end) and how they went."""

    month: date
    finished: int
    successful: int
    failed: int
    backed_out: int
    induced_incidents: int
    changes_with_incidents: int

    @property
    def success_rate(self) -> float | None:
        return round(100 * self.successful / self.finished, 1) if self.finished else None

    @property
    def induced_rate(self) -> float | None:
        """The share of finished changes that caused at least one incident."""
        return (
            round(100 * self.changes_with_incidents / self.finished, 1) if self.finished else None
        )


def change_report(*, months: int = 12, today: date | None = None) -> list[MonthRow]:
    """Per month, the last `months` months: changes finished (implemented, failed or backed
    out), the success rate, and the change-induced incident rate (share of those changes
    with an incident linked as caused by them). Computed from the changes' outcome and
    actual end, never stored."""
    today = today or timezone.localdate()
    first = date(today.year, today.month, 1)
    for _i in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    start = datetime(first.year, first.month, 1, tzinfo=timezone.get_current_timezone())
    rows = (
        Change.objects.filter(actual_end__gte=start)
        .exclude(outcome="")
        .annotate(month=TruncMonth("actual_end"))
        .values("month")
        .annotate(
            finished=Count("pk", distinct=True),
            successful=Count("pk", filter=Q(outcome=ChangeOutcome.SUCCESSFUL), distinct=True),
            failed=Count("pk", filter=Q(outcome=ChangeOutcome.FAILED), distinct=True),
            backed_out=Count("pk", filter=Q(outcome=ChangeOutcome.BACKED_OUT), distinct=True),
        )
        .order_by("month")
    )
    by_month: dict[date, dict[str, Any]] = {_as_date(r["month"]): dict(r) for r in rows}
    induced = (
        ChangeIncident.objects.filter(change__actual_end__gte=start)
        .exclude(change__outcome="")
        .annotate(month=TruncMonth("change__actual_end"))
        .values("month")
        .annotate(n=Count("pk"), changes=Count("change", distinct=True))
    )
    induced_by_month: dict[date, dict[str, Any]] = {_as_date(r["month"]): dict(r) for r in induced}
    result: list[MonthRow] = []
    month = first
    for _i in range(months):
        row: dict[str, Any] = by_month.get(month, {})
        links: dict[str, Any] = induced_by_month.get(month, {})
        result.append(
            MonthRow(
                month=month,
                finished=row.get("finished", 0),
                successful=row.get("successful", 0),
                failed=row.get("failed", 0),
                backed_out=row.get("backed_out", 0),
                induced_incidents=links.get("n", 0),
                changes_with_incidents=links.get("changes", 0),
            )
        )
        month = (month + timedelta(days=32)).replace(day=1)
    return result


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value  # type: ignore[no-any-return]

"""The SLA engine: which agreements apply to a ticket, the life of its clocks, and the sweep
that warns before and escalates at a breach.

A process tells the engine what happened to a ticket with `record_event`, inside its own
transaction; the engine never imports a process app. Each clock is folded from events:
started, paused (working seconds paused so far), stopped. Its due time is

    due = calendar.add(started_at, target_seconds + paused_seconds)

so a pause moves the due time by exactly the working time it lasted, a priority change
recomputes from the original start keeping the pauses, and a reopen counts the time the
ticket lay resolved as a pause."""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import F, Subquery
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.accounts.choices import Role
from itsm.accounts.models import SupportGroup, User
from itsm.core.choices import TicketPriority
from itsm.core.models import AuditEntry, Ticket
from itsm.core.services import Notice, audit_entry, notify, notify_all
from itsm.sla.choices import AgreementKind, ClockMetric, ClockStopReason, TicketEvent
from itsm.sla.models import (
    Agreement,
    AgreementTarget,
    BusinessCalendar,
    CalendarDay,
    Clock,
    EscalationFiring,
    EscalationRule,
    Generation,
    StatutoryDay,
    WorkingPeriod,
)
from itsm.sla.worktime import WorkingTime

METRICS = (ClockMetric.RESPONSE, ClockMetric.RESOLUTION)


# The configuration, cached per process ------------------------------------------------


@dataclass
class _Configuration:
    generation: int
    agreements: dict[int, Agreement]


_configuration: _Configuration | None = None


def _bump_generation(**kwargs: Any) -> None:
    # A fresh random value, not a count: a count that a rolled-back transaction had moved
    # could come round again and make a process trust what it read in that transaction.
    value = secrets.randbits(62)
    if not Generation.objects.filter(pk=1).update(value=value):
        Generation.objects.update_or_create(pk=1, defaults={"value": value})


def _bump_calendar(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Edits of a calendar's periods or days (in the admin too) change its version, which
    is what the calendar cache compares."""
    calendars = (
        BusinessCalendar.objects.filter(statutory_holidays=True)
        if isinstance(instance, StatutoryDay)
        else BusinessCalendar.objects.filter(pk=instance.calendar_id)
    )
    calendars.update(version=F("version") + 1, updated_at=timezone.now())
    _bump_generation()


def watch_configuration() -> None:
    """Move the generation whenever calendars or agreements change, however they change."""
    configuration: tuple[type[models.Model], ...] = (
        BusinessCalendar,
        Agreement,
        AgreementTarget,
        EscalationRule,
    )
    for model in configuration:
        post_save.connect(_bump_generation, sender=model, dispatch_uid="sla-gen-%s" % model)
        post_delete.connect(_bump_generation, sender=model, dispatch_uid="sla-gen-d-%s" % model)
    days: tuple[type[models.Model], ...] = (WorkingPeriod, CalendarDay, StatutoryDay)
    for model in days:
        post_save.connect(_bump_calendar, sender=model, dispatch_uid="sla-cal-%s" % model)
        post_delete.connect(_bump_calendar, sender=model, dispatch_uid="sla-cal-d-%s" % model)
    for through in (Agreement.services.through, Agreement.departments.through):
        m2m_changed.connect(_bump_generation, sender=through, dispatch_uid="sla-m2m-%s" % through)


_pinned: ContextVar[dict[int, Agreement] | None] = ContextVar("sla_agreements", default=None)


def _agreements(generation: int | None = None) -> dict[int, Agreement]:
    """Every agreement with its calendar, services, departments, targets and rules, read
    again only when the generation moved. Inside `_one_reading()` the generation is read
    once for the whole unit of work. `generation`: the token as a query just read it
    (`_with_generation`), which saves reading it on its own."""
    global _configuration
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    if generation is None:
        generation = Generation.objects.values_list("value", flat=True).filter(pk=1).first()
    if generation is None:  # the row is gone (a flushed database): make a new token
        _bump_generation()
        generation = Generation.objects.values_list("value", flat=True).get(pk=1)
    if _configuration is None or _configuration.generation != generation:
        agreements = (
            Agreement.objects.select_related("calendar")
            .prefetch_related("services", "departments", "targets", "escalation_rules")
            .order_by("pk")
        )
        _configuration = _Configuration(generation, {a.pk: a for a in agreements})
    return _configuration.agreements


GENERATION_COLUMN = "sla_generation"


def _with_generation(clocks: models.QuerySet[Clock]) -> models.QuerySet[Clock]:
    """The clocks with the configuration's token read in the same query (a scalar
    subquery on its one row), so that a page's clocks cost one round trip, not two.
    Inside `one_reading()` the token is already known: the plain query."""
    if _pinned.get() is not None:
        return clocks
    token = Generation.objects.filter(pk=1).values("value")[:1]
    return clocks.annotate(**{GENERATION_COLUMN: Subquery(token)})


def _agreements_of(clocks: Sequence[Clock]) -> dict[int, Agreement]:
    """The agreements, checked against the token the clocks' query read (any clock's: a
    query sees one snapshot of the row). No clocks need no agreements: the token is
    then not read at all."""
    if not clocks:
        return {}
    return _agreements(getattr(clocks[0], GENERATION_COLUMN, None))


@contextmanager
def one_reading() -> Iterator[dict[int, Agreement]]:
    """Use one reading of the configuration for a unit of work (an event, a sweep batch,
    a bulk load) instead of checking the generation at every look-up."""
    if _pinned.get() is not None:
        yield _agreements()
        return
    token = _pinned.set(_agreements())
    try:
        yield _agreements()
    finally:
        _pinned.reset(token)


# Which agreements apply ---------------------------------------------------------------


def _active_agreements(kind: str, at: datetime) -> list[Agreement]:
    day = timezone.localdate(at)
    return [
        a
        for a in _agreements().values()
        if a.kind == kind
        and a.active
        and (a.valid_from is None or a.valid_from <= day)
        and (a.valid_until is None or a.valid_until >= day)
    ]


def _covers(agreement: Agreement, ticket: Ticket) -> tuple[bool, int]:
    """Whether the agreement covers the ticket's service and department, and how
    specifically (a named service or department beats "all")."""
    services = {s.pk for s in agreement.services.all()}
    departments = {d.pk for d in agreement.departments.all()}
    if services and ticket.service_id not in services:
        return False, 0
    if departments and ticket.department_id not in departments:
        return False, 0
    return True, 2 * bool(services) + bool(departments)


def _target_for(agreement: Agreement, priority: int) -> Any:
    return next((t for t in agreement.targets.all() if t.priority == priority), None)


def find_sla(ticket: Ticket) -> Agreement | None:
    """The SLA that applies to a ticket: active on the day it was reported, covering its
    service and department, with a target for its priority; the most specific one wins
    (service and department, then service, then department, then "all"; ties: the oldest)."""
    reported = getattr(ticket, "reported_at", None) or ticket.created_at
    best: tuple[int, Agreement] | None = None
    for agreement in _active_agreements(AgreementKind.SLA, reported):
        covered, score = _covers(agreement, ticket)
        if not covered or _target_for(agreement, ticket.priority) is None:
            continue
        if best is None or score > best[0]:
            best = (score, agreement)
    return best[1] if best else None


def find_group_agreements(ticket: Ticket, group: SupportGroup, at: datetime) -> list[Agreement]:
    """The OLA of an internal group, or the underpinning contracts of a vendor's group, that
    cover the ticket's service and have a target for its priority."""
    found: list[Agreement] = []
    matchers: tuple[tuple[str, Callable[[Agreement], bool]], ...] = (
        (AgreementKind.OLA, lambda a: a.support_group_id == group.pk),
        (
            AgreementKind.UC,
            lambda a: group.vendor_id is not None and a.vendor_id == group.vendor_id,
        ),
    )
    for kind, matches in matchers:
        candidates = [
            a
            for a in _active_agreements(kind, at)
            if matches(a) and _covers(a, ticket)[0] and _target_for(a, ticket.priority)
        ]
        candidates.sort(key=lambda a: -_covers(a, ticket)[1])
        found.extend(candidates[:1])
    return found


# Clock arithmetic (pure over a clock row and its calendar) ----------------------------


def _calendar(clock: Clock) -> WorkingTime:
    from itsm.sla.calendars import working_time

    return working_time(clock.agreement.calendar)


def _rules(clock: Clock) -> list[EscalationRule]:
    return [r for r in clock.agreement.escalation_rules.all() if r.metric == clock.metric]


def elapsed_seconds(clock: Clock, now: datetime) -> int:
    """Working seconds counted against the target so far (pauses excluded)."""
    end = min(x for x in (now, clock.paused_since, clock.stopped_at) if x is not None)
    return max(0, _calendar(clock).between(clock.started_at, end) - clock.paused_seconds)


def remaining_seconds(clock: Clock, now: datetime) -> int:
    """Working seconds left before the due time; negative once overdue."""
    return clock.target_seconds - elapsed_seconds(clock, now)


def _instant(clock: Clock, working_seconds: int) -> datetime:
    return _calendar(clock).add(clock.started_at, working_seconds + clock.paused_seconds)


def _rule_instant(clock: Clock, rule: EscalationRule) -> datetime:
    return _instant(clock, math.ceil(clock.target_seconds * rule.percent / 100))


def _schedule(clock: Clock, fired: set[int]) -> None:
    """Derive the stored due time and the next escalation from the clock's own fields."""
    if not clock.is_running:
        clock.due_at = None if clock.is_paused else clock.due_at
        clock.next_escalation_at = None
        return
    clock.due_at = _instant(clock, clock.target_seconds)
    pending = [_rule_instant(clock, r) for r in _rules(clock) if r.pk not in fired]
    if clock.breached_at is None:
        pending.append(clock.due_at)
    clock.next_escalation_at = min(pending) if pending else None


def _fired(clock: Clock) -> set[int]:
    if clock.pk is None:
        return set()
    return set(EscalationFiring.objects.filter(clock=clock).values_list("rule_id", flat=True))


def _pause(clock: Clock, at: datetime) -> None:
    clock.paused_since = at
    _schedule(clock, set())


def _resume(clock: Clock, at: datetime) -> None:
    assert clock.paused_since is not None
    clock.paused_seconds += _calendar(clock).between(
        clock.paused_since, max(at, clock.paused_since)
    )
    clock.paused_since = None
    _schedule(clock, _fired(clock))


def _stop(clock: Clock, at: datetime, reason: str) -> None:
    if clock.paused_since is not None:
        _resume(clock, at)
    if clock.due_at is None:
        clock.due_at = _instant(clock, clock.target_seconds)
    clock.stopped_at = at
    clock.stop_reason = reason
    if clock.breached_at is None and at > clock.due_at:
        clock.breached_at = clock.due_at
    clock.next_escalation_at = None


def _reopen(clock: Clock, at: datetime) -> None:
    """The time a ticket lay resolved does not count: it is added as a pause."""
    assert clock.stopped_at is not None
    clock.paused_seconds += _calendar(clock).between(clock.stopped_at, max(at, clock.stopped_at))
    clock.stopped_at = None
    clock.stop_reason = ""
    _schedule(clock, _fired(clock))


def _new_clock(
    ticket: Ticket, agreement: Agreement, metric: str, started_at: datetime, group: Any
) -> Clock:
    target = _target_for(agreement, ticket.priority)
    clock = Clock(
        content_type=ContentType.objects.get_for_model(ticket),
        object_id=ticket.pk,
        agreement=agreement,
        kind=agreement.kind,
        metric=metric,
        support_group=group,
        priority=ticket.priority,
        target_seconds=target.seconds_for(metric),
        started_at=started_at,
    )
    _schedule(clock, set())
    return clock


# Events -------------------------------------------------------------------------------


def _wants_pause(ticket: Ticket, clock: Clock) -> bool:
    reason = getattr(ticket, "pending_reason", "")
    return bool(reason) and reason in (clock.agreement.pause_reasons or [])


def _sync_pauses(ticket: Ticket, clocks: Iterable[Clock], at: datetime) -> None:
    for clock in clocks:
        if clock.stopped_at is not None:
            continue
        if _wants_pause(ticket, clock) and clock.paused_since is None:
            _pause(clock, at)
        elif not _wants_pause(ticket, clock) and clock.paused_since is not None:
            _resume(clock, at)


def _start_sla(ticket: Ticket, clocks: list[Clock]) -> None:
    if any(c.kind == AgreementKind.SLA for c in clocks):
        return
    agreement = find_sla(ticket)
    if agreement is None:
        return
    started = getattr(ticket, "reported_at", None) or ticket.created_at
    clocks.extend(_new_clock(ticket, agreement, m, started, None) for m in METRICS)
    if ticket.responded_at is not None:
        _stop(clocks[-2], ticket.responded_at, ClockStopReason.RESPONDED)


def _route(ticket: Ticket, clocks: list[Clock], at: datetime) -> None:
    group = ticket.assignment_group
    for clock in clocks:
        held_by_other = clock.support_group_id not in (None, getattr(group, "pk", None))
        if clock.kind != AgreementKind.SLA and clock.stopped_at is None and held_by_other:
            _stop(clock, at, ClockStopReason.HANDED_OVER)
    if group is None:
        return
    if any(c.support_group_id == group.pk and c.stopped_at is None for c in clocks):
        return
    for agreement in find_group_agreements(ticket, group, at):
        clocks.extend(_new_clock(ticket, agreement, m, at, group) for m in METRICS)


def _respond(ticket: Ticket, clocks: list[Clock], at: datetime) -> None:
    if ticket.responded_at is None:
        ticket.responded_at = at
    for clock in clocks:
        current = clock.kind == AgreementKind.SLA or (
            clock.support_group_id == ticket.assignment_group_id
        )
        if clock.metric == ClockMetric.RESPONSE and clock.stopped_at is None and current:
            _stop(clock, at, ClockStopReason.RESPONDED)


def _finish(clocks: list[Clock], at: datetime, reason: str) -> None:
    for clock in clocks:
        if clock.stopped_at is None:
            metric_reason = (
                ClockStopReason.RESPONDED
                if clock.metric == ClockMetric.RESPONSE and reason == ClockStopReason.RESOLVED
                else reason
            )
            _stop(clock, at, metric_reason)


def _reopen_clocks(ticket: Ticket, clocks: list[Clock], at: datetime) -> None:
    for clock in clocks:
        ours = clock.kind == AgreementKind.SLA or (
            clock.support_group_id == ticket.assignment_group_id
        )
        if (
            clock.metric == ClockMetric.RESOLUTION
            and clock.stop_reason == ClockStopReason.RESOLVED
            and ours
        ):
            _reopen(clock, at)


def _retarget(ticket: Ticket, clocks: list[Clock], at: datetime) -> None:
    """Priority, service or department changed: the SLA may be another one, and every
    clock still running gets the target of the new priority, counted from its original
    start with the pauses it already had."""
    sla = find_sla(ticket)
    for clock in clocks:
        if clock.stopped_at is not None:
            continue
        agreement = sla if clock.kind == AgreementKind.SLA and sla is not None else clock.agreement
        target = _target_for(agreement, ticket.priority)
        if target is None:
            continue
        clock.agreement = agreement
        clock.priority = ticket.priority
        clock.target_seconds = target.seconds_for(clock.metric)
        if clock.is_running:
            _schedule(clock, _fired(clock))
            if clock.breached_at is not None and clock.due_at and clock.due_at > at:
                clock.breached_at = None  # lowered priority: no longer overdue
                _schedule(clock, _fired(clock))
    _start_sla(ticket, clocks)


def _on_duty_managers(at: datetime) -> list[User]:
    return list(
        User.objects.filter(
            duty_shifts__starts_at__lte=at, duty_shifts__ends_at__gt=at, is_active=True
        ).distinct()
    )


def alert_on_duty(ticket: Ticket, *, at: datetime | None = None) -> None:
    """A priority-1 ticket is told at once to whoever is the on-duty manager."""
    if ticket.priority != TicketPriority.CRITICAL:
        return
    at = at or timezone.now()
    notify(
        _on_duty_managers(at),
        ticket,
        _("Priority 1: %(number)s %(title)s — you are the on-duty manager."),
        params={"number": ticket.number, "title": ticket.title},
        groups=[g for g in [ticket.assignment_group] if g is not None],
    )


def ticket_clocks(ticket: Ticket) -> list[Clock]:
    """A ticket's clocks, oldest first, each with its agreement from the process cache."""
    # The group of an OLA clock is named wherever a clock is shown: joined, not looked up.
    query = Clock.objects.for_ticket(ticket).select_related("support_group")
    clocks = list(_with_generation(query.order_by("started_at", "id")))
    agreements = _agreements_of(clocks)
    for clock in clocks:
        clock.agreement = agreements[clock.agreement_id]
        clock._as_loaded = _values(clock)  # type: ignore[attr-defined]
    return clocks


def record_event(ticket: Ticket, event: str, *, at: datetime | None = None) -> list[Clock]:
    """Move a ticket's clocks on after something happened to it. Call inside the write's
    transaction, after the ticket row is saved; the ticket's SLA fields are updated here."""
    with one_reading():
        at = at or timezone.now()
        clocks = ticket_clocks(ticket)
        loaded = {name: getattr(ticket, name) for name in MIRRORED}
        if event == TicketEvent.LOGGED:
            _start_sla(ticket, clocks)
        elif event == TicketEvent.ROUTED:
            _sync_pauses(ticket, clocks, at)
            _start_sla(ticket, clocks)
            _route(ticket, clocks, at)
        elif event == TicketEvent.RESPONDED:
            _respond(ticket, clocks, at)
        elif event in (TicketEvent.PENDED, TicketEvent.RESUMED):
            _sync_pauses(ticket, clocks, at)
        elif event == TicketEvent.RESOLVED:
            if ticket.responded_at is None:
                ticket.responded_at = at
            _finish(clocks, at, ClockStopReason.RESOLVED)
        elif event == TicketEvent.REOPENED:
            _reopen_clocks(ticket, clocks, at)
            _sync_pauses(ticket, clocks, at)
        elif event == TicketEvent.CLOSED:
            _finish(clocks, at, ClockStopReason.CLOSED)
        elif event == TicketEvent.CANCELLED:
            _finish(clocks, at, ClockStopReason.CANCELLED)
        elif event == TicketEvent.CHANGED:
            _retarget(ticket, clocks, at)
        else:
            raise ValueError("unknown ticket event %r" % event)
        _save(clocks)
        mirror_ticket(ticket, clocks, loaded)
        return clocks


CLOCK_FIELDS = (
    "agreement",
    "priority",
    "target_seconds",
    "paused_seconds",
    "paused_since",
    "stopped_at",
    "stop_reason",
    "due_at",
    "breached_at",
    "next_escalation_at",
)


CLOCK_ATTNAMES = tuple(name + "_id" if name == "agreement" else name for name in CLOCK_FIELDS)


def _values(clock: Clock) -> tuple[Any, ...]:
    return tuple(getattr(clock, name) for name in CLOCK_ATTNAMES)


def _save(clocks: Sequence[Clock]) -> None:
    """Insert the new clocks, update the ones that changed, leave the others alone."""
    new = [c for c in clocks if c.pk is None]
    if new:
        Clock.objects.bulk_create(new)
    for clock in clocks:
        loaded = getattr(clock, "_as_loaded", None)
        if clock not in new and loaded != _values(clock):
            clock.save(update_fields=CLOCK_FIELDS)
            clock._as_loaded = _values(clock)  # type: ignore[attr-defined]


MIRRORED = ("responded_at", "response_due_at", "resolution_due_at", "sla_paused", "sla_breached")


def mirror_ticket(ticket: Ticket, clocks: Sequence[Clock], loaded: dict[str, Any]) -> None:
    """Copy the SLA clocks' state onto the ticket row (due times, paused, breached), and
    its first response; `loaded` is what the row held when the event began."""
    sla = {c.metric: c for c in clocks if c.kind == AgreementKind.SLA}
    values = {
        "responded_at": ticket.responded_at,
        "response_due_at": getattr(sla.get(ClockMetric.RESPONSE), "due_at", None),
        "resolution_due_at": getattr(sla.get(ClockMetric.RESOLUTION), "due_at", None),
        "sla_paused": any(c.is_paused for c in sla.values()),
        "sla_breached": any(c.breached_at is not None for c in sla.values()),
    }
    changed = {k: v for k, v in values.items() if loaded[k] != v}
    if changed:
        type(ticket)._default_manager.filter(pk=ticket.pk).update(**changed)
        for key, value in changed.items():
            setattr(ticket, key, value)


# What a ticket shows ------------------------------------------------------------------


@dataclass(frozen=True)
class ClockState:
    """A clock as people read it at one instant."""

    clock: Clock
    due_at: datetime | None
    remaining_seconds: int
    elapsed_seconds: int
    paused: bool
    stopped: bool
    breached: bool

    @property
    def percent(self) -> int:
        if not self.clock.target_seconds:
            return 100
        return min(999, round(100 * self.elapsed_seconds / self.clock.target_seconds))


def clock_state(clock: Clock, now: datetime | None = None) -> ClockState:
    now = now or timezone.now()
    elapsed = elapsed_seconds(clock, now)
    due = clock.due_at
    breached = clock.breached_at is not None or (
        clock.is_running and due is not None and now >= due
    )
    return ClockState(
        clock=clock,
        due_at=due,
        remaining_seconds=clock.target_seconds - elapsed,
        elapsed_seconds=elapsed,
        paused=clock.is_paused,
        stopped=clock.stopped_at is not None,
        breached=breached,
    )


def sla_states(
    tickets: Sequence[Ticket], now: datetime | None = None
) -> dict[int, dict[str, ClockState]]:
    """The SLA clocks of many tickets of one model, in one query: {ticket pk: {metric:
    state}} — for list pages and API lists."""
    if not tickets:
        return {}
    content_type = ContentType.objects.get_for_model(tickets[0])
    query = Clock.objects.filter(
        content_type=content_type,
        object_id__in=[t.pk for t in tickets],
        kind=AgreementKind.SLA,
    ).order_by("id")
    clocks = list(_with_generation(query))
    now = now or timezone.now()
    agreements = _agreements_of(clocks)
    states: dict[int, dict[str, ClockState]] = {}
    for clock in clocks:
        clock.agreement = agreements[clock.agreement_id]
        states.setdefault(clock.object_id, {})[clock.metric] = clock_state(clock, now)
    return states


def breaching_between(
    model: type[models.Model], start: datetime, end: datetime
) -> models.QuerySet[Clock]:
    """Running clocks of one ticket model that fall due in [start, end): one indexed query."""
    return Clock.objects.running().filter(
        content_type=ContentType.objects.get_for_model(model), due_at__gte=start, due_at__lt=end
    )


# The sweep ----------------------------------------------------------------------------


EscalationAction = Callable[[Any, EscalationRule, Clock], None]


@dataclass(frozen=True)
class SweepResult:
    clocks: int = 0
    fired: int = 0
    breached: int = 0


def _warning_recipients(
    ticket: Any, clock: Clock, rule: EscalationRule, managers: Callable[[], list[User]]
) -> list[Any]:
    group = clock.support_group or ticket.assignment_group
    recipients: list[Any] = []
    if rule.notify_assignee and ticket.assignee_id:
        recipients.append(ticket.assignee)
    if rule.notify_group_lead and group is not None and group.lead_id:
        recipients.append(group.lead)
    if rule.notify_managers:
        recipients.extend(managers())
    return recipients


def _firing_notice(
    ticket: Any, clock: Clock, rule: EscalationRule, managers: Callable[[], list[User]]
) -> Notice:
    if rule.percent >= 100:
        message = _("%(number)s: %(kind)s %(metric)s target breached (%(agreement)s).")
    else:
        message = _("%(number)s: %(percent)s%% of the %(kind)s %(metric)s target has elapsed.")
    return Notice(
        _warning_recipients(ticket, clock, rule, managers),
        ticket,
        message,
        params={
            "number": ticket.number,
            "kind": clock.kind.upper(),
            "metric": ClockMetric(clock.metric).label,  # translated per reader
            "percent": rule.percent,
            "agreement": clock.agreement.name,
        },
        groups=[g for g in [clock.support_group or ticket.assignment_group] if g is not None],
    )


def _write_schedules(clocks: Sequence[Clock]) -> None:
    """Store the swept clocks' breach and next escalation: one prepared UPDATE run for all
    rows (the ORM's bulk_update builds a CASE expression per row, which costs more than the
    sweep's own work)."""
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE %s SET breached_at = %%s, due_at = %%s, next_escalation_at = %%s "
            "WHERE id = %%s" % connection.ops.quote_name(Clock._meta.db_table),
            [
                (adapt(c.breached_at), adapt(c.due_at), adapt(c.next_escalation_at), c.pk)
                for c in clocks
            ],
        )


# More escalations than this for one person (or one group's robot) in one sweep batch come
# as one message listing them: at 12:00, when every clock of the morning runs out together,
# a group lead reads one message, not a hundred.
DIGEST_AFTER = 3


def _digest(notices: list[Notice]) -> list[Notice]:
    by_user: dict[int, list[tuple[Any, Notice]]] = {}
    by_group: dict[int, list[tuple[Any, Notice]]] = {}
    for notice in notices:
        for user in notice.users:
            by_user.setdefault(user.pk, []).append((user, notice))
        for group in notice.groups:
            by_group.setdefault(group.pk, []).append((group, notice))
    result: list[Notice] = []
    for kind, batches in (("users", by_user), ("groups", by_group)):
        for items in batches.values():
            who = items[0][0]
            if len(items) <= DIGEST_AFTER:
                result.extend(
                    Notice([who], n.target, n.message, n.params)
                    if kind == "users"
                    else Notice([], n.target, n.message, n.params, [who])
                    for _who, n in items
                )
                continue
            numbers = [str(n.target.number) for _who, n in items]  # type: ignore[attr-defined]
            params = {
                "count": len(numbers),
                "numbers": "、".join(numbers[:10]) + ("…" if len(numbers) > 10 else ""),
            }
            message = _("%(count)d incidents reached an SLA warning or breach: %(numbers)s")
            first = items[0][1].target
            result.append(
                Notice([who], first, message, params)
                if kind == "users"
                else Notice([], first, message, params, [who])
            )
    return result


def sweep_clocks(
    model: type[Ticket],
    *,
    now: datetime | None = None,
    act: EscalationAction | None = None,
    batch: int = 1000,
) -> SweepResult:
    """Fire the escalation rules and mark the breaches that have come due for one ticket
    model. Runs every minute in every worker: the rows are locked and skipped by the
    others (PostgreSQL), writers are serialised (SQLite), and a firing is a unique row, so
    each rule fires once per clock. Reassigning or raising the priority belongs to the
    ticket's process: it passes `act`."""
    now = now or timezone.now()
    content_type = ContentType.objects.get_for_model(model)
    result = SweepResult()
    it_managers: list[User] | None = None

    def managers() -> list[User]:
        nonlocal it_managers
        if it_managers is None:
            it_managers = list(User.objects.filter(groups__name=Role.MANAGER, is_active=True))
        return it_managers

    while True:
        with transaction.atomic(), one_reading():
            clocks = list(
                Clock.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(content_type=content_type, next_escalation_at__lte=now)
                .select_related("support_group__lead")
                .order_by("next_escalation_at")[:batch]
            )
            if not clocks:
                return result
            agreements = _agreements()
            for clock in clocks:
                clock.agreement = agreements[clock.agreement_id]
            tickets = model._default_manager.select_related(
                "assignee", "assignment_group__lead"
            ).in_bulk([c.object_id for c in clocks])
            fired_rules: dict[int, set[int]] = {}
            for clock_id, rule_id in EscalationFiring.objects.filter(clock__in=clocks).values_list(
                "clock_id", "rule_id"
            ):
                fired_rules.setdefault(clock_id, set()).add(rule_id)
            firings: list[EscalationFiring] = []
            notices: list[Notice] = []
            audits: list[Any] = []
            actions: list[tuple[Any, EscalationRule, Clock]] = []
            breached: list[Any] = []
            for clock in clocks:
                ticket = tickets.get(clock.object_id)
                fired = fired_rules.get(clock.pk, set())
                if ticket is not None and clock.is_running:
                    for rule in _rules(clock):
                        if rule.pk not in fired and _rule_instant(clock, rule) <= now:
                            notices.append(_firing_notice(ticket, clock, rule, managers))
                            audits.append(
                                audit_entry(
                                    ticket,
                                    actor=None,
                                    action="sla:escalation",
                                    note="%s · %s %s%%"
                                    % (
                                        clock.agreement.name,
                                        ClockMetric(clock.metric).label,
                                        rule.percent,
                                    ),
                                )
                            )
                            firings.append(EscalationFiring(clock=clock, rule=rule, fired_at=now))
                            fired.add(rule.pk)
                            if rule.reassign_to_id or rule.raise_priority:
                                actions.append((ticket, rule, clock))
                    if clock.breached_at is None and clock.due_at and clock.due_at <= now:
                        clock.breached_at = clock.due_at
                        if clock.kind == AgreementKind.SLA and not ticket.sla_breached:
                            ticket.sla_breached = True
                            breached.append(ticket.pk)
                            audits.append(
                                audit_entry(
                                    ticket,
                                    actor=None,
                                    action="update",
                                    changes={"sla_breached": [False, True]},
                                )
                            )
                _schedule(clock, fired)
                if clock.next_escalation_at is not None and clock.next_escalation_at <= now:
                    clock.next_escalation_at = None  # its ticket is gone: nothing left to do
            notify_all(_digest(notices))
            AuditEntry.objects.bulk_create(audits)
            EscalationFiring.objects.bulk_create(firings)
            _write_schedules(clocks)
            if breached:
                model._default_manager.filter(pk__in=breached).update(sla_breached=True)
            # The process's own actions last: they move the clocks on through record_event,
            # which reads the rows just written.
            if act is not None:
                for ticket, rule, clock in actions:
                    act(ticket, rule, clock)
            result = SweepResult(
                clocks=result.clocks + len(clocks),
                fired=result.fired + len(firings),
                breached=result.breached + len(breached),
            )

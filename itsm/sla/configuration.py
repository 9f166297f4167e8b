"""Configuration verbs of service level management: agreements with their targets and
escalation rules, calendars' own fields, and the duty roster. The web pages and the API call
these; the calendar's periods and days are written by the verbs of `itsm.sla.calendars`.

Each verb is atomic, checks the actor's Django permission (PermissionDenied), refuses a
stale `version` (StaleVersion, 409) and writes one audit entry in the same transaction."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from itsm.core.choices import TicketPriority
from itsm.core.exceptions import StaleVersion
from itsm.core.services import diff, write_audit
from itsm.sla import calendars
from itsm.sla.choices import ClockMetric
from itsm.sla.models import (
    Agreement,
    AgreementTarget,
    BusinessCalendar,
    CalendarDay,
    DutyShift,
    EscalationRule,
    StatutoryDay,
)

AGREEMENT_FIELDS = (
    "kind",
    "name",
    "description",
    "calendar",
    "support_group",
    "vendor",
    "pause_reasons",
    "valid_from",
    "valid_until",
    "active",
)
AGREEMENT_MANY = ("services", "departments")
TARGET_FIELDS = ("priority", "response_seconds", "resolution_seconds")
RULE_FIELDS = (
    "metric",
    "percent",
    "notify_assignee",
    "notify_group_lead",
    "notify_managers",
    "reassign_to",
    "raise_priority",
)
CALENDAR_FIELDS = ("name", "time_zone", "always_open", "statutory_holidays", "description")
DUTY_FIELDS = ("user", "starts_at", "ends_at", "note")


def require_permission(actor: Any, permission: str) -> None:
    if not actor.has_perm(permission):
        raise PermissionDenied(gettext("You may not change service level settings."))


def attname(model: type[Any], name: str) -> str:
    """The attribute that holds a field's raw value (`calendar_id` for `calendar`)."""
    field: Any = model._meta.get_field(name)
    return str(field.attname)


def check_version(current: int, version: int | None) -> None:
    """An edit names the version it was made from; if the record changed since, nothing is
    overwritten. A missing version counts as stale: a client must read before it writes."""
    if version is None or current != version:
        raise StaleVersion()


# --------------------------------------------------------------------------------------
# Agreements


def agreement_snapshot(agreement: Agreement) -> dict[str, Any]:
    """What the audit log compares: the fields, the services and departments, and the
    targets and rules as short readable strings."""
    values: dict[str, Any] = {
        name: getattr(agreement, attname(Agreement, name)) for name in AGREEMENT_FIELDS
    }
    if agreement.pk is None:
        return values
    for name in AGREEMENT_MANY:
        values[name] = sorted(getattr(agreement, name).values_list("pk", flat=True))
    values["targets"] = [
        "P%d %d/%d" % (t.priority, t.response_seconds, t.resolution_seconds)
        for t in agreement.targets.order_by("priority")
    ]
    values["escalation_rules"] = [
        "%s %d%%%s%s%s%s%s"
        % (
            r.metric,
            r.percent,
            " assignee" if r.notify_assignee else "",
            " lead" if r.notify_group_lead else "",
            " managers" if r.notify_managers else "",
            " reassign:%s" % r.reassign_to_id if r.reassign_to_id else "",
            " raise" if r.raise_priority else "",
        )
        for r in agreement.escalation_rules.order_by("metric", "percent")
    ]
    return values


def validate_targets(targets: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One target per priority, both durations positive, the response no longer than the
    resolution. Messages name the priority, so a form or an API client knows which row."""
    rows: list[dict[str, Any]] = []
    messages: list[str] = []
    seen: set[int] = set()
    labels = dict(TicketPriority.choices)
    for raw in targets:
        row = {name: raw.get(name) for name in TARGET_FIELDS}
        priority = row["priority"]
        if priority not in labels:
            messages.append(gettext("Choose a priority from the list."))
            continue
        label = str(labels[priority])
        if priority in seen:
            messages.append(gettext("%(priority)s has two targets.") % {"priority": label})
            continue
        seen.add(priority)
        response, resolution = row["response_seconds"], row["resolution_seconds"]
        if not isinstance(response, int) or not isinstance(resolution, int):
            messages.append(
                gettext("%(priority)s: give both the response and the resolution target.")
                % {"priority": label}
            )
            continue
        if response <= 0 or resolution <= 0:
            messages.append(
                gettext("%(priority)s: a target must be longer than zero.") % {"priority": label}
            )
            continue
        if response > resolution:
            messages.append(
                gettext("%(priority)s: the response target is longer than the resolution target.")
                % {"priority": label}
            )
            continue
        rows.append(row)
    if messages:
        raise ValidationError({"targets": messages})
    return sorted(rows, key=lambda r: r["priority"])


def validate_rules(rules: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One rule per clock and share; the share between 1 % and 1000 %; a reassignment only
    to an active group."""
    rows: list[dict[str, Any]] = []
    messages: list[str] = []
    seen: set[tuple[str, int]] = set()
    metrics = dict(ClockMetric.choices)
    for raw in rules:
        row = {name: raw.get(name) for name in RULE_FIELDS}
        for flag in ("notify_assignee", "notify_group_lead", "notify_managers", "raise_priority"):
            row[flag] = bool(row[flag])
        metric, percent = row["metric"], row["percent"]
        if metric not in metrics:
            messages.append(gettext("Choose the clock (response or resolution) of each rule."))
            continue
        if not isinstance(percent, int) or not 1 <= percent <= 1000:
            messages.append(gettext("The share of the target must be between 1 and 1000 %."))
            continue
        if (metric, percent) in seen:
            messages.append(
                gettext("Two rules fire at %(percent)d%% of the %(clock)s clock.")
                % {"percent": percent, "clock": str(metrics[metric]).lower()}
            )
            continue
        seen.add((metric, percent))
        group = row["reassign_to"]
        if group is not None and not group.active:
            messages.append(
                gettext("%(group)s is not active: choose another group to reassign to.")
                % {"group": group}
            )
            continue
        rows.append(row)
    if messages:
        raise ValidationError({"escalation_rules": messages})
    return rows


@transaction.atomic
def save_agreement(
    agreement: Agreement | None,
    data: Mapping[str, Any],
    targets: Iterable[Mapping[str, Any]] | None,
    rules: Iterable[Mapping[str, Any]] | None,
    *,
    actor: Any,
    version: int | None = None,
) -> Agreement:
    """Create an agreement (agreement None) or edit one, with its targets and escalation
    rules in the same transaction. `data` holds any of the agreement's fields plus
    `services` and `departments`; targets and rules, when given, replace the current ones.

    Rules are kept by (clock, share) and targets by priority, updated in place: a rule that
    already fired for a running clock keeps its firing and does not fire again."""
    creating = agreement is None
    require_permission(actor, "sla.add_agreement" if creating else "sla.change_agreement")
    if agreement is None:
        agreement = Agreement()
        before: dict[str, Any] = {}
    else:
        agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
        check_version(agreement.version, version)
        before = agreement_snapshot(agreement)
    for name in AGREEMENT_FIELDS:
        if name in data:
            setattr(agreement, name, data[name])
    errors: dict[str, list[str]] = {}
    try:
        agreement.full_clean(exclude=["version"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    target_rows = rule_rows = None
    try:
        target_rows = validate_targets(targets) if targets is not None else None
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        rule_rows = validate_rules(rules) if rules is not None else None
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if creating and target_rows is not None and not target_rows:
        errors.setdefault("targets", []).append(gettext("Give a target for at least one priority."))
    if errors:
        raise ValidationError(errors)
    agreement.save()
    for name in AGREEMENT_MANY:
        if name in data:
            getattr(agreement, name).set(data[name])
    if target_rows is not None:
        replace_targets(agreement, target_rows)
    if rule_rows is not None:
        replace_rules(agreement, rule_rows)
    changes = diff(before, agreement_snapshot(agreement))
    if creating:
        write_audit(agreement, actor=actor, action="create", changes=changes)
    elif changes:
        # The version moves only when something changed: a save without changes does not
        # make other open edit pages stale.
        agreement.version += 1
        agreement.save(update_fields=["version"])
        write_audit(agreement, actor=actor, action="update", changes=changes)
    return agreement


def replace_targets(agreement: Agreement, rows: list[dict[str, Any]]) -> None:
    current = {t.priority: t for t in agreement.targets.all()}
    wanted = {row["priority"] for row in rows}
    agreement.targets.exclude(priority__in=wanted).delete()
    for row in rows:
        target = current.get(row["priority"])
        if target is None:
            AgreementTarget.objects.create(agreement=agreement, **row)
        elif (target.response_seconds, target.resolution_seconds) != (
            row["response_seconds"],
            row["resolution_seconds"],
        ):
            target.response_seconds = row["response_seconds"]
            target.resolution_seconds = row["resolution_seconds"]
            target.save(update_fields=["response_seconds", "resolution_seconds"])


def replace_rules(agreement: Agreement, rows: list[dict[str, Any]]) -> None:
    current = {(r.metric, r.percent): r for r in agreement.escalation_rules.all()}
    wanted = {(row["metric"], row["percent"]) for row in rows}
    for key, rule in current.items():
        if key not in wanted:
            rule.delete()
    for row in rows:
        existing = current.get((row["metric"], row["percent"]))
        if existing is None:
            EscalationRule.objects.create(agreement=agreement, **row)
            continue
        rule = existing
        changed = [name for name in RULE_FIELDS[2:] if getattr(rule, name) != row[name]]
        for name in changed:
            setattr(rule, name, row[name])
        if changed:
            rule.save(update_fields=changed)


# --------------------------------------------------------------------------------------
# Calendars (their own fields; periods and days are in itsm.sla.calendars)


@transaction.atomic
def save_calendar(
    calendar: BusinessCalendar | None,
    data: Mapping[str, Any],
    *,
    actor: Any,
    version: int | None = None,
) -> BusinessCalendar:
    """Create a calendar or edit its name, time zone, 7×24 flag, statutory-holiday flag and
    description. A change of hours moves the due times of running clocks only when they
    are next computed; the version tells other editors the calendar changed."""
    creating = calendar is None
    require_permission(
        actor, "sla.add_businesscalendar" if creating else "sla.change_businesscalendar"
    )
    if calendar is None:
        calendar = BusinessCalendar()
        before: dict[str, Any] = {}
    else:
        calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        check_version(calendar.version, version)
        before = {name: getattr(calendar, name) for name in CALENDAR_FIELDS}
    for name in CALENDAR_FIELDS:
        if name in data:
            setattr(calendar, name, data[name])
    calendar.full_clean(exclude=["version", "updated_at"])
    after = {name: getattr(calendar, name) for name in CALENDAR_FIELDS}
    changes = diff(before, after)
    if not creating and not changes:
        return calendar
    if not creating:
        calendar.version += 1
    calendar.updated_at = timezone.now()
    calendar.save()
    write_audit(calendar, actor=actor, action="create" if creating else "update", changes=changes)
    return calendar


# --------------------------------------------------------------------------------------
# Duty roster


@transaction.atomic
def save_duty_shift(
    shift: DutyShift | None, data: Mapping[str, Any], *, actor: Any, version: int | None = None
) -> DutyShift:
    """Put a manager on duty from when to when, or change a shift (from the `version` read:
    StaleVersion if someone changed it since). Only an IT manager or an administrator can be
    on duty: the priority-1 notice goes to whoever is."""
    creating = shift is None
    require_permission(actor, "sla.add_dutyshift" if creating else "sla.change_dutyshift")
    if shift is None:
        shift = DutyShift()
        before: dict[str, Any] = {}
    else:
        shift = DutyShift.objects.select_for_update().get(pk=shift.pk)
        check_version(shift.version, version)
        before = {name: getattr(shift, attname(DutyShift, name)) for name in DUTY_FIELDS}
    for name in DUTY_FIELDS:
        if name in data:
            setattr(shift, name, data[name])
    shift.full_clean()
    user = shift.user
    if not user.is_active or not user.has_perm("sla.change_agreement"):
        raise ValidationError({"user": gettext("Only an active IT manager can be on duty.")})
    after = {name: getattr(shift, attname(DutyShift, name)) for name in DUTY_FIELDS}
    changes = diff(before, after)
    if not creating and not changes:
        return shift
    if not creating:
        shift.version += 1
    shift.save()
    write_audit(shift, actor=actor, action="create" if creating else "update", changes=changes)
    return shift


@transaction.atomic
def delete_duty_shift(shift: DutyShift, *, actor: Any) -> None:
    """Take a shift off the roster. The audit entry keeps who was on duty when."""
    require_permission(actor, "sla.delete_dutyshift")
    before = {name: getattr(shift, attname(DutyShift, name)) for name in DUTY_FIELDS}
    changes = {name: [pair[1], None] for name, pair in diff({}, before).items()}
    write_audit(shift, actor=actor, action="delete", changes=changes)
    shift.delete()


# --------------------------------------------------------------------------------------
# Periods and days: the verbs live in itsm.sla.calendars (they bump the calendar's version
# and audit); these adapters give the pages and the API one call each.


def replace_periods(
    calendar: BusinessCalendar, periods: Iterable[Mapping[str, Any]], *, actor: Any
) -> None:
    calendars.set_working_periods(calendar, list(periods), actor=actor)


def add_day(
    calendar: BusinessCalendar, date: datetime.date, kind: str, name: str, *, actor: Any
) -> CalendarDay:
    return calendars.add_calendar_day(calendar, date, kind, actor=actor, name=name)


def remove_day(day: CalendarDay, *, actor: Any) -> None:
    calendars.remove_calendar_day(day.calendar, day.date, actor=actor)


def add_statutory(date: datetime.date, kind: str, name: str, *, actor: Any) -> StatutoryDay:
    return calendars.add_statutory_day(date, kind, actor=actor, name=name)


def remove_statutory(day: StatutoryDay, *, actor: Any) -> None:
    calendars.remove_statutory_day(day.date, actor=actor)


def import_csv(csv_text: str, *, calendar: BusinessCalendar | None, actor: Any) -> int:
    return calendars.import_days(csv_text, calendar=calendar, actor=actor)

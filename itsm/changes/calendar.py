"""The change calendar's rules: when blackout windows occur, and what a change's planned
window conflicts with.

- `occurrences(window, start, end)` expands a blackout window over a period: a recurring
  window once per matching weekday, in the hospital's local time (settings.TIME_ZONE,
  Asia/Shanghai by default; it has no daylight saving, but the arithmetic goes through
  zoneinfo so another zone would work too); an end time at or before the start time runs
  past midnight into the next day.
- `conflicts_of(change)` lists what the change's planned window collides with: another
  booked change (approved, scheduled or implementing) on the same configuration item or on
  an item related to it, a blackout window, or the same implementer booked twice.

Related items are the whole chain of the CMDB's relationships in both directions, as
`itsm.cmdb.services.impact_of` walks it (bounded by its MAX_DEPTH): what the change's items
rely on and what relies on them. A change on the core switch collides with a change on the
HIS database server an hour later: that is the point.

Only blackout windows block scheduling (unless the change manager overrides them, see
`scheduling.check_schedule`); the other conflicts are warnings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.changes.choices import BlackoutKind, ChangeStatus, ConflictKind
from itsm.changes.impact import impact_of_change
from itsm.changes.models import BlackoutWindow, Change
from itsm.cmdb.models import ConfigurationItem

# The changes that occupy their planned window on the calendar.
BOOKED_STATUSES = (ChangeStatus.APPROVED, ChangeStatus.SCHEDULED, ChangeStatus.IMPLEMENTING)
# The statuses in which a change's conflicts are worth showing: before it is done.
CALENDAR_CHECK_STATUSES = (
    ChangeStatus.DRAFT,
    ChangeStatus.SUBMITTED,
    ChangeStatus.ASSESSMENT,
    ChangeStatus.AWAITING_APPROVAL,
    *BOOKED_STATUSES,
)
# The longest period the calendar expands blackout windows over (400 days).
MAX_PERIOD = timedelta(days=400)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a blackout window: from `start` to `end`, aware datetimes."""

    window: BlackoutWindow
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Conflict:
    """One thing a change's planned window collides with, and why, in words."""

    kind: str
    reason: str
    change: Change | None = None
    window: BlackoutWindow | None = None
    start: datetime | None = None
    end: datetime | None = None

    @property
    def blocks(self) -> bool:
        """Only a blackout window stops a change from being scheduled."""
        return self.kind == ConflictKind.BLACKOUT

    def get_kind_display(self) -> str:
        return str(ConflictKind(self.kind).label)


def local_zone() -> Any:
    """Blackout times are the hospital's wall-clock times, whoever looks at them."""
    return timezone.get_default_timezone()


def _local_datetime(day: date, time: Any) -> datetime:
    return datetime.combine(day, time, tzinfo=local_zone())


def occurrences(window: BlackoutWindow, start: datetime, end: datetime) -> list[Occurrence]:
    """The window's occurrences that overlap [start, end), in order."""
    if window.kind == BlackoutKind.DATED:
        if window.starts_at is None or window.ends_at is None:
            return []
        if window.starts_at < end and window.ends_at > start:
            return [Occurrence(window, window.starts_at, window.ends_at)]
        return []
    if window.start_time is None or window.end_time is None:
        return []
    days = window.weekday_numbers
    overnight = window.end_time <= window.start_time
    zone = local_zone()
    # An occurrence that began the evening before `start` may still be running.
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    found: list[Occurrence] = []
    while day <= last:
        valid = (window.valid_from is None or day >= window.valid_from) and (
            window.valid_until is None or day <= window.valid_until
        )
        if valid and day.isoweekday() in days:
            begins = _local_datetime(day, window.start_time)
            ends = _local_datetime(day + timedelta(days=1) if overnight else day, window.end_time)
            if begins < end and ends > start:
                found.append(Occurrence(window, begins, ends))
        day += timedelta(days=1)
    return found


def windows_for_services(service_ids: Iterable[int]) -> QuerySet[BlackoutWindow]:
    """The active windows that apply to changes on these services: hospital-wide ones and
    those of the services."""
    return (
        BlackoutWindow.objects.active()
        .filter(Q(service__isnull=True) | Q(service_id__in=list(service_ids)))
        .select_related("service")
    )


def blackout_occurrences(
    start: datetime, end: datetime, windows: Iterable[BlackoutWindow] | None = None
) -> list[Occurrence]:
    """Every occurrence of the given windows (all active ones by default) in the period,
    by start."""
    if windows is None:
        windows = BlackoutWindow.objects.active().select_related("service")
    found = [o for w in windows for o in occurrences(w, start, end)]
    return sorted(found, key=lambda o: (o.start, o.window.pk))


@dataclass
class _Reach:
    """The change's own items, the items related to them, and the services concerned."""

    own: set[int]
    related: set[int]
    services: set[int]


def _reach(change: Change) -> _Reach:
    items = list(change.configuration_items.all())
    impact = impact_of_change(change, items)
    return _Reach(
        own={item.pk for item in items},
        related=impact.related_ids,
        services={service.pk for service in impact.services},
    )


def _format(moment: datetime) -> str:
    return timezone.localtime(moment, local_zone()).strftime("%Y-%m-%d %H:%M")


def _span(start: datetime, end: datetime) -> str:
    return "%s – %s" % (_format(start), _format(end))


def conflicts_of(change: Change) -> list[Conflict]:
    """What the change's planned window collides with: blackout windows first (they block
    scheduling), then other booked changes on the same or related items, then the
    implementer booked on another change at the same time. A change without a complete
    window has no conflicts."""
    start, end = change.planned_start, change.planned_end
    if start is None or end is None or end <= start:
        return []
    reach = _reach(change)
    found: list[Conflict] = []
    for occurrence in blackout_occurrences(start, end, windows_for_services(reach.services)):
        window = occurrence.window
        scope = (
            _("for %(service)s") % {"service": window.service}
            if window.service_id
            else _("hospital-wide")
        )
        found.append(
            Conflict(
                kind=ConflictKind.BLACKOUT,
                reason=_(
                    "The window falls in the blackout window “%(name)s” (%(scope)s, %(span)s)."
                )
                % {
                    "name": window.name,
                    "scope": scope,
                    "span": _span(occurrence.start, occurrence.end),
                },
                window=window,
                start=occurrence.start,
                end=occurrence.end,
            )
        )
    overlapping = (
        Change.objects.filter(
            status__in=BOOKED_STATUSES, planned_start__lt=end, planned_end__gt=start
        )
        .exclude(pk=change.pk)
        .select_related("implementer")
        .order_by("planned_start", "pk")
    )
    items = reach.own | reach.related
    if items:
        names = dict(ConfigurationItem.objects.filter(pk__in=items).values_list("pk", "code"))
        through = Change.configuration_items.through
        shared: dict[int, set[int]] = {}
        for change_id, item_id in through.objects.filter(
            change__in=overlapping, configurationitem_id__in=items
        ).values_list("change_id", "configurationitem_id"):
            shared.setdefault(change_id, set()).add(item_id)
        for other in overlapping:
            touched = shared.get(other.pk)
            if not touched:
                continue
            same = sorted(names[i] for i in touched & reach.own)
            span = _span(other.planned_start, other.planned_end)  # type: ignore[arg-type]
            if same:
                found.append(
                    Conflict(
                        kind=ConflictKind.SAME_ITEM,
                        reason=_(
                            "%(number)s changes the same item %(items)s at that time (%(span)s)."
                        )
                        % {"number": other.number, "items": ", ".join(same), "span": span},
                        change=other,
                        start=other.planned_start,
                        end=other.planned_end,
                    )
                )
            else:
                related = sorted(names[i] for i in touched)
                found.append(
                    Conflict(
                        kind=ConflictKind.RELATED_ITEM,
                        reason=_(
                            "%(number)s changes the related item %(items)s at that time (%(span)s)."
                        )
                        % {"number": other.number, "items": ", ".join(related), "span": span},
                        change=other,
                        start=other.planned_start,
                        end=other.planned_end,
                    )
                )
    if change.implementer_id is not None:
        for other in overlapping:
            if other.implementer_id == change.implementer_id:
                found.append(
                    Conflict(
                        kind=ConflictKind.IMPLEMENTER,
                        reason=_(
                            "%(person)s also implements %(number)s at the same time (%(span)s)."
                        )
                        % {
                            "person": other.implementer,
                            "number": other.number,
                            "span": _span(other.planned_start, other.planned_end),  # type: ignore[arg-type]
                        },
                        change=other,
                        start=other.planned_start,
                        end=other.planned_end,
                    )
                )
    return found


def booked_changes(start: datetime, end: datetime) -> QuerySet[Change]:
    """The booked changes whose planned window overlaps [start, end): what the calendar
    shows."""
    return Change.objects.filter(
        status__in=BOOKED_STATUSES, planned_start__lt=end, planned_end__gt=start
    )


def conflicts_for_viewer(change: Change, viewer: Any) -> list[Conflict]:
    """The change's conflicts as this user may read them: a conflicting change he cannot
    see is not named (a vendor engineer learns that something else is booked, not what)."""
    found = conflicts_of(change)
    others = {c.change.pk for c in found if c.change is not None}
    visible = (
        set(Change.objects.visible_to(viewer).filter(pk__in=others).values_list("pk", flat=True))
        if others
        else set()
    )
    hidden = {
        ConflictKind.SAME_ITEM: _("Another change is booked on the same item at that time."),
        ConflictKind.RELATED_ITEM: _("Another change is booked on a related item at that time."),
        ConflictKind.IMPLEMENTER: _("The implementer is booked on another change at that time."),
    }
    return [
        c
        if c.change is None or c.change.pk in visible
        else Conflict(
            kind=c.kind, reason=str(hidden[ConflictKind(c.kind)]), start=c.start, end=c.end
        )
        for c in found
    ]

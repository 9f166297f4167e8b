"""Business calendars: building the working-time arithmetic of a calendar from its rows,
and the verbs that edit a calendar's weekly hours, its own days and the national table of
statutory days.

Which periods a date has (the rule `working_time` applies):

1. a 7×24 calendar: every second, nothing else matters;
2. the calendar's own day (CalendarDay) for that date, if any: a holiday has no periods, a
   working day has Monday's;
3. else, when the calendar observes China's statutory holidays, the national table
   (StatutoryDay): a holiday has no periods, an adjusted working day (调休) has Monday's;
4. else the weekday's working periods.

`working_time` keeps one `WorkingTime` per calendar in the process, keyed by the calendar
row's version, update time and fields. Every verb here that changes what a calendar's
clock does bumps the `version` (and `updated_at`) of each calendar it affects in the same
transaction — a statutory day touches every calendar observing statutory holidays — so any
process that reads the calendar row after the commit sees a new key and rebuilds. (Rows
saved some other way, as in the admin site, bump it through the signals of
`itsm.sla.services`; bulk writes and raw SQL that bypass both are not seen until the
calendar's version changes.) The key also holds the time zone and the two flags, so a
calendar row edited without a new version still rebuilds.

A TimeField cannot hold 24:00; a period ending at midnight is stored ending at 23:59:59
(END_OF_DAY), which this module reads as 24:00."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from itsm.core.services import diff, write_audit
from itsm.sla.choices import CalendarDayKind, Weekday
from itsm.sla.models import BusinessCalendar, CalendarDay, StatutoryDay, WorkingPeriod
from itsm.sla.worktime import Period, WorkingTime

PERMISSION = "sla.change_businesscalendar"
END_OF_DAY = dt.time(23, 59, 59)
MIDNIGHT = dt.time(0)

# Words accepted in the "kind" column of an import, lower-cased.
KIND_WORDS: dict[str, str] = {
    "holiday": CalendarDayKind.HOLIDAY,
    "节假日": CalendarDayKind.HOLIDAY,
    "假日": CalendarDayKind.HOLIDAY,
    "放假": CalendarDayKind.HOLIDAY,
    "休息": CalendarDayKind.HOLIDAY,
    "休": CalendarDayKind.HOLIDAY,
    "workday": CalendarDayKind.WORKDAY,
    "调休上班": CalendarDayKind.WORKDAY,
    "上班": CalendarDayKind.WORKDAY,
    "补班": CalendarDayKind.WORKDAY,
    "工作日": CalendarDayKind.WORKDAY,
    "班": CalendarDayKind.WORKDAY,
}
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_HEADER_WORDS = {"date", "日期"}
MAX_IMPORT_LINES = 5000

# --------------------------------------------------------------------------------------
# Building the arithmetic

_Key = tuple[int, int, dt.datetime, str, bool, bool]
_cache: dict[int, tuple[_Key, WorkingTime]] = {}


def working_time(calendar: BusinessCalendar) -> WorkingTime:
    """The working-time arithmetic of a calendar, from the process cache when the
    calendar row is unchanged, else built in at most three queries (periods, the
    calendar's days, the statutory table). Pass a calendar row read in this request."""
    key: _Key = (
        calendar.pk,
        calendar.version,
        calendar.updated_at,
        calendar.time_zone,
        calendar.always_open,
        calendar.statutory_holidays,
    )
    cached = _cache.get(calendar.pk)
    if cached is not None and cached[0] == key:
        return cached[1]
    built = build_working_time(calendar)
    _cache[calendar.pk] = (key, built)
    return built


def clear_cache() -> None:
    """Forget every built calendar (tests; never needed for correctness)."""
    _cache.clear()


def build_working_time(calendar: BusinessCalendar) -> WorkingTime:
    """A fresh `WorkingTime` from the database, without the cache."""
    zone = ZoneInfo(calendar.time_zone)
    if calendar.always_open:
        return WorkingTime(zone, always_open=True)
    weekly: dict[int, list[Period]] = {}
    for weekday, starts, ends in WorkingPeriod.objects.filter(calendar=calendar).values_list(
        "weekday", "starts", "ends"
    ):
        weekly.setdefault(weekday, []).append((starts, _end(ends)))
    monday = weekly.get(Weekday.MONDAY, [])
    overrides: dict[dt.date, list[Period]] = {}
    if calendar.statutory_holidays:
        for day, kind in StatutoryDay.objects.values_list("date", "kind"):
            overrides[day] = monday if kind == CalendarDayKind.WORKDAY else []
    # The calendar's own days come last: they override the statutory table.
    for day, kind in CalendarDay.objects.filter(calendar=calendar).values_list("date", "kind"):
        overrides[day] = monday if kind == CalendarDayKind.WORKDAY else []
    return WorkingTime(zone, weekly, overrides)


def _end(ends: dt.time) -> dt.time:
    """A stored end of 23:59:59 is 24:00, which WorkingTime writes as 00:00."""
    return MIDNIGHT if ends == END_OF_DAY else ends


def calendar_warnings(calendar: BusinessCalendar, today: dt.date) -> list[str]:
    """What an administrator should know about a calendar's data: a calendar observing
    statutory holidays with no statutory days recorded for this year, or — in November and
    December, once the State Council has published it — for next year."""
    if calendar.always_open or not calendar.statutory_holidays:
        return []
    years = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    known = {
        day.year
        for day in StatutoryDay.objects.filter(
            date__gte=dt.date(years[0], 1, 1), date__lte=dt.date(years[-1], 12, 31)
        ).dates("date", "year")
    }
    return [
        gettext(
            "No statutory holidays are recorded for %(year)d: until they are added or "
            "imported, its holidays count as working days and its adjusted working days "
            "(调休) as days off."
        )
        % {"year": year}
        for year in years
        if year not in known
    ]


# --------------------------------------------------------------------------------------
# Editing verbs


def _require_permission(actor: Any) -> None:
    if not actor.has_perm(PERMISSION):
        raise PermissionDenied(gettext("You may not change service level settings."))


def _bump(calendars: QuerySet[BusinessCalendar]) -> None:
    """Tell every process that these calendars changed (see the module's docstring)."""
    calendars.update(version=F("version") + 1, updated_at=timezone.now())


def _lock(calendar: BusinessCalendar) -> BusinessCalendar:
    return BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)


def _refresh(calendar: BusinessCalendar) -> None:
    calendar.refresh_from_db(fields=["version", "updated_at"])


def _format_periods(periods: Sequence[tuple[dt.time, dt.time]]) -> str:
    return ", ".join(
        "%s–%s" % (s.strftime("%H:%M"), "24:00" if e == END_OF_DAY else e.strftime("%H:%M"))
        for s, e in sorted(periods)
    )


def _weekly_text(rows: Iterable[tuple[int, dt.time, dt.time]]) -> dict[str, str]:
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, starts, ends in rows:
        by_day.setdefault(weekday, []).append((starts, ends))
    return {
        Weekday(weekday).name.lower(): _format_periods(periods)
        for weekday, periods in sorted(by_day.items())
    }


def _clean_periods(periods: Iterable[Mapping[str, Any]]) -> list[tuple[int, dt.time, dt.time]]:
    rows: list[tuple[int, dt.time, dt.time]] = []
    for period in periods:
        weekday, starts, ends = period.get("weekday"), period.get("starts"), period.get("ends")
        if weekday not in Weekday.values:
            raise ValidationError(gettext("Choose a weekday from Monday to Sunday."))
        if not isinstance(starts, dt.time) or not isinstance(ends, dt.time):
            raise ValidationError(gettext("A working period needs a start and an end time."))
        if starts >= ends:
            raise ValidationError(
                gettext("%(weekday)s: the period %(period)s ends before it starts.")
                % {"weekday": Weekday(weekday).label, "period": _format_periods([(starts, ends)])}
            )
        rows.append((int(weekday), starts, ends))
    rows.sort()
    for (day1, _s1, e1), (day2, s2, _e2) in pairwise(rows):
        if day1 == day2 and s2 < e1:
            raise ValidationError(
                gettext("%(weekday)s: the periods overlap.") % {"weekday": Weekday(day1).label}
            )
    return rows


@transaction.atomic
def set_working_periods(
    calendar: BusinessCalendar, periods: Iterable[Mapping[str, Any]], *, actor: Any
) -> None:
    """Replace the calendar's weekly hours with `periods`, each a mapping with `weekday`
    (0 = Monday … 6 = Sunday), `starts` and `ends` (times; END_OF_DAY for 24:00) — the
    shape of CalendarForm.periods() and of the API. Periods of one weekday must not
    overlap. Nothing is written, audited or bumped when the hours are unchanged."""
    _require_permission(actor)
    rows = _clean_periods(periods)
    locked = _lock(calendar)
    current = list(
        WorkingPeriod.objects.filter(calendar=locked)
        .order_by("weekday", "starts")
        .values_list("weekday", "starts", "ends")
    )
    if current == rows:
        return
    WorkingPeriod.objects.filter(calendar=locked).delete()
    WorkingPeriod.objects.bulk_create(
        WorkingPeriod(calendar=locked, weekday=weekday, starts=starts, ends=ends)
        for weekday, starts, ends in rows
    )
    before, after = _weekly_text(current), _weekly_text(rows)
    changes: dict[str, list[Any]] = {
        day.name.lower(): [before.get(day.name.lower()), after.get(day.name.lower())]
        for day in Weekday
        if before.get(day.name.lower()) != after.get(day.name.lower())
    }
    _bump(BusinessCalendar.objects.filter(pk=locked.pk))
    write_audit(locked, actor=actor, action="set_working_periods", changes=changes)
    _refresh(calendar)


def _check_kind(kind: str) -> None:
    if kind not in CalendarDayKind.values:
        raise ValidationError(gettext("Choose holiday or working day."))


@transaction.atomic
def add_calendar_day(
    calendar: BusinessCalendar, day: dt.date, kind: str, *, actor: Any, name: str = ""
) -> CalendarDay:
    """Make `day` a holiday or a working day of this calendar alone, overriding its weekly
    hours and the statutory table; a day already set is changed."""
    _require_permission(actor)
    _check_kind(kind)
    locked = _lock(calendar)
    existing = CalendarDay.objects.filter(calendar=locked, date=day).first()
    before = (existing.kind, existing.name) if existing else None
    if before == (kind, name):
        assert existing is not None
        return existing
    row = existing or CalendarDay(calendar=locked, date=day)
    row.kind, row.name = kind, name
    row.full_clean()
    row.save()
    _bump(BusinessCalendar.objects.filter(pk=locked.pk))
    write_audit(
        locked,
        actor=actor,
        action="set_calendar_day",
        changes={day.isoformat(): [before[0] if before else None, kind]},
        note=name,
    )
    _refresh(calendar)
    return row


@transaction.atomic
def remove_calendar_day(calendar: BusinessCalendar, day: dt.date, *, actor: Any) -> bool:
    """Give `day` back to the weekly hours and the statutory table. False when the
    calendar had no day of its own on that date (nothing is written)."""
    _require_permission(actor)
    locked = _lock(calendar)
    existing = CalendarDay.objects.filter(calendar=locked, date=day).first()
    if existing is None:
        return False
    existing.delete()
    _bump(BusinessCalendar.objects.filter(pk=locked.pk))
    write_audit(
        locked,
        actor=actor,
        action="remove_calendar_day",
        changes={day.isoformat(): [existing.kind, None]},
        note=existing.name,
    )
    _refresh(calendar)
    return True


def _statutory_calendars() -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.filter(statutory_holidays=True, always_open=False)


@transaction.atomic
def add_statutory_day(day: dt.date, kind: str, *, actor: Any, name: str = "") -> StatutoryDay:
    """Record one day of the national schedule (a holiday or an adjusted working day
    (调休)) for every calendar that observes statutory holidays; a day already recorded is
    changed."""
    _require_permission(actor)
    _check_kind(kind)
    existing = StatutoryDay.objects.select_for_update().filter(date=day).first()
    before = {"kind": existing.kind, "name": existing.name} if existing else {}
    if before == {"kind": kind, "name": name}:
        assert existing is not None
        return existing
    row = existing or StatutoryDay(date=day)
    row.kind, row.name = kind, name
    row.full_clean(validate_unique=existing is None)
    row.save()
    _bump(_statutory_calendars())
    write_audit(
        row,
        actor=actor,
        action="update" if existing else "create",
        changes=diff(before, {"kind": kind, "name": name}),
    )
    return row


@transaction.atomic
def remove_statutory_day(day: dt.date, *, actor: Any) -> bool:
    """Delete one day of the national schedule. False when none was recorded."""
    _require_permission(actor)
    existing = StatutoryDay.objects.select_for_update().filter(date=day).first()
    if existing is None:
        return False
    write_audit(
        existing,
        actor=actor,
        action="delete",
        changes={"kind": [existing.kind, None], "name": [existing.name, None]},
    )
    existing.delete()
    _bump(_statutory_calendars())
    return True


def parse_days(csv_text: str) -> list[tuple[dt.date, str, str]]:
    """Lines "date,kind,name" → (date, kind, name), validated in full. The date is
    YYYY-MM-DD (or with / or .); the kind holiday / 节假日 / 放假 / 休息 or workday /
    调休上班 / 上班 / 补班 / 工作日; the name is optional. An optional header line and blank
    lines are skipped. ValidationError lists every bad line by its number, in the active
    language."""
    errors: list[str] = []
    days: list[tuple[dt.date, str, str]] = []
    seen: dict[dt.date, int] = {}
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))
    first = True
    try:
        for cells in reader:
            line = reader.line_num
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue
            if first and cells[0].lower() in _HEADER_WORDS:
                first = False
                continue
            first = False
            if line > MAX_IMPORT_LINES:
                errors.append(
                    gettext("Import at most %(count)d lines at a time.")
                    % {"count": MAX_IMPORT_LINES}
                )
                break
            problem, parsed = _parse_line(cells, seen)
            if problem:
                errors.append(
                    gettext("Line %(line)d: %(error)s") % {"line": line, "error": problem}
                )
            elif parsed is not None:
                seen[parsed[0]] = line
                days.append(parsed)
    except csv.Error:
        errors.append(
            gettext("Line %(line)d: %(error)s")
            % {"line": reader.line_num, "error": gettext("this is not a CSV line.")}
        )
    if not errors and not days:
        errors.append(gettext("There are no days to import."))
    if errors:
        raise ValidationError(errors)
    return days


def _parse_line(
    cells: list[str], seen: Mapping[dt.date, int]
) -> tuple[str, tuple[dt.date, str, str] | None]:
    """One line's error message, or its parsed day."""
    if len(cells) > 3 or len(cells) < 2:
        return gettext("write three columns: date,kind,name."), None
    text, kind_text, name = [*cells, ""][:3]
    match = _DATE.match(text)
    day = None
    if match:
        try:
            day = dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            day = None
    if day is None:
        return gettext("“%(value)s” is not a date (write 2027-01-01).") % {"value": text}, None
    kind = KIND_WORDS.get(kind_text.lower())
    if kind is None:
        return (
            gettext("“%(value)s” is neither a holiday (节假日) nor a working day (调休上班).")
            % {"value": kind_text},
            None,
        )
    if len(name) > 100:
        return gettext("the name is longer than 100 characters."), None
    if day in seen:
        return (
            gettext("%(date)s is already on line %(line)d.")
            % {"date": day.isoformat(), "line": seen[day]},
            None,
        )
    return "", (day, kind, name)


@transaction.atomic
def import_days(csv_text: str, *, calendar: BusinessCalendar | None = None, actor: Any) -> int:
    """Import days from CSV lines "date,kind,name" (see parse_days): into the calendar's own
    days, or into the national statutory table when `calendar` is None. All or nothing:
    any bad line raises ValidationError listing every bad line, and nothing is written.
    Days already recorded are changed. Returns how many days were created or changed."""
    _require_permission(actor)
    days = parse_days(csv_text)
    dates = [day for day, _kind, _name in days]
    if calendar is None:
        statutory = {
            row.date: row for row in StatutoryDay.objects.select_for_update().filter(date__in=dates)
        }
        written = 0
        for day, kind, name in days:
            row = statutory.get(day)
            if row is not None and (row.kind, row.name) == (kind, name):
                continue
            before = {"kind": row.kind, "name": row.name} if row else {}
            action = "update" if row else "create"
            row = row or StatutoryDay(date=day)
            row.kind, row.name = kind, name
            row.save()
            write_audit(
                row,
                actor=actor,
                action=action,
                changes=diff(before, {"kind": kind, "name": name}),
                note=gettext("Imported"),
            )
            written += 1
        if written:
            _bump(_statutory_calendars())
        return written
    locked = _lock(calendar)
    own = {row.date: row for row in CalendarDay.objects.filter(calendar=locked, date__in=dates)}
    changes: dict[str, list[Any]] = {}
    created: list[CalendarDay] = []
    updated: list[CalendarDay] = []
    for day, kind, name in days:
        mine = own.get(day)
        if mine is not None and (mine.kind, mine.name) == (kind, name):
            continue
        changes[day.isoformat()] = [mine.kind if mine else None, kind]
        if mine is None:
            created.append(CalendarDay(calendar=locked, date=day, kind=kind, name=name))
        else:
            mine.kind, mine.name = kind, name
            updated.append(mine)
    CalendarDay.objects.bulk_create(created)
    CalendarDay.objects.bulk_update(updated, ["kind", "name"])
    if changes:
        _bump(BusinessCalendar.objects.filter(pk=locked.pk))
        write_audit(locked, actor=actor, action="import_calendar_days", changes=changes)
        _refresh(calendar)
    return len(changes)

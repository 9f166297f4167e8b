"""The laws of working-time arithmetic (issue 3, item 4), checked by hypothesis on the
hospital's office hours with China's statutory schedule, on a DST zone with night periods
that straddle the clock changes, on a calendar with five working seconds a week, on 7×24,
and on random calendars in random time zones — against an independent brute-force count.

Definitions the properties use: `add(s, d)` for d > 0 is the END of the d-th working
second after s, so the second just before it is working time ("never inside non-working
time": the due time lies within working time or is the end of a stretch of it, such as
12:00:00 when the morning ends at 12:00). Instants count in whole seconds (an input's
fraction of a second is dropped)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from itsm.sla.worktime import UTC, Period, WorkingTime

PROPERTY = settings(max_examples=200, deadline=None)
ONE = dt.timedelta(seconds=1)
MORNING = (dt.time(8), dt.time(12))
AFTERNOON = (dt.time(13, 30), dt.time(17, 30))
OFFICE: list[Period] = [MORNING, AFTERNOON]


def statutory(periods: list[Period]) -> dict[dt.date, list[Period]]:
    days: dict[dt.date, list[Period]] = {day: [] for day in chinese_calendar.holidays}
    days.update(dict.fromkeys(chinese_calendar.workdays, periods))
    return days


SHANGHAI_OFFICE = WorkingTime(
    ZoneInfo("Asia/Shanghai"), dict.fromkeys(range(5), OFFICE), statutory(OFFICE)
)
# Berlin's clocks change on Sundays between 02:00 and 03:00: the Sunday night shift
# crosses both changes, and Saturday's late shift ends at midnight (an end of 00:00).
BERLIN_NIGHTS = WorkingTime(
    ZoneInfo("Europe/Berlin"),
    {
        **{day: [(dt.time(9), dt.time(17))] for day in range(5)},
        5: [(dt.time(22), dt.time(0))],
        6: [(dt.time(0, 30), dt.time(2, 30)), (dt.time(2, 45), dt.time(5))],
    },
)
FIVE_SECONDS_A_WEEK = WorkingTime(
    ZoneInfo("America/New_York"), {2: [(dt.time(10), dt.time(10, 0, 5))]}
)
ROUND_THE_CLOCK = WorkingTime(ZoneInfo("Asia/Shanghai"), always_open=True)
FIXED = [SHANGHAI_OFFICE, BERLIN_NIGHTS]

ZONES = [
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # a half-hour DST shift
    "Asia/Kathmandu",  # a +05:45 offset
    "UTC",
]


@st.composite
def day_periods(draw: st.DrawFn) -> list[Period]:
    """0–3 disjoint periods of a day on a 15-minute grid; an end of 24:00 is time(0)."""
    marks = sorted(draw(st.sets(st.integers(0, 96), max_size=6)))
    if len(marks) % 2:
        marks = marks[:-1]
    periods = []
    for first, last in zip(marks[::2], marks[1::2], strict=True):
        periods.append(
            (
                dt.time(first // 4, first % 4 * 15),
                dt.time(0) if last == 96 else dt.time(last // 4, last % 4 * 15),
            )
        )
    return periods


@st.composite
def random_calendars(draw: st.DrawFn) -> WorkingTime:
    """Weekdays sharing one set of periods (some of them off), a Saturday and a Sunday of
    their own, a few dates with other periods, in one of several zones."""
    working, saturday, sunday = draw(day_periods()), draw(day_periods()), draw(day_periods())
    off = draw(st.sets(st.integers(0, 4), max_size=4))
    weekly = {day: working for day in range(5) if day not in off}
    weekly.update({5: saturday, 6: sunday})
    assume(any(weekly.values()))
    overrides = draw(
        st.dictionaries(
            st.dates(dt.date(2025, 12, 1), dt.date(2026, 12, 31)), day_periods(), max_size=6
        )
    )
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    return WorkingTime(zone, weekly, overrides)


calendars = st.one_of(st.sampled_from(FIXED), random_calendars())
# Instants from late 2025 to early 2027, sometimes with a fraction of a second.
instants = st.builds(
    lambda seconds, micro: dt.datetime.fromtimestamp(seconds, UTC).replace(microsecond=micro),
    st.integers(1_764_000_000, 1_800_000_000),
    st.one_of(st.just(0), st.integers(0, 999_999)),
)
# From one second to about five working days of eight hours.
durations = st.one_of(
    st.integers(0, 90),
    st.sampled_from([1800, 3600, 4 * 3600, 8 * 3600, 3 * 28_800, 5 * 28_800]),
    st.integers(0, 5 * 28_800),
)


def whole(instant: dt.datetime) -> dt.datetime:
    return instant.replace(microsecond=0)


# The four laws of issue 3, item 4 --------------------------------------------------


@PROPERTY
@given(calendars, instants, durations, durations)
def test_adding_d1_then_d2_working_seconds_equals_adding_their_sum(
    calendar: WorkingTime, start: dt.datetime, d1: int, d2: int
) -> None:
    assert calendar.add(calendar.add(start, d1), d2) == calendar.add(start, d1 + d2)


@PROPERTY
@given(calendars, instants, durations)
def test_a_due_time_is_never_inside_non_working_time_unless_the_duration_is_zero(
    calendar: WorkingTime, start: dt.datetime, seconds: int
) -> None:
    """The due time ends the last working second counted: the second before it is
    working time, so the due time is within working time or the end of a stretch of it."""
    due = calendar.add(start, seconds)
    if seconds == 0:
        assert due == start
    else:
        assert due > start
        assert calendar.is_working(due - ONE)
        assert calendar.is_working(due) or calendar.between(due - ONE, due + ONE) == 1


@PROPERTY
@given(calendars, instants, instants, durations)
def test_a_due_time_is_monotonic_in_the_start_time(
    calendar: WorkingTime, a: dt.datetime, b: dt.datetime, seconds: int
) -> None:
    early, late = min(a, b), max(a, b)
    assert calendar.add(early, seconds) <= calendar.add(late, seconds)


@PROPERTY
@given(calendars, instants, durations, durations)
def test_a_due_time_is_monotonic_in_the_duration(
    calendar: WorkingTime, start: dt.datetime, d1: int, d2: int
) -> None:
    short, long = min(d1, d2), max(d1, d2)
    assert calendar.add(start, short) <= calendar.add(start, long)


@PROPERTY
@given(calendars, instants, durations)
def test_counting_the_working_seconds_up_to_a_due_time_gives_the_duration(
    calendar: WorkingTime, start: dt.datetime, seconds: int
) -> None:
    assert calendar.between(start, calendar.add(start, seconds)) == seconds


@PROPERTY
@given(calendars, instants, instants)
def test_adding_the_working_seconds_between_two_instants_reaches_the_last_working_second(
    calendar: WorkingTime, a: dt.datetime, b: dt.datetime
) -> None:
    """add inverts between: it lands on or before the end, with no working time left
    between the two."""
    start, end = min(a, b), max(a, b)
    reached = calendar.add(start, calendar.between(start, end))
    assert reached <= end
    assert calendar.between(reached, end) == 0


# Further laws -----------------------------------------------------------------------


@PROPERTY
@given(instants, durations)
def test_on_7x24_adding_is_plain_addition(start: dt.datetime, seconds: int) -> None:
    due = ROUND_THE_CLOCK.add(start, seconds)
    if seconds:
        assert due == whole(start) + dt.timedelta(seconds=seconds)
        assert ROUND_THE_CLOCK.add(whole(start), seconds) == whole(start) + dt.timedelta(
            seconds=seconds
        )
    else:
        assert due == start
    assert ROUND_THE_CLOCK.is_working(start)


@PROPERTY
@given(calendars, instants, instants, instants)
def test_counting_is_additive_over_a_split(
    calendar: WorkingTime, a: dt.datetime, b: dt.datetime, c: dt.datetime
) -> None:
    first, middle, last = sorted((a, b, c))
    assert calendar.between(first, middle) + calendar.between(middle, last) == (
        calendar.between(first, last)
    )
    assert calendar.between(last, first) == 0 or first == last


@PROPERTY
@given(calendars, instants)
def test_an_instant_is_working_exactly_when_its_second_counts(
    calendar: WorkingTime, at: dt.datetime
) -> None:
    assert calendar.is_working(at) == (calendar.between(whole(at), whole(at) + ONE) == 1)


@settings(max_examples=50, deadline=None)
@given(instants, st.integers(1, 60))
def test_a_sparse_calendar_skips_weeks_exactly(start: dt.datetime, seconds: int) -> None:
    due = FIVE_SECONDS_A_WEEK.add(start, seconds)
    assert FIVE_SECONDS_A_WEEK.between(start, due) == seconds
    assert FIVE_SECONDS_A_WEEK.is_working(due - ONE)
    assert due.astimezone(ZoneInfo("America/New_York")).weekday() == 2


# Against a brute-force count ----------------------------------------------------------


def brute_force_between(
    zone: ZoneInfo,
    weekly: dict[int, list[Period]],
    overrides: dict[dt.date, list[Period]],
    start: dt.datetime,
    end: dt.datetime,
) -> int:
    """Working seconds in [start, end) by walking local dates and merging every period's
    instants (wall times read with fold=0) — no blocks, no bisection."""
    first, last = int(whole(start).timestamp()), int(whole(end).timestamp())
    if last <= first:
        return 0
    day = start.astimezone(zone).date() - dt.timedelta(days=2)
    stop = end.astimezone(zone).date() + dt.timedelta(days=2)
    stretches = []
    while day <= stop:
        for starts, ends in overrides.get(day, weekly.get(day.weekday(), [])):
            a = dt.datetime.combine(day, starts, tzinfo=zone).timestamp()
            b_day = day + dt.timedelta(days=1) if ends == dt.time(0) else day
            b = dt.datetime.combine(b_day, ends, tzinfo=zone).timestamp()
            stretches.append((max(int(a), first), min(int(b), last)))
        day += dt.timedelta(days=1)
    total, reach = 0, first
    for a, b in sorted(stretches):
        a = max(a, reach)
        if b > a:
            total += b - a
            reach = b
    return total


BRUTE_WEEKLY: dict[int, list[Period]] = {
    **{day: [(dt.time(9), dt.time(17))] for day in range(5)},
    5: [(dt.time(22), dt.time(0))],
    6: [(dt.time(0, 30), dt.time(2, 30)), (dt.time(2, 45), dt.time(5))],
}
BRUTE_DAYS: dict[dt.date, list[Period]] = {
    dt.date(2026, 3, 29): [(dt.time(1), dt.time(2, 30)), (dt.time(2, 30), dt.time(3, 15))],
    dt.date(2026, 10, 25): [(dt.time(2, 30), dt.time(2, 45))],
    dt.date(2026, 12, 31): [(dt.time(20), dt.time(0))],
    dt.date(2027, 1, 1): [(dt.time(0), dt.time(1))],
}
BERLIN = ZoneInfo("Europe/Berlin")
BRUTE = WorkingTime(BERLIN, BRUTE_WEEKLY, BRUTE_DAYS)
# Around the clock changes and the turn of the year, within a few weeks.
near_changes = st.builds(
    lambda centre, offset, micro: centre + dt.timedelta(seconds=offset, microseconds=micro),
    st.sampled_from(
        [
            dt.datetime(2026, 3, 29, 1, tzinfo=UTC),
            dt.datetime(2026, 10, 25, 1, tzinfo=UTC),
            dt.datetime(2026, 12, 31, 23, tzinfo=UTC),
        ]
    ),
    st.integers(-14 * 86_400, 14 * 86_400),
    st.one_of(st.just(0), st.integers(0, 999_999)),
)


@PROPERTY
@given(near_changes, near_changes)
def test_counting_agrees_with_a_brute_force_count_across_clock_changes(
    a: dt.datetime, b: dt.datetime
) -> None:
    assert BRUTE.between(a, b) == brute_force_between(BERLIN, BRUTE_WEEKLY, BRUTE_DAYS, a, b)


@PROPERTY
@given(near_changes, st.integers(1, 40 * 3600))
def test_a_due_time_is_the_earliest_instant_with_the_duration_counted(
    start: dt.datetime, seconds: int
) -> None:
    due = BRUTE.add(start, seconds)
    assert brute_force_between(BERLIN, BRUTE_WEEKLY, BRUTE_DAYS, start, due) == seconds
    assert brute_force_between(BERLIN, BRUTE_WEEKLY, BRUTE_DAYS, start, due - ONE) == seconds - 1

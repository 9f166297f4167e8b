"""Working-time arithmetic on examples checked by hand against a wall calendar.

The office hours are the hospital's usual ones: Monday to Friday 08:00–12:00 and
13:30–17:30 (eight hours a day), with China's published schedule from chinese-calendar.
2026: National Day and the holiday after it run 10-01 to 10-07, worked on Sunday 09-20 and
Saturday 10-10; Mid-autumn 09-25 to 09-27; the Spring Festival 02-15 to 02-23, worked on
Saturday 02-14 and Saturday 02-28."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from itsm.sla.worktime import UTC, Period, WorkingTime

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600
MINUTE = 60
OFFICE: list[Period] = [(dt.time(8), dt.time(12)), (dt.time(13, 30), dt.time(17, 30))]
WEEKDAYS = dict.fromkeys(range(5), OFFICE)


def statutory() -> dict[dt.date, list[Period]]:
    days: dict[dt.date, list[Period]] = {day: [] for day in chinese_calendar.holidays}
    days.update(dict.fromkeys(chinese_calendar.workdays, OFFICE))
    return days


OFFICE_HOURS = WorkingTime(SHANGHAI, WEEKDAYS, statutory())


def beijing(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def berlin(text: str, fold: int = 0) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN, fold=fold)


# The lunch break -----------------------------------------------------------------------


def test_an_hour_from_eleven_ends_at_noon_when_the_morning_ends() -> None:
    due = OFFICE_HOURS.add(beijing("2026-11-24 11:00"), HOUR)
    assert due == beijing("2026-11-24 12:00")


def test_the_lunch_break_does_not_count() -> None:
    assert OFFICE_HOURS.add(beijing("2026-11-24 11:00"), 2 * HOUR) == beijing("2026-11-24 14:30")
    assert OFFICE_HOURS.between(beijing("2026-11-24 11:00"), beijing("2026-11-24 14:30")) == (
        2 * HOUR
    )


def test_a_start_during_lunch_counts_from_half_past_one() -> None:
    due = OFFICE_HOURS.add(beijing("2026-11-24 12:30"), 30 * MINUTE)
    assert due == beijing("2026-11-24 14:00")


def test_noon_itself_is_not_working_time_but_the_second_before_is() -> None:
    assert OFFICE_HOURS.is_working(beijing("2026-11-24 11:59:59"))
    assert not OFFICE_HOURS.is_working(beijing("2026-11-24 12:00"))
    assert not OFFICE_HOURS.is_working(beijing("2026-11-24 13:29:59"))
    assert OFFICE_HOURS.is_working(beijing("2026-11-24 13:30"))


def test_one_working_second_from_the_last_second_of_the_morning_is_noon() -> None:
    assert OFFICE_HOURS.add(beijing("2026-11-24 11:59:59"), 1) == beijing("2026-11-24 12:00")
    assert OFFICE_HOURS.add(beijing("2026-11-24 11:59:59"), 2) == beijing("2026-11-24 13:30:01")


def test_a_working_day_is_eight_hours() -> None:
    day = OFFICE_HOURS.between(beijing("2026-11-24 00:00"), beijing("2026-11-25 00:00"))
    assert day == 8 * HOUR


# Weekends ------------------------------------------------------------------------------


def test_a_friday_five_oclock_start_crosses_the_weekend() -> None:
    due = OFFICE_HOURS.add(beijing("2026-11-27 17:00"), HOUR)
    assert due == beijing("2026-11-30 08:30")


def test_a_weekend_start_counts_from_monday_morning() -> None:
    assert OFFICE_HOURS.add(beijing("2026-11-28 10:00"), 15 * MINUTE) == beijing("2026-11-30 08:15")
    assert OFFICE_HOURS.between(beijing("2026-11-27 18:00"), beijing("2026-11-30 08:00")) == 0


def test_five_working_days_from_monday_morning_end_on_friday_evening() -> None:
    due = OFFICE_HOURS.add(beijing("2026-11-23 08:00"), 5 * 8 * HOUR)
    assert due == beijing("2026-11-27 17:30")


# China's statutory schedule --------------------------------------------------------------


def test_national_day_week_is_skipped() -> None:
    due = OFFICE_HOURS.add(beijing("2026-09-30 17:00"), HOUR)
    assert due == beijing("2026-10-08 08:30")


def test_the_adjusted_working_saturday_after_national_day_counts() -> None:
    assert OFFICE_HOURS.is_working(beijing("2026-10-10 09:00"))
    due = OFFICE_HOURS.add(beijing("2026-10-09 17:00"), HOUR)
    assert due == beijing("2026-10-10 08:30")


def test_the_adjusted_working_sunday_before_mid_autumn_counts() -> None:
    assert OFFICE_HOURS.add(beijing("2026-09-19 10:00"), HOUR) == beijing("2026-09-20 09:00")


def test_national_day_period_counts_only_the_days_worked() -> None:
    worked = OFFICE_HOURS.between(beijing("2026-09-30 08:00"), beijing("2026-10-09 08:00"))
    assert worked == 2 * 8 * HOUR  # 09-30 and 10-08


def test_the_spring_festival_saturday_before_is_worked_and_the_monday_after_is_not() -> None:
    assert OFFICE_HOURS.add(beijing("2026-02-13 17:00"), HOUR) == beijing("2026-02-14 08:30")
    # 02-23 is a Monday inside the holiday: the next working day is Tuesday 02-24.
    assert OFFICE_HOURS.add(beijing("2026-02-14 17:00"), HOUR) == beijing("2026-02-24 08:30")


def test_three_weeks_around_the_spring_festival_have_eleven_working_days() -> None:
    # 02-09..02-13 (5), Saturday 02-14 (1), 02-24..02-27 (4), Saturday 02-28 (1); the
    # weekdays 02-16..02-20 and 02-23 are holidays.
    worked = OFFICE_HOURS.between(beijing("2026-02-09 00:00"), beijing("2026-03-01 00:00"))
    assert worked == 11 * 8 * HOUR


# A calendar's own days -------------------------------------------------------------------


def test_an_extra_holiday_overrides_a_working_monday() -> None:
    calendar = WorkingTime(SHANGHAI, WEEKDAYS, {**statutory(), dt.date(2026, 11, 30): []})
    assert calendar.add(beijing("2026-11-27 17:00"), HOUR) == beijing("2026-12-01 08:30")


def test_an_extra_working_sunday_counts() -> None:
    calendar = WorkingTime(SHANGHAI, WEEKDAYS, {**statutory(), dt.date(2026, 11, 29): OFFICE})
    assert calendar.add(beijing("2026-11-27 17:00"), HOUR) == beijing("2026-11-29 08:30")


# Zero, empty calendars and bad input ----------------------------------------------------


def test_zero_seconds_is_the_start_itself_even_outside_working_time() -> None:
    start = beijing("2026-11-28 03:04:05.678")
    assert OFFICE_HOURS.add(start, 0) is start


def test_a_fraction_of_a_second_is_dropped() -> None:
    due = OFFICE_HOURS.add(beijing("2026-11-24 09:00:00.900"), 10)
    assert due == beijing("2026-11-24 09:00:10")


def test_results_are_in_utc() -> None:
    due = OFFICE_HOURS.add(beijing("2026-11-24 09:00"), HOUR)
    assert due.tzinfo is UTC
    assert due == dt.datetime(2026, 11, 24, 2, tzinfo=UTC)


def test_a_calendar_without_working_time_gives_no_due_time() -> None:
    never = WorkingTime(SHANGHAI, {})
    with pytest.raises(ValueError, match="No due time within 10 years"):
        never.add(beijing("2026-11-24 09:00"), 1)
    assert never.between(beijing("2026-01-01 00:00"), beijing("2027-01-01 00:00")) == 0
    assert not never.is_working(beijing("2026-11-24 09:00"))


def test_a_due_time_beyond_the_horizon_is_refused() -> None:
    with pytest.raises(ValueError, match="No due time"):
        OFFICE_HOURS.add(beijing("2026-11-24 09:00"), 12 * 250 * 8 * HOUR)


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        OFFICE_HOURS.add(dt.datetime(2026, 11, 24, 9), HOUR)  # noqa: DTZ001


def test_a_negative_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        OFFICE_HOURS.add(beijing("2026-11-24 09:00"), -1)


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        WorkingTime(SHANGHAI, {0: [(dt.time(12), dt.time(8))]})


def test_a_weekday_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="Weekdays"):
        WorkingTime(SHANGHAI, {7: OFFICE})


def test_a_working_time_cannot_be_changed_after_it_is_built() -> None:
    with pytest.raises(AttributeError):
        OFFICE_HOURS._tz = BERLIN  # type: ignore[misc]


def test_a_period_ending_at_midnight_runs_to_the_next_day() -> None:
    evenings = WorkingTime(SHANGHAI, dict.fromkeys(range(7), ((dt.time(20), dt.time(0)),)))
    assert evenings.between(beijing("2026-11-24 00:00"), beijing("2026-11-25 00:00")) == 4 * HOUR
    assert evenings.add(beijing("2026-11-24 23:00"), HOUR) == beijing("2026-11-25 00:00")
    assert evenings.add(beijing("2026-11-24 23:00"), HOUR + 1) == beijing("2026-11-25 20:00:01")
    assert evenings.periods_on(dt.date(2026, 11, 24)) == ((dt.time(20), dt.time(0)),)


def test_touching_periods_make_one_stretch() -> None:
    calendar = WorkingTime(SHANGHAI, {0: [(dt.time(8), dt.time(12)), (dt.time(12), dt.time(13))]})
    assert calendar.add(beijing("2026-11-23 11:00"), HOUR) == beijing("2026-11-23 12:00")
    assert calendar.is_working(beijing("2026-11-23 12:00"))


# 7×24 ----------------------------------------------------------------------------------------


def test_round_the_clock_counts_every_second_holidays_included() -> None:
    always = WorkingTime(SHANGHAI, {}, statutory(), always_open=True)
    start = beijing("2026-09-30 17:00")
    assert always.add(start, 3 * 86400) == beijing("2026-10-03 17:00")
    assert always.between(start, beijing("2026-10-08 17:00")) == 8 * 86400
    assert always.is_working(beijing("2026-10-01 03:00"))


# Another time zone, with summer time ---------------------------------------------------------

BERLIN_OFFICE = WorkingTime(BERLIN, dict.fromkeys(range(5), ((dt.time(9), dt.time(17)),)))


def test_berlin_hours_are_berlin_wall_times() -> None:
    assert BERLIN_OFFICE.add(berlin("2026-11-24 16:00"), 2 * HOUR) == berlin("2026-11-25 10:00")
    assert BERLIN_OFFICE.is_working(dt.datetime(2026, 11, 24, 8, tzinfo=UTC))  # 09:00 CET
    assert not BERLIN_OFFICE.is_working(dt.datetime(2026, 11, 24, 7, 59, tzinfo=UTC))


def test_a_weekend_with_the_autumn_clock_change_keeps_office_hours_on_wall_time() -> None:
    # Clocks go back on Sunday 2026-10-25: Friday is CEST (UTC+2), Monday CET (UTC+1).
    due = BERLIN_OFFICE.add(berlin("2026-10-23 16:00"), 2 * HOUR)
    assert due == berlin("2026-10-26 10:00")
    assert due == dt.datetime(2026, 10, 26, 9, tzinfo=UTC)
    assert BERLIN_OFFICE.between(berlin("2026-10-23 09:00"), berlin("2026-10-26 17:00")) == (
        16 * HOUR
    )


def test_a_night_shift_is_five_real_hours_the_night_clocks_go_back() -> None:
    night = WorkingTime(BERLIN, {6: [(dt.time(1), dt.time(5))]})
    sunday = (berlin("2026-10-25 00:00"), berlin("2026-10-26 00:00"))
    assert night.between(*sunday) == 5 * HOUR
    spring = (berlin("2026-03-29 00:00"), berlin("2026-03-30 00:00"))
    assert night.between(*spring) == 3 * HOUR


def test_an_ambiguous_wall_time_is_its_first_occurrence() -> None:
    # 02:30 happens twice on 2026-10-25: first at 00:30 UTC (CEST), then 01:30 UTC (CET).
    calendar = WorkingTime(BERLIN, {6: [(dt.time(2, 30), dt.time(3, 30))]})
    assert calendar.is_working(dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    assert calendar.between(berlin("2026-10-25 00:00"), berlin("2026-10-26 00:00")) == 2 * HOUR


def test_a_wall_time_in_the_spring_gap_moves_later_by_the_gap() -> None:
    # Clocks jump from 02:00 to 03:00 on 2026-03-29: 02:30 reads as 03:30 CEST.
    calendar = WorkingTime(BERLIN, {6: [(dt.time(2, 30), dt.time(4))]})
    assert calendar.between(berlin("2026-03-29 00:00"), berlin("2026-03-30 00:00")) == 30 * MINUTE
    assert calendar.add(berlin("2026-03-29 00:00"), 1) == dt.datetime(
        2026, 3, 29, 1, 30, 1, tzinfo=UTC
    )


def test_a_period_the_spring_gap_empties_is_dropped() -> None:
    # 02:30 reads as 03:30 CEST, later than 03:15 CEST: nothing is left of 02:30–03:15.
    calendar = WorkingTime(BERLIN, {6: [(dt.time(2, 30), dt.time(3, 15))]})
    assert calendar.between(berlin("2026-03-29 00:00"), berlin("2026-03-30 00:00")) == 0
    assert calendar.between(berlin("2026-04-05 00:00"), berlin("2026-04-06 00:00")) == 45 * MINUTE

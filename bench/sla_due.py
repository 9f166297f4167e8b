"""Due-time arithmetic in-process: `WorkingTime.add` calls per second on a realistic
calendar (Beijing office hours with a lunch break, China's statutory holidays and adjusted
working days (调休) of chinese-calendar), over starts spread across a year and targets from
30 minutes to 5 working days. It needs neither a database nor a server, so `make bench`
runs it first; `python -m bench --only due_times` runs it alone. Target (issue 3, item
13): at least 50,000 due times a second."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

import chinese_calendar

from itsm.sla.worktime import WorkingTime

KEY = "due_times"
TARGET_PER_SECOND = 50_000
HOUR = 3600
DAY = 8 * HOUR  # one working day of the calendar below
DURATIONS = (
    30 * 60,
    HOUR,
    2 * HOUR,
    4 * HOUR,
    DAY,
    2 * DAY,
    3 * DAY,
    5 * DAY,
)


def office_calendar() -> WorkingTime:
    office = [(dt.time(8), dt.time(12)), (dt.time(13, 30), dt.time(17, 30))]
    days: dict[dt.date, list[tuple[dt.time, dt.time]]] = {
        day: [] for day in chinese_calendar.holidays
    }
    days.update(dict.fromkeys(chinese_calendar.workdays, office))
    return WorkingTime(ZoneInfo("Asia/Shanghai"), dict.fromkeys(range(5), office), days)


def run(calls: int = 100_000, *, seed: int = 1, say: Callable[[str], None] = print) -> float:
    """Time `calls` due times over mixed starts and targets; say and return the rate."""
    calendar = office_calendar()
    rng = random.Random(seed)
    year = dt.datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    starts = [
        year + dt.timedelta(seconds=rng.randrange(365 * 86_400), microseconds=rng.randrange(10**6))
        for _ in range(calls)
    ]
    durations = [
        rng.choice(DURATIONS) if rng.random() < 0.7 else rng.randrange(60, 5 * DAY)
        for _ in range(calls)
    ]
    add = calendar.add
    for start, seconds in zip(starts[:1000], durations, strict=False):  # build the years
        add(start, seconds)
    began = time.perf_counter()
    for start, seconds in zip(starts, durations, strict=True):
        add(start, seconds)
    elapsed = time.perf_counter() - began
    rate = calls / elapsed
    say(
        "  due times (WorkingTime.add, office hours + statutory holidays): %d calls in %.2f s, "
        "%.0f/s, target >= %d/s: %s"
        % (calls, elapsed, rate, TARGET_PER_SECOND, "ok" if rate >= TARGET_PER_SECOND else "MISSED")
    )
    return rate


if __name__ == "__main__":
    run()

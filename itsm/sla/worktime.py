"""Working-time arithmetic of a business calendar, exact to the second, in pure Python.

A `WorkingTime` knows when the clock runs: weekly periods per weekday (several a day, so a
lunch break lies between two), whole days whose periods differ (statutory holidays,
adjusted working days (调休), a calendar's own extra days), in one time zone, or simply
7×24. It answers three questions: when have `n` working seconds elapsed after an instant
(`add`), how many working seconds lie between two instants (`between`), and whether an
instant is working time (`is_working`). It knows nothing of Django: `itsm.sla.calendars`
builds one from a calendar's rows.

Rules, chosen once and tested by properties in `tests/test_worktime_properties.py`:

- Time is counted in whole seconds. An input instant's fraction of a second is dropped
  (rounded down), so `add` and `between` are integer arithmetic on epoch seconds.
- A working period is half-open, [starts, ends): a morning 08:00–12:00 contains 11:59:59
  but not 12:00:00. `is_working` answers for the second that begins at the instant.
- `add(start, d)` for d > 0 is the earliest instant `t` with `between(start, t) == d`: the
  END of the d-th working second. It may therefore be a period's end (12:00:00 when the
  morning ends at 12:00), never the start of the next period; the second before it is
  always working time. `add(start, 0)` is `start` itself, whatever it is.
- Results are aware datetimes in UTC (`datetime.UTC`); compare them as instants or
  convert them with `astimezone` for display. `add(start, 0)` returns `start` unchanged.
- Local wall times become instants as Python reads them with fold=0 (PEP 495), which is
  also java.time's rule: a wall time in a spring-forward gap moves later by the gap's
  length (02:30 becomes 03:30 when clocks jump from 02:00 to 03:00), and a wall time that
  occurs twice in an autumn overlap is its first occurrence. A period's real length is
  whatever elapses between its two instants, so the night a clock falls back, 01:00–05:00
  is five hours. Periods that a gap makes empty are dropped; overlapping ones are merged.
- A period ending at `time(0)` ends at midnight at the end of its day (24:00).

Speed: the periods of each local year are turned once into sorted epoch intervals with
running totals (a "block"), cached in the instance; `add` and `between` are then a few
bisections. Blocks are built on first use, so any year works; `add` gives up with a
ValueError when the due time would lie beyond the HORIZON_YEARS local years that follow
the start's year (a calendar with no working time at all, or an absurd duration)."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final

UTC: Final = dt.UTC
HORIZON_YEARS: Final = 10
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL: Final = dt.date(1970, 1, 1).toordinal()
_DAY: Final = 86_400
# Mean Gregorian year: a first guess of an instant's local year, corrected by the blocks.
_MEAN_YEAR: Final = 31_556_952
_MIN_YEAR: Final = 2
_MAX_YEAR: Final = 9997

Period = tuple[dt.time, dt.time]
_Seconds = tuple[tuple[int, int], ...]  # periods as seconds since local midnight


def _to_epoch(value: dt.datetime) -> int:
    """Whole epoch seconds of an aware datetime, rounded down (exact integer arithmetic)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("A naive datetime has no instant: give a time zone (%r)." % value)
    delta = value - _EPOCH
    return delta.days * _DAY + delta.seconds


def _from_epoch(seconds: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=seconds)


def _day_seconds(periods: Sequence[Period], where: str) -> _Seconds:
    """Validate one day's periods and turn them into (start, end) seconds after midnight,
    sorted; an end of 00:00 is 24:00."""
    result = []
    for period in periods:
        starts, ends = period
        for value in (starts, ends):
            if not isinstance(value, dt.time) or value.tzinfo is not None:
                raise ValueError("%s: periods are pairs of naive times, not %r." % (where, value))
        first = starts.hour * 3600 + starts.minute * 60 + starts.second
        last = ends.hour * 3600 + ends.minute * 60 + ends.second
        if last == 0:
            last = _DAY
        if starts.microsecond or ends.microsecond:
            raise ValueError("%s: periods are given to the second (%r)." % (where, period))
        if first >= last:
            raise ValueError("%s: the period %s–%s ends before it starts." % (where, *period))
        result.append((first, last))
    return tuple(sorted(result))


class _Block:
    """One local year of working time: sorted, disjoint epoch intervals [starts[i],
    ends[i]) inside [lo, hi), and cumulative[i] = working seconds from lo to ends[i]."""

    __slots__ = ("cumulative", "ends", "hi", "lo", "starts", "total", "year")

    def __init__(self, year: int, lo: int, hi: int, intervals: list[tuple[int, int]]) -> None:
        self.year = year
        self.lo = lo
        self.hi = hi
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.cumulative: list[int] = []
        running = 0
        for start, end in intervals:
            running += end - start
            self.starts.append(start)
            self.ends.append(end)
            self.cumulative.append(running)
        self.total = running

    def worked_before(self, at: int) -> int:
        """Working seconds in [lo, at), for lo <= at <= hi."""
        i = bisect_right(self.ends, at)  # first interval ending after `at`
        if i == len(self.ends):
            return self.total
        start = self.starts[i]
        before = self.cumulative[i] - (self.ends[i] - start)
        return before + at - start if at > start else before

    def instant_after(self, worked: int) -> int:
        """The earliest instant with `worked` working seconds since lo (0 < worked <= total)."""
        i = bisect_left(self.cumulative, worked)
        return self.ends[i] - (self.cumulative[i] - worked)

    def contains(self, at: int) -> bool:
        i = bisect_right(self.ends, at)
        return i < len(self.starts) and self.starts[i] <= at


class WorkingTime:
    """When a calendar's clock runs, and arithmetic on it. Immutable once built; safe to
    share between threads (the lazily built year blocks are only ever added, whole)."""

    __slots__ = ("_always_open", "_blocks", "_by_ordinal", "_overrides", "_tz", "_weekly")
    _always_open: bool
    _blocks: dict[int, _Block]
    _by_ordinal: dict[int, _Seconds]
    _overrides: Mapping[dt.date, _Seconds]
    _tz: dt.tzinfo
    _weekly: tuple[_Seconds, ...]

    def __init__(
        self,
        time_zone: dt.tzinfo,
        weekly: Mapping[int, Sequence[Period]] | None = None,
        overrides: Mapping[dt.date, Sequence[Period]] | None = None,
        *,
        always_open: bool = False,
    ) -> None:
        """`weekly` maps a weekday (0 = Monday … 6 = Sunday) to its periods; a missing
        weekday has none. `overrides` maps a date to the periods it has instead (an empty
        list: a holiday). With `always_open` (7×24) every second counts and the rest is
        ignored."""
        if not isinstance(time_zone, dt.tzinfo):
            raise ValueError("time_zone must be a tzinfo such as ZoneInfo('Asia/Shanghai').")
        week: list[_Seconds] = [(), (), (), (), (), (), ()]
        for weekday, periods in (weekly or {}).items():
            if weekday not in range(7):
                raise ValueError("Weekdays are 0 (Monday) to 6 (Sunday), not %r." % weekday)
            week[weekday] = _day_seconds(periods, "weekday %d" % weekday)
        days = {
            day: _day_seconds(periods, day.isoformat())
            for day, periods in (overrides or {}).items()
        }
        object.__setattr__(self, "_tz", time_zone)
        object.__setattr__(self, "_always_open", bool(always_open))
        object.__setattr__(self, "_weekly", tuple(week))
        object.__setattr__(self, "_overrides", MappingProxyType(days))
        object.__setattr__(
            self, "_by_ordinal", {day.toordinal(): periods for day, periods in days.items()}
        )
        object.__setattr__(self, "_blocks", {})

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("WorkingTime is immutable; build a new one.")

    def __repr__(self) -> str:
        if self._always_open:
            return "<WorkingTime 7×24>"
        hours = sum(end - start for day in self._weekly for start, end in day) / 3600
        return "<WorkingTime %s, %g h a week, %d days overridden>" % (
            self._tz,
            hours,
            len(self._overrides),
        )

    @property
    def time_zone(self) -> dt.tzinfo:
        return self._tz

    @property
    def always_open(self) -> bool:
        return self._always_open

    # -- the three questions ----------------------------------------------------------

    def add(self, start: dt.datetime, seconds: int) -> dt.datetime:
        """The instant at which `seconds` working seconds after `start` have elapsed: the
        end of the last of them, in UTC. 0 gives `start` itself. ValueError for a
        negative duration, a naive start, or no such instant within HORIZON_YEARS."""
        if not isinstance(seconds, int) or seconds < 0:
            raise ValueError("A duration is a whole, non-negative number of seconds: %r." % seconds)
        at = _to_epoch(start)
        if seconds == 0:
            return start
        if self._always_open:
            return _from_epoch(at + seconds)
        block = self._block_at(at)
        first_year = year = block.year
        wanted = block.worked_before(at) + seconds
        while wanted > block.total:
            wanted -= block.total
            year += 1
            if year - first_year > HORIZON_YEARS or year > _MAX_YEAR:
                raise ValueError(
                    "No due time within %d years of %s: the calendar has too little working "
                    "time for %d working seconds." % (HORIZON_YEARS, start.isoformat(), seconds)
                )
            block = self._block(year)
        return _from_epoch(block.instant_after(wanted))

    def between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working seconds in [start, end); 0 when end <= start."""
        first = _to_epoch(start)
        last = _to_epoch(end)
        if last <= first:
            return 0
        if self._always_open:
            return last - first
        block = self._block_at(first)
        end_block = self._block_at(last)
        if block is end_block:
            return block.worked_before(last) - block.worked_before(first)
        total = block.total - block.worked_before(first)
        year = block.year + 1
        end_year = end_block.year
        while year < end_year:
            total += self._block(year).total
            year += 1
        return total + end_block.worked_before(last)

    def is_working(self, at: dt.datetime) -> bool:
        """Whether the second beginning at `at` (rounded down) is working time."""
        instant = _to_epoch(at)
        return self._always_open or self._block_at(instant).contains(instant)

    def periods_on(self, day: dt.date) -> tuple[Period, ...]:
        """The periods of a local date as wall times (an end of 00:00 is midnight)."""
        if self._always_open:
            return ((dt.time(0), dt.time(0)),)
        return tuple((_wall(start), _wall(end)) for start, end in self._periods_seconds(day))

    # -- year blocks ------------------------------------------------------------------

    def _periods_seconds(self, day: dt.date) -> _Seconds:
        found = self._overrides.get(day)
        return found if found is not None else self._weekly[day.weekday()]

    def _offset(self, ordinal: int, second: int = 0) -> int:
        """The UTC offset in seconds of a local wall time (a day's ordinal and seconds
        after its midnight, up to 24:00), read with fold=0."""
        wall = dt.datetime.fromordinal(ordinal) + dt.timedelta(seconds=second)
        offset = self._tz.utcoffset(wall)
        if offset is None:
            raise ValueError("The time zone %r gives no UTC offset." % self._tz)
        return offset.days * _DAY + offset.seconds

    def _block(self, year: int) -> _Block:
        block = self._blocks.get(year)
        if block is None:
            block = self._build_block(year)
            # setdefault: two threads building the same year keep the same object.
            block = self._blocks.setdefault(year, block)
        return block

    def _build_block(self, year: int) -> _Block:
        """The year's periods as merged epoch intervals. A wall time's instant is its
        naive epoch seconds less its UTC offset. On a day whose offset is the same at
        midnight, noon and the next midnight (all days but those of a clock change, since
        no zone changes its offset twice within twelve hours) one offset serves every
        period; on the others each wall time gets its own."""
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            raise ValueError(
                "Working time is computed for the years %d–%d." % (_MIN_YEAR, _MAX_YEAR)
            )
        first = dt.date(year, 1, 1).toordinal()
        last = dt.date(year + 1, 1, 1).toordinal()
        midnight = [self._offset(ordinal) for ordinal in range(first, last + 1)]
        lo = (first - _EPOCH_ORDINAL) * _DAY - midnight[0]
        hi = (last - _EPOCH_ORDINAL) * _DAY - midnight[-1]
        weekly, by_ordinal = self._weekly, self._by_ordinal
        raw: list[tuple[int, int]] = []
        for index, ordinal in enumerate(range(first, last)):
            periods = by_ordinal.get(ordinal)
            if periods is None:
                periods = weekly[(ordinal - 1) % 7]  # ordinal 1 (0001-01-01) is a Monday
            if not periods:
                continue
            base = (ordinal - _EPOCH_ORDINAL) * _DAY
            offset = midnight[index]
            if offset == midnight[index + 1] and offset == self._offset(ordinal, _DAY // 2):
                for starts, ends in periods:
                    raw.append((base + starts - offset, base + ends - offset))
            else:
                for starts, ends in periods:
                    raw.append(
                        (
                            base + starts - self._offset(ordinal, starts),
                            base + ends - self._offset(ordinal, ends),
                        )
                    )
        raw.sort()
        merged: list[tuple[int, int]] = []
        for start, end in raw:
            start, end = max(start, lo), min(end, hi)
            if start >= end:  # a spring-forward gap may empty a period
                continue
            if merged and start <= merged[-1][1]:  # overlapping or touching: one stretch
                if end > merged[-1][1]:
                    merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        return _Block(year, lo, hi, merged)

    def _block_at(self, at: int) -> _Block:
        """The block of the local year containing the instant `at`."""
        year = 1970 + at // _MEAN_YEAR
        block = self._block(year)
        while at < block.lo:
            year -= 1
            block = self._block(year)
        while at >= block.hi:
            year += 1
            block = self._block(year)
        return block


def _wall(second: int) -> dt.time:
    if second == _DAY:
        return dt.time(0)
    hour, rest = divmod(second, 3600)
    return dt.time(hour, rest // 60, rest % 60)

"""Business calendars from the database: the rule that picks a date's periods, the process
cache and its invalidation by every edit, the editing verbs (permissions, audit, all-or-
nothing import with errors per line), the seeded statutory table and the warning that a
year's schedule is missing."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import translation

from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase
from itsm.sla import calendars
from itsm.sla.calendars import (
    END_OF_DAY,
    add_calendar_day,
    add_statutory_day,
    calendar_warnings,
    import_days,
    remove_calendar_day,
    remove_statutory_day,
    set_working_periods,
    working_time,
)
from itsm.sla.choices import CalendarDayKind, Weekday
from itsm.sla.models import BusinessCalendar, CalendarDay, StatutoryDay
from itsm.sla.tests.factories import HOUR, local, office_hours, round_the_clock

HOLIDAY = CalendarDayKind.HOLIDAY
WORKDAY = CalendarDayKind.WORKDAY


def weekly(
    periods: list[tuple[dt.time, dt.time]], days: range = range(5)
) -> list[dict[str, object]]:
    return [{"weekday": day, "starts": s, "ends": e} for day in days for s, e in periods]


def audit_actions(target: object) -> list[str]:
    return [
        entry.action
        for entry in AuditEntry.objects.filter(object_id=getattr(target, "pk", None)).order_by("id")
        if entry.content_type.model_class() is type(target)
    ]


class CalendarTestCase(BaseTestCase):
    office: BusinessCalendar

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.office = office_hours()

    def setUp(self) -> None:
        calendars.clear_cache()

    def fresh(self, calendar: BusinessCalendar | None = None) -> BusinessCalendar:
        """The calendar row as a request would read it."""
        return BusinessCalendar.objects.get(pk=(calendar or self.office).pk)


class WorkingTimeFromTheDatabaseTests(CalendarTestCase):
    def test_office_hours_observe_the_seeded_national_day_schedule(self) -> None:
        hours = working_time(self.fresh())
        assert hours.add(local("2026-09-30 17:00"), HOUR) == local("2026-10-08 08:30")
        assert hours.add(local("2026-10-09 17:00"), HOUR) == local("2026-10-10 08:30")

    def test_the_lunch_break_comes_from_the_periods(self) -> None:
        hours = working_time(self.fresh())
        assert hours.add(local("2026-11-24 11:00"), 2 * HOUR) == local("2026-11-24 14:30")

    def test_a_calendar_that_ignores_statutory_holidays_works_on_national_day(self) -> None:
        self.office.statutory_holidays = False
        self.office.save()
        hours = working_time(self.fresh())
        assert hours.add(local("2026-09-30 17:00"), HOUR) == local("2026-10-01 08:30")
        assert not hours.is_working(local("2026-10-10 09:00"))  # a Saturday again

    def test_the_calendars_own_day_overrides_the_statutory_table(self) -> None:
        CalendarDay.objects.create(calendar=self.office, date=dt.date(2026, 10, 5), kind=WORKDAY)
        CalendarDay.objects.create(calendar=self.office, date=dt.date(2026, 10, 10), kind=HOLIDAY)
        hours = working_time(self.fresh())
        assert hours.is_working(local("2026-10-05 09:00"))
        assert not hours.is_working(local("2026-10-10 09:00"))

    def test_an_adjusted_working_day_has_mondays_periods(self) -> None:
        self.office.periods.filter(weekday=Weekday.MONDAY, starts=dt.time(13, 30)).delete()
        hours = working_time(self.fresh())
        assert hours.is_working(local("2026-10-10 09:00"))
        assert not hours.is_working(local("2026-10-10 14:00"))  # Monday has no afternoon
        assert hours.is_working(local("2026-10-09 14:00"))  # Friday still has

    def test_a_period_stored_ending_at_235959_ends_at_midnight(self) -> None:
        self.office.periods.create(weekday=Weekday.SUNDAY, starts=dt.time(20), ends=END_OF_DAY)
        hours = working_time(self.fresh())
        sunday = hours.between(local("2026-11-29 00:00"), local("2026-11-30 00:00"))
        assert sunday == 4 * HOUR

    def test_7x24_counts_every_second(self) -> None:
        hours = working_time(round_the_clock())
        assert hours.add(local("2026-10-01 03:00"), HOUR) == local("2026-10-01 04:00")

    def test_another_time_zone_reads_the_periods_on_its_own_wall_clock(self) -> None:
        self.office.time_zone = "Europe/Berlin"
        self.office.statutory_holidays = False
        self.office.save()
        hours = working_time(self.fresh())
        start = dt.datetime(2026, 11, 24, 7, tzinfo=dt.UTC)  # 08:00 in Berlin
        assert hours.add(start, HOUR) == dt.datetime(2026, 11, 24, 8, tzinfo=dt.UTC)

    def test_building_takes_three_queries_and_the_cache_none(self) -> None:
        calendar = self.fresh()
        with self.assertNumQueries(3):
            first = working_time(calendar)
        again = self.fresh()
        with self.assertNumQueries(0):
            assert working_time(again) is first

    def test_a_calendar_without_statutory_holidays_builds_in_two_queries(self) -> None:
        self.office.statutory_holidays = False
        self.office.save()
        calendar = self.fresh()
        with self.assertNumQueries(2):
            working_time(calendar)


class CacheInvalidationTests(CalendarTestCase):
    def test_new_periods_are_seen_at_once(self) -> None:
        before = working_time(self.fresh())
        set_working_periods(self.office, weekly([(dt.time(9), dt.time(17))]), actor=self.admin)
        after = working_time(self.fresh())
        assert after is not before
        assert after.add(local("2026-11-24 11:00"), 2 * HOUR) == local("2026-11-24 13:00")

    def test_the_passed_calendar_is_refreshed_too(self) -> None:
        calendar = self.fresh()
        version = calendar.version
        add_calendar_day(calendar, dt.date(2026, 11, 30), HOLIDAY, actor=self.admin)
        assert calendar.version > version
        assert calendar.version == self.fresh().version
        assert not working_time(calendar).is_working(local("2026-11-30 09:00"))

    def test_an_extra_day_and_its_removal_are_seen_at_once(self) -> None:
        assert working_time(self.fresh()).is_working(local("2026-11-30 09:00"))
        add_calendar_day(self.office, dt.date(2026, 11, 30), HOLIDAY, actor=self.admin, name="院庆")
        assert not working_time(self.fresh()).is_working(local("2026-11-30 09:00"))
        assert remove_calendar_day(self.office, dt.date(2026, 11, 30), actor=self.admin)
        assert working_time(self.fresh()).is_working(local("2026-11-30 09:00"))

    def test_a_statutory_day_changes_every_calendar_observing_them(self) -> None:
        other = office_hours("第二日历")
        ignoring = office_hours("不放法定假")
        ignoring.statutory_holidays = False
        ignoring.save()
        always = round_the_clock()
        versions = {c.pk: self.fresh(c).version for c in (self.office, other, ignoring)}
        for calendar in (self.office, other, ignoring):
            assert working_time(self.fresh(calendar)).is_working(local("2027-01-01 09:00"))
        add_statutory_day(dt.date(2027, 1, 1), HOLIDAY, actor=self.admin, name="元旦")
        assert not working_time(self.fresh()).is_working(local("2027-01-01 09:00"))
        assert not working_time(self.fresh(other)).is_working(local("2027-01-01 09:00"))
        assert working_time(self.fresh(ignoring)).is_working(local("2027-01-01 09:00"))
        assert self.fresh(other).version > versions[other.pk]
        assert self.fresh(ignoring).version == versions[ignoring.pk]
        assert working_time(self.fresh(always)).is_working(local("2027-01-01 09:00"))

    def test_removing_a_statutory_day_is_seen_at_once(self) -> None:
        assert working_time(self.fresh()).is_working(local("2026-10-10 09:00"))
        assert remove_statutory_day(dt.date(2026, 10, 10), actor=self.admin)
        assert not working_time(self.fresh()).is_working(local("2026-10-10 09:00"))
        assert not remove_statutory_day(dt.date(2026, 10, 10), actor=self.admin)

    def test_a_changed_time_zone_is_seen_even_without_a_new_version(self) -> None:
        working_time(self.fresh())
        BusinessCalendar.objects.filter(pk=self.office.pk).update(time_zone="Europe/Berlin")
        assert working_time(self.fresh()).time_zone.key == "Europe/Berlin"  # type: ignore[attr-defined]

    def test_unchanged_periods_write_nothing(self) -> None:
        version = self.fresh().version
        set_working_periods(
            self.office,
            weekly([(dt.time(8), dt.time(12)), (dt.time(13, 30), dt.time(17, 30))]),
            actor=self.admin,
        )
        assert self.fresh().version == version
        assert audit_actions(self.office) == []


class EditingVerbTests(CalendarTestCase):
    def test_a_nurse_may_not_edit_a_calendar(self) -> None:
        attempts = [
            lambda: set_working_periods(self.office, [], actor=self.nurse),
            lambda: add_calendar_day(self.office, dt.date(2026, 12, 1), HOLIDAY, actor=self.nurse),
            lambda: remove_calendar_day(self.office, dt.date(2026, 12, 1), actor=self.nurse),
            lambda: add_statutory_day(dt.date(2027, 1, 1), HOLIDAY, actor=self.nurse),
            lambda: remove_statutory_day(dt.date(2026, 10, 1), actor=self.nurse),
            lambda: import_days("2027-01-01,holiday,元旦", actor=self.nurse),
            lambda: import_days("2027-01-01,holiday,", calendar=self.office, actor=self.nurse),
        ]
        for attempt in attempts:
            with self.assertRaises(PermissionDenied):
                attempt()
        assert self.office.periods.count() == 10
        assert not StatutoryDay.objects.filter(date__year=2027).exists()
        assert StatutoryDay.objects.filter(date=dt.date(2026, 10, 1)).exists()
        assert not CalendarDay.objects.exists()

    def test_an_engineer_may_not_edit_a_calendar_either(self) -> None:
        with self.assertRaises(PermissionDenied):
            add_calendar_day(self.office, dt.date(2026, 12, 1), HOLIDAY, actor=self.engineer)

    def test_setting_periods_replaces_them_and_is_audited(self) -> None:
        set_working_periods(
            self.office,
            weekly([(dt.time(8), dt.time(12))], range(6))
            + weekly([(dt.time(0), END_OF_DAY)], range(6, 7)),
            actor=self.admin,
        )
        assert self.office.periods.count() == 7
        entry = AuditEntry.objects.get(object_id=self.office.pk, action="set_working_periods")
        assert entry.actor == self.admin
        assert entry.changes["monday"] == ["08:00–12:00, 13:30–17:30", "08:00–12:00"]
        assert entry.changes["saturday"] == [None, "08:00–12:00"]
        assert entry.changes["sunday"] == [None, "00:00–24:00"]

    def test_overlapping_periods_are_refused(self) -> None:
        with self.assertRaises(ValidationError):
            set_working_periods(
                self.office,
                weekly([(dt.time(8), dt.time(12)), (dt.time(11), dt.time(14))], range(1)),
                actor=self.admin,
            )
        assert self.office.periods.count() == 10

    def test_a_period_ending_before_it_starts_is_refused(self) -> None:
        with (
            translation.override("en"),
            self.assertRaisesMessage(
                ValidationError, "Monday: the period 12:00–08:00 ends before it starts."
            ),
        ):
            set_working_periods(
                self.office, weekly([(dt.time(12), dt.time(8))], range(1)), actor=self.admin
            )

    def test_a_weekday_out_of_range_is_refused(self) -> None:
        with self.assertRaises(ValidationError):
            set_working_periods(
                self.office,
                [{"weekday": 7, "starts": dt.time(8), "ends": dt.time(9)}],
                actor=self.admin,
            )

    def test_an_extra_day_is_audited_on_the_calendar(self) -> None:
        add_calendar_day(self.office, dt.date(2026, 11, 30), HOLIDAY, actor=self.admin, name="院庆")
        add_calendar_day(self.office, dt.date(2026, 11, 30), WORKDAY, actor=self.admin, name="院庆")
        remove_calendar_day(self.office, dt.date(2026, 11, 30), actor=self.admin)
        entries = AuditEntry.objects.filter(object_id=self.office.pk).order_by("id")
        assert [(e.action, e.changes) for e in entries] == [
            ("set_calendar_day", {"2026-11-30": [None, HOLIDAY]}),
            ("set_calendar_day", {"2026-11-30": [HOLIDAY, WORKDAY]}),
            ("remove_calendar_day", {"2026-11-30": [WORKDAY, None]}),
        ]

    def test_adding_the_same_day_twice_writes_once(self) -> None:
        add_calendar_day(self.office, dt.date(2026, 11, 30), HOLIDAY, actor=self.admin)
        version = self.fresh().version
        add_calendar_day(self.office, dt.date(2026, 11, 30), HOLIDAY, actor=self.admin)
        assert self.fresh().version == version
        assert CalendarDay.objects.count() == 1

    def test_removing_a_day_the_calendar_does_not_have_writes_nothing(self) -> None:
        assert not remove_calendar_day(self.office, dt.date(2026, 11, 30), actor=self.admin)
        assert audit_actions(self.office) == []

    def test_an_unknown_kind_is_refused(self) -> None:
        with self.assertRaises(ValidationError):
            add_calendar_day(self.office, dt.date(2026, 11, 30), "vacation", actor=self.admin)
        with self.assertRaises(ValidationError):
            add_statutory_day(dt.date(2027, 1, 1), "vacation", actor=self.admin)

    def test_a_statutory_day_is_audited_on_its_row(self) -> None:
        row = add_statutory_day(dt.date(2027, 1, 1), HOLIDAY, actor=self.admin, name="元旦")
        add_statutory_day(dt.date(2027, 1, 1), HOLIDAY, actor=self.admin, name="元旦节")
        assert audit_actions(row) == ["create", "update"]
        entry = AuditEntry.objects.filter(object_id=row.pk, action="update").get()
        assert entry.changes == {"name": ["元旦", "元旦节"]}


GOOD_CSV = """\ufeff日期,类型,名称
2027-01-01,节假日,元旦

2027-02-06,调休上班,春节
2027/2/7,上班,春节
2027-02-10,holiday,春节
2027-02-11,Workday,
"""


class ImportTests(CalendarTestCase):
    def test_a_good_file_fills_the_statutory_table(self) -> None:
        written = import_days(GOOD_CSV, actor=self.admin)
        assert written == 5
        days = {
            row.date.isoformat(): (row.kind, row.name)
            for row in StatutoryDay.objects.filter(date__year=2027)
        }
        assert days == {
            "2027-01-01": (HOLIDAY, "元旦"),
            "2027-02-06": (WORKDAY, "春节"),
            "2027-02-07": (WORKDAY, "春节"),
            "2027-02-10": (HOLIDAY, "春节"),
            "2027-02-11": (WORKDAY, ""),
        }
        hours = working_time(self.fresh())
        assert hours.is_working(local("2027-02-06 09:00"))  # a Saturday worked
        assert not hours.is_working(local("2027-01-01 09:00"))
        row = StatutoryDay.objects.get(date=dt.date(2027, 1, 1))
        assert audit_actions(row) == ["create"]

    def test_a_good_file_fills_the_calendars_own_days(self) -> None:
        written = import_days(GOOD_CSV, calendar=self.office, actor=self.admin)
        assert written == 5
        assert self.office.days.count() == 5
        assert not StatutoryDay.objects.filter(date__year=2027).exists()
        entry = AuditEntry.objects.get(object_id=self.office.pk, action="import_calendar_days")
        assert entry.changes["2027-02-06"] == [None, WORKDAY]
        assert not working_time(self.fresh()).is_working(local("2027-02-10 09:00"))

    def test_importing_the_same_file_again_changes_nothing(self) -> None:
        import_days(GOOD_CSV, calendar=self.office, actor=self.admin)
        version = self.fresh().version
        assert import_days(GOOD_CSV, calendar=self.office, actor=self.admin) == 0
        assert self.fresh().version == version
        assert import_days(GOOD_CSV, actor=self.admin) == 5
        assert import_days(GOOD_CSV, actor=self.admin) == 0

    def test_an_import_changes_days_already_recorded(self) -> None:
        import_days("2026-10-10,holiday,国庆节", actor=self.admin)
        assert StatutoryDay.objects.get(date=dt.date(2026, 10, 10)).kind == HOLIDAY
        assert not working_time(self.fresh()).is_working(local("2026-10-10 09:00"))

    def test_a_bad_file_names_every_bad_line_and_writes_nothing(self) -> None:
        bad = (
            "date,kind,name\n"
            "2027-01-01,holiday,元旦\n"
            "2027-02-30,holiday,春节\n"
            "2027-02-06,vacation,春节\n"
            "\n"
            "2027-01-01,workday,重复\n"
            "2027-03-01\n"
            "tomorrow,holiday,\n"
            "2027-04-05,holiday," + "长" * 101 + "\n"
        )
        with translation.override("en"), self.assertRaises(ValidationError) as raised:
            import_days(bad, actor=self.admin)
        assert raised.exception.messages == [
            "Line 3: “2027-02-30” is not a date (write 2027-01-01).",
            "Line 4: “vacation” is neither a holiday (节假日) nor a working day (调休上班).",
            "Line 6: 2027-01-01 is already on line 2.",
            "Line 7: write three columns: date,kind,name.",
            "Line 8: “tomorrow” is not a date (write 2027-01-01).",
            "Line 9: the name is longer than 100 characters.",
        ]
        assert not StatutoryDay.objects.filter(date__year=2027).exists()
        with self.assertRaises(ValidationError):
            import_days(bad, calendar=self.office, actor=self.admin)
        assert not self.office.days.exists()
        assert not AuditEntry.objects.exists()

    def test_errors_are_in_the_users_language(self) -> None:
        with translation.override("zh-hans"), self.assertRaises(ValidationError) as raised:
            import_days("2027-01-01,holiday,元旦\n2027-13-01,holiday,", actor=self.admin)
        assert raised.exception.messages == ["第 2 行：“2027-13-01”不是日期（格式如 2027-01-01）。"]

    def test_an_empty_file_is_refused(self) -> None:
        with (
            translation.override("en"),
            self.assertRaisesMessage(ValidationError, "There are no days to import."),
        ):
            import_days("date,kind,name\n\n", actor=self.admin)


class StatutoryTableTests(CalendarTestCase):
    def test_the_migration_seeded_the_published_schedule(self) -> None:
        kinds = dict(StatutoryDay.objects.filter(date__year=2026).values_list("date", "kind"))
        holidays = sorted(day for day, kind in kinds.items() if kind == HOLIDAY)
        workdays = sorted(day for day, kind in kinds.items() if kind == WORKDAY)
        assert [d.isoformat() for d in workdays] == [
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10",
        ]
        national = [d for d in holidays if d.month == 10]
        assert national == [dt.date(2026, 10, day) for day in range(1, 8)]
        assert StatutoryDay.objects.get(date=dt.date(2026, 10, 3)).name == "国庆节"
        assert StatutoryDay.objects.get(date=dt.date(2026, 4, 5)).name == "清明节"
        assert StatutoryDay.objects.get(date=dt.date(2015, 9, 3)).name == "抗战胜利纪念日"
        assert StatutoryDay.objects.filter(date__year=2004).exists()

    def test_ordinary_weekends_are_not_in_the_table(self) -> None:
        assert not StatutoryDay.objects.filter(
            date__in=[dt.date(2026, 11, 28), dt.date(2026, 11, 29), dt.date(2026, 3, 7)]
        ).exists()

    def test_the_reverse_migration_removes_the_seeded_days_only(self) -> None:
        migration = importlib.import_module("itsm.sla.migrations.0002_statutory_days")
        add_statutory_day(dt.date(2027, 1, 1), HOLIDAY, actor=self.admin, name="元旦")
        count = StatutoryDay.objects.count()
        editor = SimpleNamespace(connection=connection)
        migration.unseed(apps, editor)
        assert list(StatutoryDay.objects.values_list("date", flat=True)) == [dt.date(2027, 1, 1)]
        migration.seed(apps, editor)
        assert StatutoryDay.objects.count() == count


class WarningTests(CalendarTestCase):
    def test_in_november_a_missing_next_year_is_announced(self) -> None:
        with translation.override("en"):
            warnings = calendar_warnings(self.office, dt.date(2026, 11, 26))
        assert len(warnings) == 1
        assert warnings[0].startswith("No statutory holidays are recorded for 2027")

    def test_the_warning_goes_once_next_years_days_are_imported(self) -> None:
        import_days("2027-01-01,节假日,元旦", actor=self.admin)
        assert calendar_warnings(self.office, dt.date(2026, 11, 26)) == []

    def test_before_november_only_the_current_year_matters(self) -> None:
        assert calendar_warnings(self.office, dt.date(2026, 6, 1)) == []
        assert len(calendar_warnings(self.office, dt.date(2027, 6, 1))) == 1

    def test_a_year_with_neither_year_recorded_warns_twice(self) -> None:
        assert len(calendar_warnings(self.office, dt.date(2030, 12, 1))) == 2

    def test_calendars_that_ignore_the_schedule_get_no_warning(self) -> None:
        self.office.statutory_holidays = False
        assert calendar_warnings(self.office, dt.date(2026, 11, 26)) == []
        assert calendar_warnings(round_the_clock(), dt.date(2026, 11, 26)) == []

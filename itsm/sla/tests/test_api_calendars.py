"""Calendars, their days, the national statutory table and the duty roster over the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from itsm.api.tests.support import ApiTestCase, page
from itsm.core.models import AuditEntry
from itsm.sla.choices import CalendarDayKind
from itsm.sla.models import BusinessCalendar, CalendarDay, DutyShift, StatutoryDay
from itsm.sla.tests.factories import office_hours, round_the_clock

READS = {
    "nurse": 403,
    "doctor": 403,
    "agent": 200,
    "engineer": 200,
    "vendor": 403,
    "other_vendor": 403,
    "manager": 200,
    "admin": 200,
    "outsider": 403,
    "anonymous": 401,
}
WRITES = {**READS, "agent": 403, "engineer": 403, "vendor": 403, "other_vendor": 403}


def audit_actions(obj: Any) -> list[str]:
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        )
        .order_by("pk")
        .values_list("action", flat=True)
    )


class CalendarApiTests(ApiTestCase):
    office: BusinessCalendar
    always: BusinessCalendar

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.office = office_hours()
        cls.always = round_the_clock()

    def test_who_may_read_calendars(self) -> None:
        self.assert_statuses(lambda client, role: client.get("/api/calendars/"), READS)
        self.assert_statuses(
            lambda client, role: client.get("/api/calendars/%d/" % self.office.pk), READS
        )
        self.assertEqual(self.api(self.agent).get("/api/calendars/98765/").status_code, 404)

    def test_a_calendar_reads_back_its_weekly_periods(self) -> None:
        data = self.api(self.engineer).get("/api/calendars/%d/" % self.office.pk).data
        self.assertEqual(len(data["periods"]), 10)
        self.assertEqual(
            data["periods"][:2],
            [
                {"weekday": 0, "starts": "08:00:00", "ends": "12:00:00"},
                {"weekday": 0, "starts": "13:30:00", "ends": "17:30:00"},
            ],
        )
        self.assertFalse(data["always_open"])

    def test_the_list_costs_the_same_queries_for_one_or_many_calendars(self) -> None:
        client = self.api(self.agent)
        with CaptureQueriesContext(connection) as two:
            client.get("/api/calendars/")
        self.assertLessEqual(len(two.captured_queries), 6)
        for n in range(4):
            office_hours("门诊 %d" % n)
        with self.assertNumQueries(len(two.captured_queries)):
            self.assertEqual(len(page(client.get("/api/calendars/"))), 6)

    def test_a_manager_creates_a_calendar_with_periods_in_one_request(self) -> None:
        response = self.api(self.manager).post(
            "/api/calendars/",
            {
                "name": "信息科值班",
                "time_zone": "Asia/Urumqi",
                "periods": [
                    {"weekday": 5, "starts": "09:00", "ends": "12:00"},
                    {"weekday": 5, "starts": "14:00", "ends": "17:00"},
                ],
            },
            format="json",
        )
        self.assertEqual(response.status_code, 201, response.data)
        calendar = BusinessCalendar.objects.get(name="信息科值班")
        self.assertEqual(calendar.periods.count(), 2)
        self.assertEqual(len(response.data["periods"]), 2)
        self.assertEqual(audit_actions(calendar), ["create", "set_working_periods"])

    def test_who_may_create_a_calendar(self) -> None:
        names = iter(range(100))
        self.assert_statuses(
            lambda client, role: client.post(
                "/api/calendars/", {"name": "历 %d" % next(names)}, format="json"
            ),
            {**WRITES, "manager": 201, "admin": 201},
        )

    def test_bad_time_zones_and_periods_answer_400_per_field(self) -> None:
        response = self.api(self.admin).post(
            "/api/calendars/",
            {
                "name": "坏",
                "time_zone": "Mars/Olympus",
                "periods": [{"weekday": 8, "starts": "12:00", "ends": "08:00"}],
            },
            format="json",
        )
        self.assert_error_fields(response, "time_zone", "periods")
        response = self.api(self.admin).post(
            "/api/calendars/",
            {
                "name": "重叠",
                "periods": [
                    {"weekday": 0, "starts": "08:00", "ends": "12:00"},
                    {"weekday": 0, "starts": "11:00", "ends": "13:00"},
                ],
            },
            format="json",
        )
        self.assert_error_fields(response, "non_field_errors")
        self.assertFalse(BusinessCalendar.objects.filter(name="重叠").exists())

    def test_an_edit_replaces_the_periods_and_a_stale_version_is_409(self) -> None:
        client = self.api(self.manager)
        url = "/api/calendars/%d/" % self.office.pk
        version = BusinessCalendar.objects.get(pk=self.office.pk).version
        response = client.patch(
            url,
            {"version": version, "periods": [{"weekday": 0, "starts": "08:00", "ends": "17:00"}]},
            format="json",
        )
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(len(response.data["periods"]), 1)
        self.assertGreater(response.data["version"], version)
        stale = client.patch(url, {"version": version, "name": "旧"}, format="json")
        self.assertEqual(stale.status_code, 409)
        self.assertEqual(BusinessCalendar.objects.get(pk=self.office.pk).name, self.office.name)
        self.assert_error_fields(client.patch(url, {"name": "x"}, format="json"), "version")

    def test_an_engineer_may_not_edit_a_calendar(self) -> None:
        response = self.api(self.engineer).patch(
            "/api/calendars/%d/" % self.office.pk, {"version": 1, "name": "x"}, format="json"
        )
        self.assertEqual(response.status_code, 403)


class CalendarDayApiTests(ApiTestCase):
    office: BusinessCalendar
    other: BusinessCalendar

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.office = office_hours()
        cls.other = office_hours("门诊")
        CalendarDay.objects.create(
            calendar=cls.office, date=dt.date(2026, 12, 31), kind=CalendarDayKind.HOLIDAY
        )
        CalendarDay.objects.create(
            calendar=cls.other, date=dt.date(2027, 1, 4), kind=CalendarDayKind.WORKDAY
        )

    def test_days_filter_by_calendar_and_year(self) -> None:
        client = self.api(self.agent)
        rows = page(client.get("/api/calendar-days/", {"calendar": self.office.pk}))
        self.assertEqual([r["date"] for r in rows], ["2026-12-31"])
        rows = page(client.get("/api/calendar-days/", {"year": 2027}))
        self.assertEqual([(r["calendar"], r["kind"]) for r in rows], [(self.other.pk, "workday")])
        self.assert_error_fields(client.get("/api/calendar-days/", {"calendar": 98765}), "calendar")

    def test_a_manager_adds_and_removes_a_day(self) -> None:
        client = self.api(self.manager)
        response = client.post(
            "/api/calendar-days/",
            {"calendar": self.office.pk, "date": "2027-03-08", "kind": "holiday", "name": "妇女节"},
            format="json",
        )
        self.assertEqual(response.status_code, 201, response.data)
        self.assertEqual(response.data["name"], "妇女节")
        response = client.delete("/api/calendar-days/%d/" % response.data["id"])
        self.assertEqual(response.status_code, 204)
        self.assertFalse(CalendarDay.objects.filter(name="妇女节").exists())
        self.assertEqual(audit_actions(self.office), ["set_calendar_day", "remove_calendar_day"])

    def test_who_may_add_a_day_and_bad_input(self) -> None:
        dates = iter(range(1, 28))
        self.assert_statuses(
            lambda client, role: client.post(
                "/api/calendar-days/",
                {
                    "calendar": self.office.pk,
                    "date": "2027-02-%02d" % next(dates),
                    "kind": "holiday",
                },
                format="json",
            ),
            {**WRITES, "manager": 201, "admin": 201},
        )
        response = self.api(self.admin).post(
            "/api/calendar-days/",
            {"calendar": self.office.pk, "date": "2027-02-30", "kind": "party"},
            format="json",
        )
        self.assert_error_fields(response, "date", "kind")

    def test_an_engineer_may_not_remove_a_day(self) -> None:
        day = CalendarDay.objects.get(calendar=self.office)
        self.assertEqual(
            self.api(self.engineer).delete("/api/calendar-days/%d/" % day.pk).status_code, 403
        )
        self.assertEqual(
            self.api(self.manager).delete("/api/calendar-days/98765/").status_code, 404
        )

    def test_a_calendar_imports_days_from_csv(self) -> None:
        response = self.api(self.manager).post(
            "/api/calendar-days/import/",
            {"calendar": self.office.pk, "csv": "2027-05-06,holiday,院庆\n2027-05-08,workday,\n"},
            format="json",
        )
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.data, {"imported": 2})
        self.assertEqual(self.office.days.count(), 3)

    def test_a_bad_csv_answers_400_naming_the_line(self) -> None:
        response = self.api(self.manager).post(
            "/api/calendar-days/import/",
            {"calendar": self.office.pk, "csv": "2027-05-06,holiday\nyesterday,holiday\n"},
            format="json",
        )
        self.assert_error_fields(response, "non_field_errors")
        self.assertIn("2", response.data["non_field_errors"][0])
        self.assertEqual(self.office.days.count(), 1)


class StatutoryDayApiTests(ApiTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        StatutoryDay.objects.create(
            date=dt.date(2031, 1, 1), kind=CalendarDayKind.HOLIDAY, name="元旦"
        )

    def test_statutory_days_list_by_year(self) -> None:
        self.assert_statuses(lambda client, role: client.get("/api/statutory-days/"), READS)
        rows = page(self.api(self.agent).get("/api/statutory-days/", {"year": 2031}))
        self.assertEqual([(r["date"], r["name"]) for r in rows], [("2031-01-01", "元旦")])

    def test_a_manager_adds_imports_and_deletes_statutory_days(self) -> None:
        client = self.api(self.admin)
        response = client.post(
            "/api/statutory-days/",
            {"date": "2031-01-26", "kind": "workday", "name": "春节调休上班"},
            format="json",
        )
        self.assertEqual(response.status_code, 201, response.data)
        response = client.post(
            "/api/statutory-days/import/",
            {"csv": "2031-01-27,节假日,春节\n2031-01-28,放假,春节\n"},
            format="json",
        )
        self.assertEqual(response.data, {"imported": 2})
        day = StatutoryDay.objects.get(date=dt.date(2031, 1, 1))
        self.assertEqual(client.delete("/api/statutory-days/%d/" % day.pk).status_code, 204)
        self.assertEqual(StatutoryDay.objects.filter(date__year=2031).count(), 3)
        self.assertFalse(StatutoryDay.objects.filter(date=dt.date(2031, 1, 1)).exists())
        self.assertEqual(audit_actions(day)[-1], "delete")

    def test_an_engineer_may_not_change_the_national_table(self) -> None:
        client = self.api(self.engineer)
        response = client.post(
            "/api/statutory-days/", {"date": "2031-02-01", "kind": "holiday"}, format="json"
        )
        self.assertEqual(response.status_code, 403)
        response = client.post("/api/statutory-days/import/", {"csv": "x"}, format="json")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(StatutoryDay.objects.filter(date__year=2031).count(), 1)


class DutyShiftApiTests(ApiTestCase):
    def test_a_manager_puts_himself_on_duty_and_anyone_in_it_finds_who_is_on_duty(self) -> None:
        now = timezone.now()
        response = self.api(self.manager).post(
            "/api/duty-shifts/",
            {
                "user": self.manager.pk,
                "starts_at": (now - dt.timedelta(hours=1)).isoformat(),
                "ends_at": (now + dt.timedelta(hours=11)).isoformat(),
                "note": "夜班",
            },
            format="json",
        )
        self.assertEqual(response.status_code, 201, response.data)
        rows = page(self.api(self.engineer).get("/api/duty-shifts/", {"on": now.isoformat()}))
        self.assertEqual([r["user"] for r in rows], [self.manager.pk])
        shift = DutyShift.objects.get()
        self.assertEqual(audit_actions(shift), ["create"])

    def test_only_managers_may_be_on_duty_and_shifts_end_after_they_start(self) -> None:
        now = timezone.now()
        response = self.api(self.manager).post(
            "/api/duty-shifts/",
            {"user": self.engineer.pk, "starts_at": now.isoformat(), "ends_at": now.isoformat()},
            format="json",
        )
        self.assert_error_fields(response, "ends_at")
        response = self.api(self.manager).post(
            "/api/duty-shifts/",
            {
                "user": self.engineer.pk,
                "starts_at": now.isoformat(),
                "ends_at": (now + dt.timedelta(hours=1)).isoformat(),
            },
            format="json",
        )
        self.assert_error_fields(response, "user")

    def test_who_may_keep_the_roster(self) -> None:
        now = timezone.now()
        shift = DutyShift.objects.create(
            user=self.manager, starts_at=now, ends_at=now + dt.timedelta(hours=8)
        )
        self.assert_statuses(
            lambda client, role: client.patch(
                "/api/duty-shifts/%d/" % shift.pk,
                {"note": role, "version": DutyShift.objects.get(pk=shift.pk).version},
                format="json",
            ),
            {**WRITES, "manager": 200, "admin": 200},
        )
        self.assertEqual(
            self.api(self.engineer).delete("/api/duty-shifts/%d/" % shift.pk).status_code, 403
        )
        self.assertEqual(
            self.api(self.admin).delete("/api/duty-shifts/%d/" % shift.pk).status_code, 204
        )
        self.assertFalse(DutyShift.objects.exists())

"""The calendar pages: weekly hours per weekday, the calendar's own days, the statutory
table of this year and the next, and the warning when a year has no statutory data;
managers edit hours, add and remove days and import CSV."""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase
from itsm.sla.choices import CalendarDayKind
from itsm.sla.models import BusinessCalendar, CalendarDay, StatutoryDay
from itsm.sla.tests.factories import office_hours, round_the_clock

WEEK = {"day_%d" % n: "08:00–12:00, 13:30–17:30" for n in range(5)}


class CalendarPageTests(BaseTestCase):
    office: BusinessCalendar
    always: BusinessCalendar

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.office = office_hours()
        cls.always = round_the_clock()
        CalendarDay.objects.create(
            calendar=cls.office,
            date=dt.date(timezone.localdate().year, 6, 1),
            kind=CalendarDayKind.HOLIDAY,
            name="院庆",
        )

    def version(self) -> int:
        return BusinessCalendar.objects.get(pk=self.office.pk).version

    def test_the_list_shows_each_calendar_with_its_hours(self) -> None:
        self.login(self.agent)
        with CaptureQueriesContext(connection) as counted:
            response = self.client.get(reverse("sla:calendar_list"))
        self.assertLessEqual(len(counted.captured_queries), 6)
        self.assertContains(response, "08:00–12:00")
        self.assertContains(response, "7×24")

    def test_the_detail_shows_periods_days_and_statutory_years(self) -> None:
        year = timezone.localdate().year
        StatutoryDay.objects.update_or_create(
            date=dt.date(year, 10, 1), defaults={"kind": CalendarDayKind.HOLIDAY, "name": "国庆节"}
        )
        self.login(self.engineer)
        response = self.client.get(self.office.get_absolute_url())
        self.assertContains(response, "13:30–17:30")
        self.assertContains(response, "院庆")
        self.assertContains(response, "国庆节")
        self.assertContains(response, str(year + 1))
        self.assertNotContains(response, reverse("sla:calendar_edit", args=[self.office.pk]))

    def test_the_detail_warns_when_this_year_has_no_statutory_days(self) -> None:
        StatutoryDay.objects.filter(date__year=timezone.localdate().year).delete()
        self.login(self.manager)
        response = self.client.get(self.office.get_absolute_url())
        self.assertContains(response, "data-warning")
        response = self.client.get(self.always.get_absolute_url())
        self.assertNotContains(response, "data-warning")

    def test_requesters_and_outsiders_may_not_open_calendars(self) -> None:
        for user in (self.doctor, self.outsider):
            self.login(user)
            self.assertEqual(self.client.get(reverse("sla:calendar_list")).status_code, 403)
            self.assertEqual(self.client.get(self.office.get_absolute_url()).status_code, 403)

    def test_a_missing_calendar_is_404(self) -> None:
        self.login(self.manager)
        url = reverse("sla:calendar_detail", args=[98765])
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_a_manager_edits_the_weekly_hours(self) -> None:
        self.login(self.manager)
        url = reverse("sla:calendar_edit", args=[self.office.pk])
        response = self.client.get(url)
        self.assertContains(response, 'value="08:00–12:00, 13:30–17:30"')
        data = {
            "name": self.office.name,
            "time_zone": "Asia/Shanghai",
            "statutory_holidays": "on",
            "version": self.version(),
            **WEEK,
            "day_5": "09:00-12:00",
        }
        response = self.client.post(url, data)
        self.assertRedirects(response, self.office.get_absolute_url())
        self.assertEqual(self.office.periods.filter(weekday=5).count(), 1)
        self.assertTrue(
            AuditEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(BusinessCalendar),
                object_id=self.office.pk,
                action="set_working_periods",
                actor=self.manager,
            ).exists()
        )

    def test_bad_hours_show_under_the_weekday_in_chinese(self) -> None:
        self.login(self.manager)
        url = reverse("sla:calendar_edit", args=[self.office.pk])
        data = {
            "name": self.office.name,
            "time_zone": "Mars/Base",
            "version": self.version(),
            **WEEK,
            "day_0": "08:00–12:00, 11:00–13:00",
            "day_1": "lunch",
        }
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "时段重叠", status_code=400)
        self.assertContains(response, "08:00–12:00, 13:30–17:30", status_code=400)
        self.assertContains(response, "Mars/Base", status_code=400)
        self.assertEqual(self.office.periods.count(), 10)

    def test_a_stale_calendar_page_is_refused(self) -> None:
        self.login(self.manager)
        url = reverse("sla:calendar_edit", args=[self.office.pk])
        stale = self.version() - 1
        data = {"name": "新名字", "time_zone": "Asia/Shanghai", "version": stale, **WEEK}
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 409)
        self.assertEqual(BusinessCalendar.objects.get(pk=self.office.pk).name, self.office.name)

    def test_a_manager_creates_a_calendar(self) -> None:
        self.login(self.admin)
        data = {"name": "门诊", "time_zone": "Asia/Shanghai", "statutory_holidays": "on", **WEEK}
        response = self.client.post(reverse("sla:calendar_create"), data)
        calendar = BusinessCalendar.objects.get(name="门诊")
        self.assertRedirects(response, calendar.get_absolute_url())
        self.assertEqual(calendar.periods.count(), 10)

    def test_engineers_may_not_change_calendars(self) -> None:
        self.login(self.engineer)
        self.assertEqual(self.client.get(reverse("sla:calendar_create")).status_code, 403)
        url = reverse("sla:calendar_day_add", args=[self.office.pk])
        response = self.client.post(url, {"date": "2027-01-02", "kind": "holiday"})
        self.assertEqual(response.status_code, 403)
        day = self.office.days.get()
        url = reverse("sla:calendar_day_remove", args=[self.office.pk, day.pk])
        self.assertEqual(self.client.post(url).status_code, 403)
        url = reverse("sla:calendar_import", args=[self.office.pk])
        self.assertEqual(self.client.get(url).status_code, 403)
        self.assertEqual(self.office.days.count(), 1)

    def test_a_manager_adds_and_removes_a_day(self) -> None:
        self.login(self.manager)
        url = reverse("sla:calendar_day_add", args=[self.office.pk])
        response = self.client.post(url, {"date": "2027-01-02", "kind": "workday", "name": "补班"})
        self.assertRedirects(response, self.office.get_absolute_url() + "#days")
        day = self.office.days.get(name="补班")
        url = reverse("sla:calendar_day_remove", args=[self.office.pk, day.pk])
        self.assertRedirects(self.client.post(url), self.office.get_absolute_url() + "#days")
        self.assertFalse(self.office.days.filter(name="补班").exists())

    def test_a_bad_day_shows_its_error_on_the_page(self) -> None:
        self.login(self.manager)
        url = reverse("sla:calendar_day_add", args=[self.office.pk])
        response = self.client.post(url, {"date": "2027-02-30", "kind": "holiday"})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "有效的日期", status_code=400)

    def test_a_manager_imports_days_from_a_gbk_csv_file(self) -> None:
        self.login(self.manager)
        url = reverse("sla:calendar_import", args=[self.office.pk])
        upload = SimpleUploadedFile(
            "days.csv", "2027-05-06,节假日,院庆\n2027-05-08,补班,\n".encode("gb18030")
        )
        response = self.client.post(url, {"file": upload})
        self.assertRedirects(response, self.office.get_absolute_url())
        self.assertEqual(self.office.days.filter(date__year=2027).count(), 2)

    def test_a_bad_csv_is_refused_with_its_line_numbers(self) -> None:
        self.login(self.manager)
        url = reverse("sla:calendar_import", args=[self.office.pk])
        response = self.client.post(url, {"text": "2027-05-06,holiday\n2027-13-01,holiday\n"})
        self.assertContains(response, "第 2 行", status_code=400)
        self.assertEqual(self.office.days.count(), 1)


class StatutoryPageTests(BaseTestCase):
    def test_it_staff_see_a_year_of_the_table(self) -> None:
        StatutoryDay.objects.create(date=dt.date(2031, 1, 1), kind="holiday", name="元旦")
        self.login(self.agent)
        response = self.client.get(reverse("sla:statutory_days"), {"year": 2031})
        self.assertContains(response, "元旦")
        self.assertNotContains(response, 'name="remove"')

    def test_a_manager_adds_imports_and_removes_statutory_days(self) -> None:
        self.login(self.admin)
        url = reverse("sla:statutory_days")
        response = self.client.post(url, {"date": "2031-02-01", "kind": "workday", "name": "调休"})
        self.assertRedirects(response, url + "?year=2031")
        response = self.client.post(
            reverse("sla:statutory_import"), {"text": "2031-01-27,holiday,春节"}
        )
        self.assertRedirects(response, url)
        day = StatutoryDay.objects.get(date=dt.date(2031, 2, 1))
        self.assertRedirects(self.client.post(url, {"remove": day.pk}), url + "?year=2031")
        self.assertEqual(
            list(StatutoryDay.objects.filter(date__year=2031).values_list("name", flat=True)),
            ["春节"],
        )

    def test_engineers_may_not_change_the_national_table(self) -> None:
        self.login(self.engineer)
        url = reverse("sla:statutory_days")
        response = self.client.post(url, {"date": "2031-02-01", "kind": "workday"})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.client.get(reverse("sla:statutory_import")).status_code, 403)
        self.assertFalse(StatutoryDay.objects.filter(date__year=2031).exists())

"""The change calendar's pages (month, week, list, filters, what each user sees, a fixed
number of queries), the blackout window pages, the warnings on the change page and in the
schedule dialog, and the iCalendar feed (its text, and who gets which changes)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from itsm.changes.calendar_views import feed_token
from itsm.changes.choices import ChangeStatus
from itsm.changes.ical import escape_text, fold
from itsm.changes.models import BlackoutWindow, Change
from itsm.changes.tests.calendar_factories import (
    at,
    booked,
    dated_window,
    item,
    outpatient_peak,
)
from itsm.changes.tests.factories import set_up_change_management
from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase

S = ChangeStatus
CALENDAR = reverse("changes:calendar")
FEED = reverse("changes:calendar_feed")


class CalendarPageTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)
        outpatient_peak()
        cls.server = item("HIS-DB-01")
        cls.mine = booked(
            cls,  # type: ignore[arg-type]
            at(1, 0),
            at(1, 2),
            title="HIS 数据库补丁",
            assignment_group=cls.vendor_group,
            configuration_items=[cls.server],
        )
        cls.theirs = booked(
            cls,  # type: ignore[arg-type]
            at(1, 1),
            at(1, 3),
            title="PACS 存储扩容",
            assignment_group=cls.other_vendor_group,
            configuration_items=[cls.server],
        )

    def test_the_month_shows_booked_changes_on_their_days_and_shades_blackouts(self) -> None:
        self.login(self.engineer)
        response = self.client.get(CALENDAR, {"date": "2027-03-10"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'data-day="2027-03-02"')
        days = {d.date.isoformat(): d for week in response.context["weeks"] for d in week}
        self.assertEqual(
            [c.number for c in days["2027-03-02"].changes], [self.mine.number, self.theirs.number]
        )
        self.assertEqual([o.window.name for o in days["2027-03-02"].blackouts], ["门诊早高峰"])
        self.assertEqual(days["2027-03-06"].blackouts, [])  # a Saturday
        # Recurring windows are listed; dated ones (here: none) shade the day.
        self.assertFalse(days["2027-03-02"].shaded)
        self.assertContains(response, 'data-blackout="')

    def test_a_change_scheduled_by_override_is_marked_on_its_day(self) -> None:
        Change.objects.filter(pk=self.mine.pk).update(
            blackout_override_by=self.manager,
            blackout_override_reason="急诊系统紧急修复",
            blackout_override_at=timezone.now(),
        )
        self.login(self.engineer)
        response = self.client.get(CALENDAR, {"date": "2027-03-10"})
        self.assertContains(response, "#unlock", count=1)

    def test_a_dated_window_shades_its_days(self) -> None:
        dated_window(at(2, 0), at(4, 0))
        self.login(self.engineer)
        response = self.client.get(CALENDAR, {"date": "2027-03-10"})
        days = {d.date.isoformat(): d for week in response.context["weeks"] for d in week}
        self.assertEqual(
            [d for d, day in sorted(days.items()) if day.shaded], ["2027-03-03", "2027-03-04"]
        )

    def test_the_week_and_the_list_show_the_same_changes(self) -> None:
        self.login(self.engineer)
        week = self.client.get(CALENDAR, {"view": "week", "date": "2027-03-03"})
        self.assertEqual(len(week.context["days"]), 7)
        self.assertContains(week, self.mine.number)
        listed = self.client.get(CALENDAR, {"view": "list", "date": "2027-03-03"})
        self.assertContains(listed, 'data-change="%s"' % self.theirs.number)

    def test_it_filters_by_group_item_and_service(self) -> None:
        self.login(self.engineer)
        response = self.client.get(
            CALENDAR, {"date": "2027-03-01", "assignment_group": self.vendor_group.pk}
        )
        self.assertEqual([c.number for c in response.context["changes"]], [self.mine.number])
        response = self.client.get(CALENDAR, {"date": "2027-03-01", "ci": "his-db-01"})
        self.assertEqual(len(response.context["changes"]), 2)
        response = self.client.get(CALENDAR, {"date": "2027-03-01", "service": self.pacs.pk})
        self.assertEqual(response.context["changes"], [])

    def test_a_vendor_engineer_sees_only_his_groups_changes(self) -> None:
        self.login(self.vendor)
        response = self.client.get(CALENDAR, {"date": "2027-03-01", "view": "list"})
        self.assertContains(response, self.mine.number)
        self.assertNotContains(response, self.theirs.number)

    def test_outsiders_are_refused(self) -> None:
        self.login(self.outsider)
        self.assertEqual(self.client.get(CALENDAR).status_code, 403)

    def test_the_month_runs_a_fixed_number_of_queries(self) -> None:
        self.login(self.engineer)
        self.client.get(CALENDAR, {"date": "2027-03-01"})
        with self.assertNumQueries(8) as small:
            self.client.get(CALENDAR, {"date": "2027-03-01"})
        for hour in (4, 6, 8):
            booked(self, at(2, hour), at(2, hour + 1), service=self.pacs, implementer=self.vendor)
        with self.assertNumQueries(len(small)):
            self.client.get(CALENDAR, {"date": "2027-03-01"})

    def test_the_change_page_shows_its_conflicts_with_reasons(self) -> None:
        self.login(self.engineer)
        response = self.client.get(self.mine.get_absolute_url())
        self.assertContains(response, 'data-conflict="same_item"')
        self.assertContains(response, self.theirs.number)

    def test_the_schedule_dialog_warns_of_the_blackout(self) -> None:
        change = booked(self, at(1, 8), at(1, 9))
        self.login(self.manager)
        url = reverse("changes:change_transition", args=[change.pk, "schedule"])
        response = self.client.get(url)
        self.assertContains(response, "data-schedule-conflicts")
        self.assertContains(response, "门诊早高峰")
        # The dialog opens with the window the change was planned with.
        planned = timezone.localtime(change.planned_start).strftime("%Y-%m-%dT%H:%M")
        self.assertContains(response, 'value="%s' % planned)
        response = self.client.post(
            url,
            {
                "version": change.version,
                "blackout_override": "on",
                "blackout_override_reason": "卫健委检查前必须完成",
            },
        )
        self.assertEqual(response.status_code, 302)
        page = self.client.get(change.get_absolute_url())
        self.assertContains(page, "data-blackout-override")
        self.assertContains(page, "卫健委检查前必须完成")


class BlackoutPageTests(BaseTestCase):
    def test_the_change_manager_creates_a_recurring_window(self) -> None:
        self.login(self.manager)
        response = self.client.post(
            reverse("changes:blackout_create"),
            {
                "name": "下午专家门诊",
                "kind": "recurring",
                "service": self.his.pk,
                "weekday_set": ["1", "2", "3", "4", "5"],
                "start_time": "14:00",
                "end_time": "17:00",
                "active": "on",
            },
        )
        self.assertEqual(response.status_code, 302, response.content)
        window = BlackoutWindow.objects.get()
        self.assertEqual(window.weekdays, "1,2,3,4,5")
        self.assertTrue(AuditEntry.objects.filter(object_id=window.pk, action="create").exists())
        listing = self.client.get(reverse("changes:blackout_list"))
        self.assertContains(listing, "下午专家门诊")

    def test_a_recurring_window_without_weekdays_is_refused_per_field(self) -> None:
        self.login(self.manager)
        response = self.client.post(
            reverse("changes:blackout_create"),
            {"name": "x", "kind": "recurring", "start_time": "14:00", "end_time": "17:00"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("weekday_set", response.context["form"].errors)
        self.assertFalse(BlackoutWindow.objects.exists())

    def test_engineers_read_the_list_but_may_not_edit(self) -> None:
        window = outpatient_peak()
        self.login(self.engineer)
        self.assertEqual(self.client.get(reverse("changes:blackout_list")).status_code, 200)
        self.assertEqual(self.client.get(reverse("changes:blackout_create")).status_code, 403)
        url = reverse("changes:blackout_detail", args=[window.pk])
        self.assertEqual(self.client.post(url, {"name": "y"}).status_code, 403)


class CalendarFeedTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)
        from itsm.changes.tests.factories import window

        start, end = window(days=3, hours=2)
        cls.mine = booked(
            cls,  # type: ignore[arg-type]
            start,
            end,
            title="HIS 升级, 含医保接口; 第二步",
            assignment_group=cls.vendor_group,
            status=S.SCHEDULED,
        )
        cls.theirs = booked(
            cls,  # type: ignore[arg-type]
            start,
            end,
            title="PACS 扩容",
            assignment_group=cls.other_vendor_group,
        )

    def test_the_feed_is_icalendar_with_one_event_per_booked_change(self) -> None:
        response = self.client.get(FEED, {"token": feed_token(self.engineer)})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/calendar; charset=utf-8")
        body = response.content.decode()
        self.assertTrue(body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"))
        self.assertTrue(body.endswith("END:VCALENDAR\r\n"))
        self.assertEqual(body.count("BEGIN:VEVENT"), 2)
        self.assertIn("UID:change-%d@testserver" % self.mine.pk, body)
        assert self.mine.planned_start is not None
        self.assertIn(
            "DTSTART:%s" % self.mine.planned_start.strftime("%Y%m%dT%H%M%SZ"),
            body,
        )
        unfolded = body.replace("\r\n ", "")
        self.assertIn("SUMMARY:%s HIS 升级\\, 含医保接口\\; 第二步" % self.mine.number, unfolded)
        self.assertIn("STATUS:CONFIRMED", body)
        self.assertIn("STATUS:TENTATIVE", body)
        for line in body.split("\r\n"):
            self.assertLessEqual(len(line.encode()), 75)

    def test_another_vendors_changes_never_appear_in_the_feed(self) -> None:
        body = self.client.get(FEED, {"token": feed_token(self.vendor)}).content.decode()
        self.assertIn(self.mine.number, body)
        self.assertNotIn(self.theirs.number, body)

    def test_the_feed_takes_the_session_or_the_api_token(self) -> None:
        self.login(self.other_vendor)
        body = self.client.get(FEED).content.decode()
        self.assertIn(self.theirs.number, body)
        self.assertNotIn(self.mine.number, body)
        self.client.logout()
        response = self.api(self.vendor).get(FEED)
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.mine.number, response.content.decode())

    def test_a_wrong_or_missing_token_is_refused(self) -> None:
        self.assertEqual(self.client.get(FEED).status_code, 401)
        token = feed_token(self.engineer)
        self.assertEqual(
            self.client.get(
                FEED, {"token": token[:-1] + ("1" if token.endswith("0") else "0")}
            ).status_code,
            401,
        )
        self.assertEqual(self.client.get(FEED, {"token": "x-y"}).status_code, 401)

    def test_changing_the_password_revokes_the_feed_token(self) -> None:
        token = feed_token(self.engineer)
        self.engineer.set_password("Another#2026")
        self.engineer.save()
        self.assertEqual(self.client.get(FEED, {"token": token}).status_code, 401)

    def test_users_who_may_not_see_changes_are_refused(self) -> None:
        self.assertEqual(
            self.client.get(FEED, {"token": feed_token(self.outsider)}).status_code, 403
        )

    def test_text_is_escaped_and_long_lines_folded_between_characters(self) -> None:
        self.assertEqual(escape_text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne")
        line = "SUMMARY:" + "变更" * 40
        folded = fold(line)
        self.assertEqual(folded.replace("\r\n ", ""), line)
        for part in folded.split("\r\n"):
            self.assertLessEqual(len(part.encode()), 75)
            part.encode().decode()  # never split inside a character

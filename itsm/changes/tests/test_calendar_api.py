"""The calendar's API: blackout windows (read by whoever sees changes, written by the
change manager, per-field refusals), the calendar of a period, and conflicts as each user
may read them."""

from __future__ import annotations

from itsm.changes.choices import ChangeStatus
from itsm.changes.models import BlackoutWindow
from itsm.changes.tests.calendar_factories import at, booked, item, outpatient_peak
from itsm.changes.tests.factories import set_up_change_management
from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase

S = ChangeStatus
URL = "/api/blackout-windows/"
PEAK = {
    "name": "下午专家门诊",
    "kind": "recurring",
    "weekdays": "1,2,3,4,5",
    "start_time": "14:00",
    "end_time": "17:00",
}


class BlackoutWindowApiTests(BaseTestCase):
    def test_the_change_manager_creates_a_window_audited(self) -> None:
        response = self.api(self.manager).post(URL, {**PEAK, "service": self.his.pk}, format="json")
        self.assertEqual(response.status_code, 201, response.content)
        window = BlackoutWindow.objects.get()
        self.assertEqual((window.service, window.weekday_numbers), (self.his, (1, 2, 3, 4, 5)))
        self.assertTrue(AuditEntry.objects.filter(object_id=window.pk, action="create").exists())

    def test_engineers_read_but_may_not_write(self) -> None:
        outpatient_peak()
        self.assertEqual(self.api(self.engineer).get(URL).status_code, 200)
        self.assertEqual(self.api(self.engineer).post(URL, PEAK, format="json").status_code, 403)
        self.assertEqual(BlackoutWindow.objects.count(), 1)

    def test_outsiders_and_anonymous_are_refused(self) -> None:
        self.assertEqual(self.api(self.outsider).get(URL).status_code, 403)
        self.assertEqual(self.api(None).get(URL).status_code, 401)

    def test_bad_windows_are_refused_per_field(self) -> None:
        response = self.api(self.manager).post(
            URL, {**PEAK, "weekdays": "", "end_time": "14:00"}, format="json"
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()), {"weekdays", "end_time"})
        response = self.api(self.manager).post(
            URL,
            {
                "name": "春节",
                "kind": "dated",
                "starts_at": at(2, 0).isoformat(),
                "ends_at": at(1, 0).isoformat(),
            },
            format="json",
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()), {"ends_at"})
        self.assertFalse(BlackoutWindow.objects.exists())

    def test_the_manager_retires_a_window_by_setting_it_inactive(self) -> None:
        window = outpatient_peak()
        response = self.api(self.manager).patch(
            "%s%d/" % (URL, window.pk), {"active": False, "version": window.version}, format="json"
        )
        self.assertEqual(response.status_code, 200, response.content)
        window.refresh_from_db()
        self.assertFalse(window.active)
        self.assertEqual(self.api(self.manager).delete("%s%d/" % (URL, window.pk)).status_code, 405)


class CalendarApiTests(BaseTestCase):
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
            assignment_group=cls.vendor_group,
            configuration_items=[cls.server],
        )
        cls.theirs = booked(
            cls,  # type: ignore[arg-type]
            at(1, 1),
            at(1, 3),
            assignment_group=cls.other_vendor_group,
            configuration_items=[cls.server],
        )

    def test_it_lists_booked_changes_and_blackout_occurrences_of_the_period(self) -> None:
        draft = booked(self, at(1, 0), at(1, 1), status=S.DRAFT)
        response = self.api(self.engineer).get(
            "/api/changes/calendar/", {"start": "2027-03-01", "end": "2027-03-07"}
        )
        self.assertEqual(response.status_code, 200, response.content)
        data = response.json()
        numbers = [c["number"] for c in data["changes"]]
        self.assertEqual(numbers, [self.mine.number, self.theirs.number])
        self.assertNotIn(draft.number, numbers)
        self.assertEqual(len(data["blackouts"]), 5)
        self.assertEqual(data["blackouts"][0]["start"], at(0, 7, 30).isoformat())

    def test_it_filters_by_group_and_keeps_to_what_the_user_sees(self) -> None:
        params = {"start": "2027-03-01", "end": "2027-03-07"}
        engineer = self.api(self.engineer).get(
            "/api/changes/calendar/", {**params, "assignment_group": self.other_vendor_group.pk}
        )
        self.assertEqual([c["number"] for c in engineer.json()["changes"]], [self.theirs.number])
        vendor = self.api(self.vendor).get("/api/changes/calendar/", params)
        self.assertEqual([c["number"] for c in vendor.json()["changes"]], [self.mine.number])

    def test_it_refuses_a_bad_period_per_field(self) -> None:
        client = self.api(self.engineer)
        response = client.get("/api/changes/calendar/", {"start": "morgen"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()), {"start", "end"})
        response = client.get(
            "/api/changes/calendar/", {"start": "2027-03-07", "end": "2027-03-01"}
        )
        self.assertEqual(set(response.json()), {"end"})
        response = client.get(
            "/api/changes/calendar/", {"start": "2027-01-01", "end": "2029-01-01"}
        )
        self.assertEqual(set(response.json()), {"end"})

    def test_conflicts_name_only_changes_the_user_may_see(self) -> None:
        staff = self.api(self.engineer).get("/api/changes/%d/conflicts/" % self.mine.pk).json()
        self.assertEqual([c["change"]["number"] for c in staff], [self.theirs.number])
        vendor = self.api(self.vendor).get("/api/changes/%d/conflicts/" % self.mine.pk)
        self.assertEqual(vendor.status_code, 200)
        [conflict] = vendor.json()
        self.assertIsNone(conflict["change"])
        self.assertNotIn(self.theirs.number, conflict["reason"])
        self.assertEqual(
            self.api(self.vendor).get("/api/changes/%d/conflicts/" % self.theirs.pk).status_code,
            404,
        )

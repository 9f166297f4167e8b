"""Scheduling into a blackout window: refused (409, nothing written) unless the change
manager overrides it with a reason, which is recorded on the change and audited; an
override by someone else is 403, one without a reason 400. Other conflicts are warnings."""

from __future__ import annotations

from typing import Any

from itsm.changes.choices import ChangeStatus
from itsm.changes.models import Change
from itsm.changes.tests.calendar_factories import at, booked, item, outpatient_peak
from itsm.changes.tests.factories import set_up_change_management, state_of
from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase

S = ChangeStatus


class ScheduleIntoBlackoutTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)
        outpatient_peak()

    def schedule(self, user: Any, change: Change, **fields: Any) -> Any:
        body = {"name": "schedule", "version": change.version, **fields}
        return self.api(user).post("/api/changes/%d/transitions/" % change.pk, body, format="json")

    def test_it_refuses_a_window_in_a_blackout_without_override(self) -> None:
        change = booked(self, at(1, 9), at(1, 10))
        before = state_of(change)
        response = self.schedule(self.engineer, change)
        self.assertEqual(response.status_code, 409, response.content)
        self.assertIn("门诊早高峰", response.json()["detail"])
        self.assertEqual(state_of(change), before)

    def test_it_refuses_an_override_by_someone_without_the_permission(self) -> None:
        change = booked(self, at(1, 9), at(1, 10))
        before = state_of(change)
        response = self.schedule(
            self.engineer, change, blackout_override=True, blackout_override_reason="急"
        )
        self.assertEqual(response.status_code, 403, response.content)
        self.assertEqual(state_of(change), before)

    def test_it_refuses_an_override_without_a_reason(self) -> None:
        change = booked(self, at(1, 9), at(1, 10))
        before = state_of(change)
        response = self.schedule(self.manager, change, blackout_override=True)
        self.assertEqual(response.status_code, 400, response.content)
        self.assertIn("blackout_override_reason", response.json())
        self.assertEqual(state_of(change), before)

    def test_the_change_manager_overrides_with_a_reason_recorded_and_audited(self) -> None:
        change = booked(self, at(1, 9), at(1, 10))
        response = self.schedule(
            self.manager,
            change,
            blackout_override=True,
            blackout_override_reason="医保局要求当日上线新结算接口",
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["blackout_override_by"], self.manager.pk)
        saved = Change.objects.get(pk=change.pk)
        self.assertEqual(saved.status, S.SCHEDULED)
        self.assertEqual(saved.blackout_override_by, self.manager)
        self.assertEqual(saved.blackout_override_reason, "医保局要求当日上线新结算接口")
        self.assertIsNotNone(saved.blackout_override_at)
        entry = AuditEntry.objects.filter(object_id=change.pk, action="transition:schedule").get()
        self.assertEqual(
            entry.changes["blackout_override_reason"], ["", "医保局要求当日上线新结算接口"]
        )
        # The history shows the reason as the entry's note.
        self.assertIn("医保局要求当日上线新结算接口", entry.note)

    def test_a_window_outside_blackouts_is_scheduled_without_override(self) -> None:
        change = booked(self, at(1, 0), at(1, 2))
        response = self.schedule(self.engineer, change)
        self.assertEqual(response.status_code, 200, response.content)
        saved = Change.objects.get(pk=change.pk)
        self.assertEqual(saved.status, S.SCHEDULED)
        self.assertIsNone(saved.blackout_override_by)

    def test_moving_the_window_out_of_the_blackout_schedules_it(self) -> None:
        change = booked(self, at(1, 9), at(1, 10))
        response = self.schedule(
            self.engineer,
            change,
            planned_start=at(2, 0).isoformat(),
            planned_end=at(2, 1).isoformat(),
        )
        self.assertEqual(response.status_code, 200, response.content)

    def test_other_conflicts_only_warn(self) -> None:
        server = item("HIS-DB-01")
        booked(self, at(1, 0), at(1, 3), status=S.SCHEDULED, configuration_items=[server])
        change = booked(self, at(1, 1), at(1, 2), configuration_items=[server])
        response = self.api(self.engineer).get("/api/changes/%d/conflicts/" % change.pk)
        self.assertEqual([c["kind"] for c in response.json()], ["same_item"])
        self.assertEqual(self.schedule(self.engineer, change).status_code, 200)


class ApprovalWarningTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)
        outpatient_peak()

    def test_approving_a_change_in_a_blackout_is_not_blocked_but_records_the_warning(
        self,
    ) -> None:
        change = booked(self, at(1, 9), at(1, 10), status=S.AWAITING_APPROVAL)
        response = self.api(self.manager).post(
            "/api/changes/%d/approve/" % change.pk, {"comment": "同意"}, format="json"
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(Change.objects.get(pk=change.pk).status, S.APPROVED)
        entry = AuditEntry.objects.get(object_id=change.pk, action="approval:approve")
        [warning] = entry.changes["conflicts"][1]
        self.assertIn("门诊早高峰", warning)

    def test_the_approver_sees_the_warnings_on_the_page(self) -> None:
        change = booked(self, at(1, 9), at(1, 10), status=S.AWAITING_APPROVAL)
        self.login(self.manager)
        response = self.client.post(
            "/changes/%d/decide/" % change.pk,
            {"decision": "approve", "comment": "同意"},
            follow=True,
        )
        self.assertContains(response, "门诊早高峰")

"""The whole demo's change calendar: the hospital's standard blackout windows, a change in
the outpatient peak scheduled with the change manager's recorded override, and changes
booked on the same item at the same time."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import TestCase

from itsm.changes.calendar import conflicts_of
from itsm.changes.choices import BlackoutKind, ChangeStatus, ConflictKind
from itsm.changes.models import BlackoutWindow, Change
from itsm.core.models import AuditEntry


class DemoCalendarTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        call_command("demo", stdout=StringIO())

    def test_the_standard_blackout_windows_are_seeded(self) -> None:
        names = set(BlackoutWindow.objects.values_list("name", flat=True))
        self.assertTrue({"门诊早高峰", "HIS 下午门诊", "2027 年春节"} <= names)
        peak = BlackoutWindow.objects.get(name="门诊早高峰")
        self.assertEqual((peak.kind, peak.service, peak.weekdays), ("recurring", None, "1,2,3,4,5"))
        self.assertTrue(
            BlackoutWindow.objects.filter(
                name__startswith="医保月末结算", service__code="MEDINS", kind=BlackoutKind.DATED
            ).exists()
        )
        self.assertTrue(BlackoutWindow.objects.filter(name__contains="等级评审").exists())

    def test_one_change_in_the_outpatient_peak_carries_a_recorded_override(self) -> None:
        change = Change.objects.get(blackout_override_at__isnull=False)
        self.assertEqual(change.status, ChangeStatus.SCHEDULED)
        self.assertTrue(change.blackout_override_reason)
        self.assertEqual(change.blackout_override_by.username, "manager1")  # type: ignore[union-attr]
        self.assertIn(ConflictKind.BLACKOUT, [c.kind for c in conflicts_of(change)])
        entry = AuditEntry.objects.get(object_id=change.pk, action="transition:schedule")
        self.assertIn("blackout_override_reason", entry.changes)

    def test_two_changes_are_booked_on_the_his_database_the_same_night(self) -> None:
        patch = Change.objects.get(
            title__startswith="HIS 数据库季度补丁", status=ChangeStatus.APPROVED
        )
        kinds = {(c.kind, c.change.title.split("（")[0]) for c in conflicts_of(patch) if c.change}
        self.assertIn((ConflictKind.SAME_ITEM, "HIS 门诊系统版本升级"), kinds)

"""The demo's change management, loaded on the demo hospital's organisation: changes in
every status over the last and next ninety days, told through the services."""

from __future__ import annotations

from datetime import timedelta

from django.test import TestCase
from django.utils import timezone

from itsm.accounts.roles import sync_roles
from itsm.changes.choices import ChangeStatus, ChangeType
from itsm.changes.models import AdvisoryBoard, Approval, Change, ChangeTemplate, RiskQuestion
from itsm.demo.catalogue import load_services
from itsm.demo.changes import load_changes
from itsm.demo.hospital import load_departments, load_users, load_vendors_and_groups


class DemoChangeTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        sync_roles()
        departments = load_departments()
        users, new_users = load_users(departments, "Demo#2026")
        groups = load_vendors_and_groups(users, new_users)
        load_services(groups)
        cls.loaded = load_changes()

    def test_at_least_forty_changes_in_every_status(self) -> None:
        self.assertGreaterEqual(self.loaded, 40)
        self.assertEqual(set(Change.objects.values_list("status", flat=True)), set(ChangeStatus))
        self.assertEqual(set(Change.objects.values_list("change_type", flat=True)), set(ChangeType))

    def test_they_spread_over_the_last_and_next_ninety_days(self) -> None:
        now = timezone.now()
        starts = list(Change.objects.values_list("planned_start", flat=True))
        self.assertTrue(
            all(now - timedelta(days=91) <= s <= now + timedelta(days=91) for s in starts)
        )
        self.assertTrue(any(s < now - timedelta(days=60) for s in starts))
        self.assertTrue(any(s > now + timedelta(days=60) for s in starts))
        # What happened in the past was recorded in the past.
        for change in Change.objects.filter(status=ChangeStatus.CLOSED):
            self.assertLess(change.created_at, change.planned_start)  # type: ignore[operator]
            self.assertLess(change.closed_at, now)  # type: ignore[operator]

    def test_configuration_and_approvals_are_recorded(self) -> None:
        self.assertEqual(RiskQuestion.objects.count(), 5)
        self.assertEqual(AdvisoryBoard.objects.count(), 2)
        self.assertEqual(ChangeTemplate.objects.count(), 3)
        self.assertGreater(Approval.objects.count(), 40)
        for change in Change.objects.filter(status=ChangeStatus.APPROVED):
            self.assertTrue(change.approval_steps.exists())

    def test_loading_again_adds_nothing(self) -> None:
        count = Change.objects.count()
        self.assertEqual(load_changes(), 0)
        self.assertEqual(Change.objects.count(), count)

"""Raising and editing a change: numbering, impact from the CMDB, the window's rules (end
before start, a start in the past: 400, nothing written) and the frozen plan."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.changes.choices import ChangeStatus, ChangeType
from itsm.changes.models import Change
from itsm.changes.services import impact_of_change, update_change
from itsm.changes.tests.factories import change_in, rfc, set_up_change_management, window
from itsm.cmdb.choices import ConfigurationItemClass, Criticality
from itsm.cmdb.models import ConfigurationItem, Relationship
from itsm.core.choices import TicketImpact
from itsm.core.exceptions import ConflictError, StaleVersion
from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase


class RaiseChangeTests(BaseTestCase):
    def test_raise_numbers_audits_and_starts_as_a_draft(self) -> None:
        change = rfc(self.engineer, configuration_items=[self.printer])
        self.assertRegex(change.number, r"^CHG\d{7}$")
        self.assertEqual(change.status, ChangeStatus.DRAFT)
        self.assertEqual(change.requester, self.engineer)
        self.assertEqual(list(change.configuration_items.all()), [self.printer])
        entry = AuditEntry.objects.get(content_type__model="change", object_id=change.pk)
        self.assertEqual(entry.action, "create")
        self.assertEqual(entry.changes["configuration_items"], [[], [self.printer.pk]])

    def test_it_refuses_an_end_before_the_start_and_writes_nothing(self) -> None:
        start, _end = window()
        with self.assertRaises(ValidationError) as caught:
            rfc(self.engineer, planned_start=start, planned_end=start - timedelta(hours=1))
        self.assertIn("planned_end", caught.exception.message_dict)
        self.assertFalse(Change.objects.exists())

    def test_it_refuses_a_schedule_in_the_past_and_writes_nothing(self) -> None:
        start = timezone.now() - timedelta(days=1)
        with self.assertRaises(ValidationError) as caught:
            rfc(self.engineer, planned_start=start, planned_end=start + timedelta(hours=2))
        self.assertEqual(
            caught.exception.message_dict["planned_start"], [_("The planned start is in the past.")]
        )
        self.assertFalse(Change.objects.exists())

    def test_an_emergency_change_may_have_begun_already(self) -> None:
        start = timezone.now() - timedelta(minutes=30)
        change = rfc(
            self.engineer,
            change_type=ChangeType.EMERGENCY,
            planned_start=start,
            planned_end=start + timedelta(hours=2),
        )
        self.assertEqual(change.change_type, ChangeType.EMERGENCY)

    def test_downtime_needs_its_duration(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            rfc(self.engineer, downtime_expected=True)
        self.assertIn("downtime_minutes", caught.exception.message_dict)

    def test_a_standard_change_is_not_raised_without_a_template(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            rfc(self.engineer, change_type=ChangeType.STANDARD)
        self.assertIn("change_type", caught.exception.message_dict)

    def test_the_desk_and_requesters_may_not_raise_changes(self) -> None:
        for user in (self.agent, self.nurse, self.outsider):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied):
                rfc(user)


class ImpactTests(BaseTestCase):
    def test_services_and_departments_above_the_items_are_found_in_the_cmdb(self) -> None:
        server = ConfigurationItem.objects.create(
            code="SRV-HIS-01", name="HIS 应用服务器", ci_class_id=ConfigurationItemClass.SERVER
        )
        app = ConfigurationItem.objects.create(
            code="APP-HIS", name="HIS 应用", ci_class_id=ConfigurationItemClass.APPLICATION
        )
        Relationship.objects.create(source=app, target=server, type="runs_on")
        app.services.add(self.his)
        self.his.departments.add(self.emergency)
        change = rfc(self.engineer, configuration_items=[server])
        impact = impact_of_change(change)
        self.assertEqual(impact.services, [self.his])
        self.assertEqual(impact.departments, [self.emergency])
        # HIS is critical: the change's impact is high.
        self.assertEqual(change.impact, TicketImpact.HIGH)

    def test_a_change_on_items_without_services_has_a_low_impact(self) -> None:
        change = rfc(self.engineer, configuration_items=[self.printer])
        self.assertEqual(change.impact, TicketImpact.LOW)
        self.assertEqual(impact_of_change(change).services, [])

    def test_the_changes_own_service_counts(self) -> None:
        self.pacs.criticality = Criticality.MEDIUM
        self.pacs.save()
        change = rfc(self.engineer, service=self.pacs)
        self.assertEqual(change.impact, TicketImpact.MEDIUM)
        self.assertTrue(impact_of_change(change).whole_hospital)


class UpdateChangeTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)

    def test_a_stale_version_is_refused(self) -> None:
        change = rfc(self.engineer)
        update_change(change, {"test_plan": "打印 20 张"}, actor=self.engineer, version=1)
        with self.assertRaises(StaleVersion):
            update_change(change, {"test_plan": "x"}, actor=self.manager, version=1)
        self.assertEqual(Change.objects.get(pk=change.pk).test_plan, "打印 20 张")

    def test_moving_the_window_into_the_past_is_refused(self) -> None:
        change = rfc(self.engineer)
        past = timezone.now() - timedelta(hours=3)
        with self.assertRaises(ValidationError) as caught:
            update_change(change, {"planned_start": past}, actor=self.engineer, version=1)
        self.assertIn("planned_start", caught.exception.message_dict)
        self.assertEqual(Change.objects.get(pk=change.pk).version, 1)

    def test_the_plan_is_frozen_once_sent_for_approval_but_people_may_change(self) -> None:
        change = change_in(self, ChangeStatus.AWAITING_APPROVAL)
        with self.assertRaises(ConflictError):
            update_change(
                change, {"backout_plan": "改"}, actor=self.engineer, version=change.version
            )
        # The form sends the whole plan back, its times to the minute: only people change.
        assert change.planned_start is not None
        done = update_change(
            change,
            {
                "implementer": self.engineer,
                "planned_start": change.planned_start.replace(second=0),
                "backout_plan": change.backout_plan,
            },
            actor=self.engineer,
            version=change.version,
        )
        self.assertEqual(done.implementer, self.engineer)

    def test_a_closed_change_cannot_be_edited(self) -> None:
        change = change_in(self, ChangeStatus.CLOSED)
        with self.assertRaises(ConflictError):
            update_change(
                change, {"implementer": self.manager}, actor=self.manager, version=change.version
            )

    def test_an_incomplete_draft_cannot_be_submitted(self) -> None:
        from itsm.changes.services import transition_change
        from itsm.core.exceptions import TransitionNotAllowed

        change = rfc(self.engineer, backout_plan="", planned_start=None, planned_end=None)
        with self.assertRaises(TransitionNotAllowed) as caught:
            transition_change(change, "submit", actor=self.engineer)
        self.assertIn(_("back-out plan"), str(caught.exception))

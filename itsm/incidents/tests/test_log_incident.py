"""Logging a call, a visit, a portal report or an alert."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from itsm.core.choices import TicketImpact, TicketPriority, TicketUrgency
from itsm.core.models import AuditEntry, NumberSequence
from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import (
    IncidentChannel,
    IncidentKind,
    IncidentRoutingKind,
    IncidentStatus,
)
from itsm.incidents.models import Incident, IncidentAssignment
from itsm.incidents.tests.factories import log


def last_number() -> int:
    row = NumberSequence.objects.filter(prefix=Incident.NUMBER_PREFIX).first()
    return row.last if row else 0


class LogIncidentTests(BaseTestCase):
    def test_the_desk_logs_a_phone_call_for_a_nurse(self) -> None:
        incident = log(
            self.agent,
            requester=self.nurse,
            impact=TicketImpact.MEDIUM,
            urgency=TicketUrgency.HIGH,
            service=self.his,
            configuration_items=[self.printer],
        )
        incident.refresh_from_db()
        self.assertRegex(incident.number, r"^INC\d{7}$")
        self.assertEqual(incident.status, IncidentStatus.NEW)
        self.assertEqual(incident.priority, TicketPriority.HIGH)
        self.assertEqual(incident.requester, self.nurse)
        self.assertEqual(incident.department, self.emergency)
        self.assertEqual(incident.channel, IncidentChannel.PHONE)
        self.assertEqual(list(incident.configuration_items.all()), [self.printer])
        self.assertEqual(incident.version, 1)
        self.assertFalse(incident.major)

    def test_the_desk_can_back_enter_a_call_taken_earlier(self) -> None:
        earlier = timezone.now() - timedelta(hours=2)
        incident = log(self.agent, requester=self.nurse, reported_at=earlier)
        incident.refresh_from_db()
        self.assertEqual(incident.reported_at, earlier)
        self.assertGreater(incident.created_at, incident.reported_at)

    def test_it_rejects_a_report_time_in_the_future(self) -> None:
        before = last_number()
        with self.assertRaises(ValidationError) as raised:
            log(self.agent, reported_at=timezone.now() + timedelta(days=1))
        self.assertIn("reported_at", raised.exception.message_dict)
        self.assertFalse(Incident.objects.exists())
        self.assertEqual(last_number(), before)

    def test_it_rejects_an_incident_without_a_title_and_writes_nothing(self) -> None:
        before = last_number()
        with self.assertRaises(ValidationError) as raised:
            log(self.agent, title="")
        self.assertIn("title", raised.exception.message_dict)
        self.assertFalse(Incident.objects.exists())
        self.assertFalse(AuditEntry.objects.exists())
        self.assertEqual(last_number(), before)

    def test_it_rejects_an_unknown_kind(self) -> None:
        with self.assertRaises(ValidationError) as raised:
            log(self.agent, kind="gossip")
        self.assertIn("kind", raised.exception.message_dict)

    def test_the_desk_logs_consultations_and_service_requests_too(self) -> None:
        for kind in IncidentKind.values:
            with self.subTest(kind=kind):
                self.assertEqual(log(self.agent, kind=kind).kind, kind)

    def test_every_channel_is_recorded(self) -> None:
        for channel in IncidentChannel.values:
            with self.subTest(channel=channel):
                self.assertEqual(log(self.agent, channel=channel).channel, channel)

    def test_the_department_defaults_to_the_requesters_and_may_be_given(self) -> None:
        self.assertEqual(log(self.agent, requester=self.doctor).department, self.radiology)
        given = log(self.agent, requester=self.doctor, department=self.emergency)
        self.assertEqual(given.department, self.emergency)

    def test_it_writes_a_create_audit_entry_with_the_initial_values(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        entry = AuditEntry.objects.get(object_id=incident.pk, action="create")
        self.assertEqual(entry.actor, self.agent)
        self.assertEqual(entry.changes["title"], [None, incident.title])
        self.assertEqual(entry.changes["status"], [None, IncidentStatus.NEW])
        self.assertEqual(entry.changes["requester_id"], [None, self.nurse.pk])

    def test_logging_with_a_group_assigns_it_in_the_same_call(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            incident = log(self.agent, assignment_group=self.front_group)
        self.assertEqual(incident.status, IncidentStatus.ASSIGNED)
        self.assertEqual(incident.assignment_group, self.front_group)
        hop = IncidentAssignment.objects.get(incident=incident)
        self.assertEqual(hop.kind, IncidentRoutingKind.ASSIGN)
        self.assertIsNone(hop.from_group)
        self.assertEqual(incident.reassignment_count, 0)
        self.assertEqual(
            list(
                AuditEntry.objects.filter(object_id=incident.pk)
                .order_by("id")
                .values_list("action", flat=True)
            ),
            ["create", "transition:assign"],
        )
        self.assertTrue(self.engineer.notifications.filter(object_id=incident.pk).exists())

    def test_logging_with_a_group_and_a_member_assigns_that_member(self) -> None:
        incident = log(self.agent, assignment_group=self.front_group, assignee=self.engineer)
        self.assertEqual(incident.assignee, self.engineer)

    def test_a_requester_reports_for_himself(self) -> None:
        incident = log(self.reload(self.nurse), channel=IncidentChannel.PORTAL)
        self.assertEqual(incident.requester, self.nurse)
        self.assertEqual(incident.department, self.emergency)

    def test_a_requester_may_not_report_for_someone_else(self) -> None:
        before = last_number()
        with self.assertRaises(PermissionDenied):
            log(self.reload(self.nurse), requester=self.doctor)
        self.assertFalse(Incident.objects.exists())
        self.assertEqual(last_number(), before)

    def test_a_requester_may_not_route_his_own_report(self) -> None:
        with self.assertRaises(PermissionDenied):
            log(self.reload(self.nurse), assignment_group=self.front_group)
        self.assertFalse(Incident.objects.exists())
        self.assertFalse(AuditEntry.objects.exists())

    def test_an_outsider_may_not_report_incidents(self) -> None:
        with self.assertRaises(PermissionDenied):
            log(self.reload(self.outsider))
        self.assertFalse(Incident.objects.exists())

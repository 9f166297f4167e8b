"""Editing an incident's own fields with optimistic locking."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

from itsm.core.choices import TicketImpact, TicketPriority, TicketUrgency
from itsm.core.exceptions import StaleVersion
from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentKind, IncidentStatus
from itsm.incidents.services import transition_incident, update_incident
from itsm.incidents.tests.factories import incident_in, log, state_of

S = IncidentStatus


class UpdateIncidentTests(BaseTestCase):
    def test_it_saves_the_change_and_bumps_the_version(self) -> None:
        incident = log(self.agent)
        updated = update_incident(
            incident,
            {"title": "急诊分诊台打印机卡纸", "kind": IncidentKind.SERVICE_REQUEST},
            actor=self.agent,
            version=incident.version,
        )
        updated.refresh_from_db()
        self.assertEqual(updated.title, "急诊分诊台打印机卡纸")
        self.assertEqual(updated.kind, IncidentKind.SERVICE_REQUEST)
        self.assertEqual(updated.version, incident.version + 1)
        self.assertGreater(updated.updated_at, incident.updated_at)

    def test_a_stale_version_is_refused_and_nothing_is_written(self) -> None:
        incident = log(self.agent)
        update_incident(
            incident, {"title": "第一次修改"}, actor=self.agent, version=incident.version
        )
        before = state_of(incident)
        with self.assertRaises(StaleVersion):
            update_incident(
                incident,
                {"title": "基于旧版本的修改"},
                actor=self.engineer,
                version=incident.version,
            )
        self.assertEqual(state_of(incident), before)

    def test_priority_is_recomputed_from_impact_and_urgency(self) -> None:
        incident = log(self.agent, impact=TicketImpact.LOW, urgency=TicketUrgency.LOW)
        self.assertEqual(incident.priority, TicketPriority.PLANNING)
        updated = update_incident(
            incident,
            {"impact": TicketImpact.MEDIUM, "urgency": TicketUrgency.HIGH},
            actor=self.agent,
            version=incident.version,
        )
        self.assertEqual(updated.priority, TicketPriority.HIGH)

    def test_priority_cannot_be_set_directly(self) -> None:
        incident = log(self.agent, impact=TicketImpact.LOW, urgency=TicketUrgency.LOW)
        updated = update_incident(
            incident,
            {"priority": TicketPriority.CRITICAL},
            actor=self.agent,
            version=incident.version,
        )
        self.assertEqual(updated.priority, TicketPriority.PLANNING)
        self.assertEqual(updated.version, incident.version)  # nothing changed, nothing written

    def test_the_audit_entry_holds_each_change_old_to_new(self) -> None:
        incident = log(self.agent, impact=TicketImpact.LOW, urgency=TicketUrgency.LOW)
        update_incident(
            incident,
            {
                "urgency": TicketUrgency.HIGH,
                "service": self.his,
                "configuration_items": [self.printer],
            },
            actor=self.engineer,
            version=incident.version,
        )
        entry = AuditEntry.objects.get(object_id=incident.pk, action="update")
        self.assertEqual(entry.actor, self.engineer)
        self.assertEqual(entry.changes["urgency"], [TicketUrgency.LOW, TicketUrgency.HIGH])
        self.assertEqual(
            entry.changes["priority"], [TicketPriority.PLANNING, TicketPriority.MEDIUM]
        )
        self.assertEqual(entry.changes["service_id"], [None, self.his.pk])
        self.assertEqual(entry.changes["configuration_items"], [[], [self.printer.pk]])

    def test_an_edit_that_changes_nothing_writes_nothing(self) -> None:
        incident = log(self.agent)
        before = state_of(incident)
        update_incident(
            incident, {"title": incident.title}, actor=self.agent, version=incident.version
        )
        self.assertEqual(state_of(incident), before)

    def test_status_and_workflow_fields_are_not_editable(self) -> None:
        incident = log(self.agent)
        before = state_of(incident)
        update_incident(
            incident,
            {
                "status": S.CLOSED,
                "major": True,
                "resolution_notes": "x",
                "assignment_group": self.vendor_group,
            },
            actor=self.agent,
            version=incident.version,
        )
        self.assertEqual(state_of(incident), before)

    def test_invalid_input_gets_a_message_per_field_and_writes_nothing(self) -> None:
        incident = log(self.agent)
        before = state_of(incident)
        with self.assertRaises(ValidationError) as raised:
            update_incident(
                incident, {"title": "", "impact": 9}, actor=self.agent, version=incident.version
            )
        self.assertIn("title", raised.exception.message_dict)
        self.assertIn("impact", raised.exception.message_dict)
        self.assertEqual(state_of(incident), before)

    def test_a_closed_or_cancelled_incident_cannot_be_edited(self) -> None:
        for status in (S.CLOSED, S.CANCELLED):
            with self.subTest(status=status):
                incident = incident_in(self, status)
                before = state_of(incident)
                with self.assertRaises(ValidationError):
                    update_incident(
                        incident, {"title": "改"}, actor=self.agent, version=incident.version
                    )
                self.assertEqual(state_of(incident), before)

    def test_a_requester_or_an_outsider_may_not_edit(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        before = state_of(incident)
        for user in (self.nurse, self.outsider):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied):
                update_incident(
                    incident, {"title": "改"}, actor=self.reload(user), version=incident.version
                )
        self.assertEqual(state_of(incident), before)

    def test_a_vendor_edits_only_while_the_incident_is_with_his_group(self) -> None:
        incident = incident_in(self, S.IN_PROGRESS, group=self.vendor_group)
        vendor = self.reload(self.vendor)
        incident = update_incident(
            incident, {"title": "HIS挂号界面卡顿"}, actor=vendor, version=incident.version
        )
        self.assertEqual(incident.title, "HIS挂号界面卡顿")
        incident = transition_incident(
            incident,
            "reassign",
            actor=self.agent,
            data={"assignment_group": self.front_group.pk, "reason": "厂商确认非HIS问题"},
        )
        before = state_of(incident)
        with self.assertRaises(PermissionDenied):
            update_incident(incident, {"title": "改"}, actor=vendor, version=incident.version)
        self.assertEqual(state_of(incident), before)

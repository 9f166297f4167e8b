"""Major incidents: declared by hand or automatically at priority 1; IT managers are told."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from itsm.accounts.choices import Role
from itsm.core.choices import TicketImpact, TicketPriority, TicketUrgency
from itsm.core.models import AuditEntry, Notification
from itsm.core.testing import BaseTestCase, make_user
from itsm.incidents.models import Incident
from itsm.incidents.services import set_major_incident, update_incident
from itsm.incidents.tests.factories import log, state_of


class MajorIncidentTests(BaseTestCase):
    def managers_told(self, incident: Incident) -> set[str]:
        return set(
            Notification.objects.filter(
                object_id=incident.pk, content_type__model="incident"
            ).values_list("recipient__username", flat=True)
        )

    def test_a_priority_one_incident_is_major_and_every_it_manager_is_told(self) -> None:
        make_user("director", Role.MANAGER)
        incident = log(
            self.agent,
            impact=TicketImpact.HIGH,
            urgency=TicketUrgency.HIGH,
            title="HIS全院宕机",
            service=self.his,
        )
        self.assertEqual(incident.priority, TicketPriority.CRITICAL)
        self.assertTrue(incident.major)
        self.assertEqual(self.managers_told(incident), {"manager", "director"})

    def test_an_inactive_manager_is_not_told(self) -> None:
        make_user("retired", Role.MANAGER, is_active=False)
        incident = log(self.agent, impact=TicketImpact.HIGH, urgency=TicketUrgency.HIGH)
        self.assertEqual(self.managers_told(incident), {"manager"})

    def test_a_priority_two_incident_is_not_major(self) -> None:
        incident = log(self.agent, impact=TicketImpact.HIGH, urgency=TicketUrgency.MEDIUM)
        self.assertFalse(incident.major)
        self.assertEqual(self.managers_told(incident), set())

    def test_raising_an_incident_to_priority_one_makes_it_major(self) -> None:
        incident = log(self.agent, impact=TicketImpact.HIGH, urgency=TicketUrgency.MEDIUM)
        incident = update_incident(
            incident, {"urgency": TicketUrgency.HIGH}, actor=self.agent, version=incident.version
        )
        self.assertTrue(incident.major)
        self.assertEqual(self.managers_told(incident), {"manager"})

    def test_the_desk_declares_a_major_incident_by_hand(self) -> None:
        incident = log(self.agent, impact=TicketImpact.MEDIUM, urgency=TicketUrgency.MEDIUM)
        incident = set_major_incident(
            incident, actor=self.agent, major=True, reason="多个科室同时报修"
        )
        self.assertTrue(incident.major)
        self.assertEqual(incident.version, 2)
        self.assertEqual(self.managers_told(incident), {"manager"})
        entry = AuditEntry.objects.filter(object_id=incident.pk).order_by("-id").first()
        assert entry is not None
        self.assertEqual(entry.changes, {"major": [False, True]})
        self.assertEqual(entry.note, "多个科室同时报修")

    def test_standing_down_a_major_incident_tells_nobody(self) -> None:
        incident = log(self.agent, impact=TicketImpact.HIGH, urgency=TicketUrgency.HIGH)
        Notification.objects.all().delete()
        incident = set_major_incident(
            incident, actor=self.manager, major=False, reason="影响范围已确认仅一个科室"
        )
        self.assertFalse(incident.major)
        self.assertEqual(self.managers_told(incident), set())

    def test_declaring_it_twice_writes_nothing_the_second_time(self) -> None:
        incident = log(self.agent)
        incident = set_major_incident(incident, actor=self.agent, major=True, reason="x")
        before = state_of(incident)
        set_major_incident(incident, actor=self.agent, major=True, reason="x")
        self.assertEqual(state_of(incident), before)

    def test_requesters_vendors_and_outsiders_may_not_declare_one(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        before = state_of(incident)
        for user in (self.nurse, self.vendor, self.outsider):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied):
                set_major_incident(incident, actor=self.reload(user), major=True, reason="x")
        self.assertEqual(state_of(incident), before)

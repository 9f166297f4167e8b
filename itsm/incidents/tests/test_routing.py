"""Functional escalation desk → front line → back line, every hop kept."""

from __future__ import annotations

from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentRoutingKind, IncidentStatus
from itsm.incidents.models import IncidentAssignment
from itsm.incidents.services import transition_incident
from itsm.incidents.tests.factories import RESOLUTION, log

S = IncidentStatus
K = IncidentRoutingKind


class RoutingTests(BaseTestCase):
    def test_an_incident_travels_from_the_desk_to_the_vendor_and_back_to_the_requester(
        self,
    ) -> None:
        incident = log(
            self.agent,
            requester=self.nurse,
            assignment_group=self.desk_group,
            service=self.his,
            title="门诊HIS收费时报错",
        )
        incident = transition_incident(incident, "accept", actor=self.agent)
        incident = transition_incident(
            incident,
            "escalate",
            actor=self.agent,
            data={"assignment_group": self.front_group.pk, "reason": "电话指导无效"},
        )
        incident = transition_incident(incident, "accept", actor=self.engineer)
        incident = transition_incident(
            incident,
            "escalate",
            actor=self.engineer,
            data={"assignment_group": self.vendor_group.pk, "reason": "HIS程序报错，需厂商"},
        )
        vendor = self.reload(self.vendor)
        incident = transition_incident(incident, "accept", actor=vendor)
        self.assertEqual(incident.assignee, self.vendor)
        incident = transition_incident(incident, "resolve", actor=vendor, data=RESOLUTION)
        incident = transition_incident(incident, "confirm", actor=self.reload(self.nurse))

        self.assertEqual(incident.status, S.CLOSED)
        self.assertEqual(incident.reassignment_count, 2)
        hops = list(
            IncidentAssignment.objects.filter(incident=incident).values_list(
                "kind", "from_group", "group"
            )
        )
        self.assertEqual(
            hops,
            [
                (K.ASSIGN, None, self.desk_group.pk),
                (K.ESCALATE, self.desk_group.pk, self.front_group.pk),
                (K.ESCALATE, self.front_group.pk, self.vendor_group.pk),
            ],
        )

    def test_routing_to_a_group_tells_its_members_except_the_actor(self) -> None:
        self.front_group.members.add(self.manager)
        with self.captureOnCommitCallbacks(execute=True):
            incident = log(self.engineer, assignment_group=self.front_group)
        self.assertTrue(self.manager.notifications.filter(object_id=incident.pk).exists())
        self.assertFalse(self.engineer.notifications.filter(object_id=incident.pk).exists())

    def test_routing_to_a_member_tells_only_that_member(self) -> None:
        self.front_group.members.add(self.manager)
        with self.captureOnCommitCallbacks(execute=True):
            incident = log(self.agent, assignment_group=self.front_group, assignee=self.engineer)
        self.assertTrue(self.engineer.notifications.filter(object_id=incident.pk).exists())
        self.assertFalse(self.manager.notifications.filter(object_id=incident.pk).exists())

    def test_reassigning_counts_and_keeps_the_hop(self) -> None:
        incident = log(self.agent, assignment_group=self.vendor_group)
        incident = transition_incident(
            incident,
            "reassign",
            actor=self.agent,
            data={"assignment_group": self.other_vendor_group.pk, "reason": "是PACS问题"},
        )
        self.assertEqual(incident.reassignment_count, 1)
        self.assertEqual(incident.assignment_group, self.other_vendor_group)
        hop = IncidentAssignment.objects.filter(incident=incident).last()
        assert hop is not None
        self.assertEqual(
            (hop.kind, hop.from_group, hop.reason), (K.REASSIGN, self.vendor_group, "是PACS问题")
        )

    def test_accepting_takes_the_incident_unless_someone_already_has_it(self) -> None:
        incident = log(self.agent, assignment_group=self.front_group, assignee=self.engineer)
        incident = transition_incident(incident, "accept", actor=self.agent)
        self.assertEqual(incident.assignee, self.engineer)
        incident = log(self.agent, assignment_group=self.front_group)
        incident = transition_incident(incident, "accept", actor=self.engineer)
        self.assertEqual(incident.assignee, self.engineer)

    def test_the_desk_resolving_at_first_contact_owns_the_incident(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        incident = transition_incident(incident, "resolve", actor=self.agent, data=RESOLUTION)
        self.assertEqual(incident.assignment_group, self.desk_group)
        self.assertEqual(incident.assignee, self.agent)
        incident = transition_incident(
            incident, "reopen", actor=self.reload(self.nurse), data={"reason": "还是不行"}
        )
        self.assertEqual(incident.assignment_group, self.desk_group)

"""Mass outages: one parent incident, many children reported by the departments it hit."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from itsm.core.models import Notification
from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.services import transition_incident, update_incident
from itsm.incidents.tests.factories import RESOLUTION, incident_in, log, state_of

S = IncidentStatus


class ParentChildTests(BaseTestCase):
    def outage(self) -> tuple[Incident, Incident, Incident]:
        parent = incident_in(self, S.IN_PROGRESS, title="HIS门诊收费全院无法登录", service=self.his)
        first = log(self.agent, requester=self.nurse, parent=parent, title="急诊收费无法登录")
        second = incident_in(
            self, S.ASSIGNED, requester=self.doctor, parent=parent, title="放射科无法开单"
        )
        return parent, first, second

    def test_resolving_the_parent_resolves_its_open_children_with_the_same_resolution(
        self,
    ) -> None:
        parent, first, second = self.outage()
        transition_incident(parent, "resolve", actor=self.engineer, data=RESOLUTION)
        for child in (first, second):
            child.refresh_from_db()
            with self.subTest(child=child.number):
                self.assertEqual(child.status, S.RESOLVED)
                self.assertEqual(child.resolution_code, RESOLUTION["resolution_code"])
                self.assertEqual(child.resolution_notes, RESOLUTION["resolution_notes"])
                self.assertIsNotNone(child.resolved_at)

    def test_resolving_the_parent_tells_the_childrens_requesters(self) -> None:
        parent, first, second = self.outage()
        with self.captureOnCommitCallbacks(execute=True):
            transition_incident(parent, "resolve", actor=self.engineer, data=RESOLUTION)
        for child in (first, second):
            with self.subTest(child=child.number):
                self.assertTrue(
                    Notification.objects.filter(
                        recipient=child.requester,
                        object_id=child.pk,
                        content_type__model="incident",
                    ).exists()
                )

    def test_a_vendor_resolving_the_parent_also_resolves_children_not_routed_to_him(
        self,
    ) -> None:
        parent = incident_in(self, S.IN_PROGRESS, group=self.vendor_group, service=self.his)
        child = log(self.agent, requester=self.doctor, parent=parent, title="放射科无法开单")
        transition_incident(parent, "resolve", actor=self.reload(self.vendor), data=RESOLUTION)
        parent.refresh_from_db()
        child.refresh_from_db()
        self.assertEqual(parent.status, S.RESOLVED)
        self.assertEqual(child.status, S.RESOLVED)

    def test_closed_and_cancelled_children_are_left_alone(self) -> None:
        parent = incident_in(self, S.IN_PROGRESS)
        closed = incident_in(self, S.CLOSED, parent=parent)
        cancelled = incident_in(self, S.CANCELLED, parent=parent)
        before = [state_of(closed), state_of(cancelled)]
        transition_incident(parent, "resolve", actor=self.engineer, data=RESOLUTION)
        self.assertEqual([state_of(closed), state_of(cancelled)], before)

    def test_a_child_cannot_be_a_parent(self) -> None:
        parent = log(self.agent, title="HIS全院故障")
        child = log(self.agent, parent=parent)
        with self.assertRaises(ValidationError) as raised:
            log(self.agent, parent=child)
        self.assertIn("parent", raised.exception.message_dict)

    def test_an_incident_cannot_be_its_own_parent(self) -> None:
        incident = log(self.agent)
        before = state_of(incident)
        with self.assertRaises(ValidationError) as raised:
            update_incident(
                incident, {"parent": incident}, actor=self.agent, version=incident.version
            )
        self.assertIn("parent", raised.exception.message_dict)
        self.assertEqual(state_of(incident), before)

    def test_a_refused_child_resolution_rolls_back_the_parent(self) -> None:
        """Parent and children resolve together or not at all."""
        parent, first, second = self.outage()
        before = [state_of(parent), state_of(first), state_of(second)]
        with self.assertRaises(ValidationError):
            transition_incident(
                parent,
                "resolve",
                actor=self.engineer,
                data={"resolution_code": RESOLUTION["resolution_code"]},
            )
        self.assertEqual([state_of(parent), state_of(first), state_of(second)], before)

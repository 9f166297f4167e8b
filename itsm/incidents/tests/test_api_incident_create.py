"""Logging incidents over the API (POST /api/incidents/): through log_incident, for every
role, with bad input refused field by field and nothing written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from itsm.api.tests.support import ApiTestCase
from itsm.core.choices import TicketImpact, TicketPriority, TicketUrgency
from itsm.core.models import AuditEntry, NumberSequence
from itsm.incidents.choices import IncidentChannel, IncidentKind, IncidentStatus
from itsm.incidents.models import Incident, IncidentAssignment
from itsm.incidents.tests.factories import incident_in

S = IncidentStatus
LIST = "/api/incidents/"


def call(**fields: Any) -> dict[str, Any]:
    return {"title": "急诊分诊台条码打印机不出纸", "description": "打印腕带时无反应", **fields}


class IncidentCreateTests(ApiTestCase):
    def written(self) -> tuple[int, int, int, int]:
        """Everything logging an incident writes."""
        last = NumberSequence.objects.filter(prefix="INC").values_list("last", flat=True)
        return (
            Incident.objects.count(),
            AuditEntry.objects.count(),
            IncidentAssignment.objects.count(),
            next(iter(last), 0),
        )

    def test_every_role_with_the_permission_logs_for_himself(self) -> None:
        answers = self.assert_statuses(
            lambda client, role: client.post(LIST, call(), format="json"),
            {
                "nurse": 201,
                "doctor": 201,
                "agent": 201,
                "engineer": 201,
                "vendor": 201,
                "other_vendor": 201,
                "manager": 201,
                "admin": 201,
                "outsider": 403,
                "anonymous": 401,
            },
        )
        for role, response in answers.items():
            if response.status_code == 201:
                with self.subTest(role=role):
                    self.assertEqual(response.data["requester"], self.persona(role).pk)

    def test_a_requester_logs_through_the_service_with_channel_api(self) -> None:
        response = self.api(self.nurse).post(LIST, call(service=self.his.pk), format="json")
        self.assertEqual(response.status_code, 201, response.data)
        incident = Incident.objects.get(pk=response.data["id"])
        self.assertEqual(incident.channel, IncidentChannel.API)
        self.assertEqual(incident.kind, IncidentKind.INCIDENT)
        self.assertEqual(incident.status, S.NEW)
        self.assertEqual(incident.requester, self.nurse)
        self.assertEqual(incident.department, self.emergency)
        self.assertEqual(incident.service, self.his)
        self.assertRegex(incident.number, r"^INC\d+$")
        self.assertEqual(response.data["number"], incident.number)
        self.assertEqual(response["Location"], response.data["url"])
        self.assertTrue(AuditEntry.objects.filter(object_id=incident.pk, action="create").exists())

    def test_priority_follows_impact_and_urgency_and_p1_is_a_major_incident(self) -> None:
        response = self.api(self.agent).post(
            LIST,
            call(requester=self.nurse.pk, impact=TicketImpact.HIGH, urgency=TicketUrgency.HIGH),
            format="json",
        )
        self.assertEqual(response.status_code, 201, response.data)
        self.assertEqual(response.data["priority"], TicketPriority.CRITICAL)
        self.assertTrue(response.data["major"])

    def test_the_desk_logs_a_phone_call_for_a_nurse_and_routes_it_at_once(self) -> None:
        earlier = timezone.now() - timedelta(minutes=20)
        response = self.api(self.agent).post(
            LIST,
            call(
                requester=self.nurse.pk,
                channel=IncidentChannel.PHONE,
                reported_at=earlier.isoformat(),
                configuration_items=[self.printer.pk],
                assignment_group=self.front_group.pk,
                assignee=self.engineer.pk,
            ),
            format="json",
        )
        self.assertEqual(response.status_code, 201, response.data)
        incident = Incident.objects.get(pk=response.data["id"])
        self.assertEqual(incident.status, S.ASSIGNED)
        self.assertEqual(incident.channel, IncidentChannel.PHONE)
        self.assertEqual(incident.assignment_group, self.front_group)
        self.assertEqual(incident.assignee, self.engineer)
        self.assertEqual(incident.reported_at, earlier)
        self.assertEqual(list(incident.configuration_items.all()), [self.printer])
        self.assertEqual(response.data["status"], S.ASSIGNED)

    def test_a_requester_may_not_log_for_someone_else(self) -> None:
        before = self.written()
        response = self.api(self.nurse).post(LIST, call(requester=self.doctor.pk), format="json")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(set(response.data), {"detail"})
        self.assertEqual(self.written(), before)

    def test_a_requester_may_not_route_his_own_report(self) -> None:
        before = self.written()
        response = self.api(self.nurse).post(
            LIST, call(assignment_group=self.vendor_group.pk), format="json"
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.written(), before)

    def test_bad_input_gets_a_message_per_field_and_writes_nothing(self) -> None:
        before = self.written()
        response = self.api(self.agent).post(
            LIST,
            {
                "description": "x",
                "impact": 9,
                "kind": "complaint",
                "service": 98765,
                "configuration_items": [98765],
                "requester": 98765,
            },
            format="json",
        )
        self.assert_error_fields(
            response, "title", "impact", "kind", "service", "configuration_items", "requester"
        )
        self.assertEqual(self.written(), before)

    def test_a_report_time_in_the_future_is_refused(self) -> None:
        before = self.written()
        later = timezone.now() + timedelta(days=1)
        response = self.api(self.agent).post(
            LIST, call(reported_at=later.isoformat()), format="json"
        )
        self.assert_error_fields(response, "reported_at")
        self.assertEqual(self.written(), before)

    def test_fields_that_cannot_be_written_are_named_not_ignored(self) -> None:
        before = self.written()
        response = self.api(self.agent).post(
            LIST, call(status=S.CLOSED, number="INC0000001", priority=1), format="json"
        )
        self.assert_error_fields(response, "status", "number", "priority")
        self.assertEqual(self.written(), before)

    def test_a_failure_after_the_incident_row_was_written_rolls_everything_back(self) -> None:
        """The vendor is not a member of the front-line group: the assignment fails after
        the incident, its number and its audit entry were written, and all of it goes."""
        before = self.written()
        response = self.api(self.agent).post(
            LIST,
            call(
                requester=self.nurse.pk,
                assignment_group=self.front_group.pk,
                assignee=self.vendor.pk,
            ),
            format="json",
        )
        self.assert_error_fields(response, "assignee")
        self.assertEqual(self.written(), before)

    def test_a_parent_the_caller_cannot_see_is_refused_like_a_missing_one(self) -> None:
        hidden = incident_in(self, S.ASSIGNED, requester=self.doctor)
        response = self.api(self.nurse).post(LIST, call(parent=hidden.pk), format="json")
        self.assert_error_fields(response, "parent")
        own = incident_in(self, S.ASSIGNED, requester=self.nurse)
        response = self.api(self.nurse).post(LIST, call(parent=own.pk), format="json")
        self.assertEqual(response.status_code, 201, response.data)
        self.assertEqual(response.data["parent"], own.pk)

    def test_a_form_encoded_post_works_too(self) -> None:
        response = self.api(self.nurse).post(LIST, call(urgency=TicketUrgency.HIGH))
        self.assertEqual(response.status_code, 201, response.data)
        self.assertEqual(response.data["urgency"], TicketUrgency.HIGH)

    def test_a_body_that_is_not_an_object_is_refused(self) -> None:
        response = self.api(self.nurse).post(LIST, ["title"], format="json")
        self.assertEqual(response.status_code, 400)
        self.assertIn("non_field_errors", response.data)
        response = self.api(self.nurse).post(LIST, "{not json", content_type="application/json")
        self.assertEqual(response.status_code, 400)
        self.assertIn("detail", response.data)

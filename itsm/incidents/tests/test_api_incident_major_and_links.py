"""Declaring a major incident and linking related incidents over the API, through
set_major_incident and link_incidents."""

from __future__ import annotations

from itsm.api.tests.support import ApiTestCase
from itsm.core.models import Notification
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.tests.factories import incident_in, state_of

S = IncidentStatus


def major(incident: Incident) -> str:
    return "/api/incidents/%d/major/" % incident.pk


def link(incident: Incident) -> str:
    return "/api/incidents/%d/link/" % incident.pk


class MajorIncidentApiTests(ApiTestCase):
    def test_who_may_declare_a_major_incident(self) -> None:
        def declare(client: object, role: str) -> object:
            incident = incident_in(self, S.ASSIGNED, requester=self.nurse, group=self.vendor_group)
            return client.post(  # type: ignore[attr-defined]
                major(incident), {"major": True, "reason": "全院收费中断"}, format="json"
            )

        self.assert_statuses(
            declare,
            {
                "nurse": 403,
                "doctor": 404,
                "agent": 200,
                "engineer": 200,
                "vendor": 403,
                "other_vendor": 404,
                "manager": 200,
                "admin": 200,
                "outsider": 403,
                "anonymous": 401,
            },
        )

    def test_declaring_tells_the_it_managers(self) -> None:
        incident = incident_in(self, S.ASSIGNED)
        response = self.api(self.agent).post(
            major(incident), {"major": True, "reason": "全院收费中断"}, format="json"
        )
        self.assertEqual(response.status_code, 200, response.data)
        self.assertTrue(response.data["major"])
        self.assertTrue(Notification.objects.filter(recipient=self.manager).exists())

    def test_a_reason_is_required(self) -> None:
        incident = incident_in(self, S.ASSIGNED)
        before = state_of(incident)
        response = self.api(self.agent).post(major(incident), {"major": True}, format="json")
        self.assert_error_fields(response, "reason")
        self.assertEqual(state_of(incident), before)


class LinkApiTests(ApiTestCase):
    def test_the_desk_links_two_incidents_both_ways(self) -> None:
        first = incident_in(self, S.ASSIGNED)
        second = incident_in(self, S.NEW, requester=self.doctor)
        response = self.api(self.agent).post(link(first), {"related": second.pk}, format="json")
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.data["related"], [second.pk])
        self.assertEqual(list(second.related.values_list("pk", flat=True)), [first.pk])

    def test_a_requester_may_not_link(self) -> None:
        first = incident_in(self, S.ASSIGNED, requester=self.nurse)
        second = incident_in(self, S.NEW, requester=self.nurse)
        response = self.api(self.nurse).post(link(first), {"related": second.pk}, format="json")
        self.assertEqual(response.status_code, 403)
        self.assertFalse(first.related.exists())

    def test_the_permission_is_asked_before_the_input(self) -> None:
        incident = incident_in(self, S.ASSIGNED, requester=self.nurse)
        for url, reason in (
            (major(incident), "You may not declare major incidents."),
            (link(incident), "You may not link incidents."),
        ):
            with self.subTest(url=url):
                response = self.api(self.nurse).post(
                    url, {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
                )
                self.assertEqual(response.status_code, 403)
                self.assertEqual(response.data["detail"], reason)
        self.assertEqual(self.api(self.doctor).post(link(incident), {}).status_code, 404)

    def test_an_incident_cannot_be_related_to_itself_or_to_a_missing_one(self) -> None:
        first = incident_in(self, S.ASSIGNED)
        client = self.api(self.agent)
        self.assert_error_fields(
            client.post(link(first), {"related": first.pk}, format="json"), "related"
        )
        self.assert_error_fields(
            client.post(link(first), {"related": 98765}, format="json"), "related"
        )
        self.assertFalse(first.related.exists())

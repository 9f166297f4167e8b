"""GET and POST /api/incidents/{id}/transitions/: what each user may do now, and taking a
transition through transition_incident — refused ones leave the record and its audit log
as they were."""

from __future__ import annotations

from typing import Any

from itsm.api.tests.support import ApiTestCase
from itsm.incidents.choices import IncidentResolutionCode, IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.tests.factories import RESOLUTION, incident_in, log, state_of

S = IncidentStatus


def url(incident: Incident | int) -> str:
    return "/api/incidents/%d/transitions/" % getattr(incident, "pk", incident)


def names(response: Any) -> set[str]:
    return {t["name"] for t in response.data["transitions"]}


class TransitionMenuTests(ApiTestCase):
    def test_each_role_sees_what_it_may_do_now_on_a_vendor_incident(self) -> None:
        incident = incident_in(self, S.ASSIGNED, requester=self.nurse, group=self.vendor_group)
        answers = self.assert_statuses(
            lambda client, role: client.get(url(incident)),
            {
                "nurse": 200,
                "doctor": 404,
                "agent": 200,
                "engineer": 200,
                "vendor": 200,
                "other_vendor": 404,
                "manager": 200,
                "admin": 200,
                "outsider": 403,
                "anonymous": 401,
            },
        )
        self.assertEqual(names(answers["nurse"]), set())
        self.assertEqual(names(answers["vendor"]), {"accept", "escalate", "reassign", "resolve"})
        self.assertEqual(
            names(answers["agent"]), {"accept", "escalate", "reassign", "resolve", "cancel"}
        )
        self.assertEqual(answers["vendor"].data["status"], S.ASSIGNED)
        self.assertEqual(answers["vendor"].data["version"], incident.version)

    def test_each_transition_lists_its_fields_with_choices(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        response = self.api(self.agent).get(url(incident))
        menu = {t["name"]: t for t in response.data["transitions"]}
        self.assertEqual(set(menu), {"assign", "resolve", "cancel"})
        self.assertEqual(menu["assign"]["target"], S.ASSIGNED)
        assign_fields = {f["name"]: f for f in menu["assign"]["fields"]}
        self.assertTrue(assign_fields["assignment_group"]["required"])
        self.assertEqual(assign_fields["assignment_group"]["type"], "id")
        self.assertFalse(assign_fields["assignee"]["required"])
        resolve_fields = {f["name"]: f for f in menu["resolve"]["fields"]}
        self.assertEqual(resolve_fields["resolution_code"]["type"], "choice")
        self.assertEqual(
            {c["value"] for c in resolve_fields["resolution_code"]["choices"]},
            set(IncidentResolutionCode.values),
        )
        self.assertEqual(resolve_fields["resolution_notes"]["type"], "text")
        self.assertEqual(menu["cancel"]["fields"][0]["name"], "reason")

    def test_the_requester_may_confirm_or_reopen_a_resolved_incident(self) -> None:
        incident = incident_in(self, S.RESOLVED, requester=self.nurse)
        self.assertEqual(names(self.api(self.nurse).get(url(incident))), {"confirm", "reopen"})
        self.assertEqual(self.api(self.doctor).get(url(incident)).status_code, 404)

    def test_an_unknown_incident_answers_404(self) -> None:
        self.assertEqual(self.api(self.agent).get(url(98765)).status_code, 404)
        self.assertEqual(
            self.api(self.agent).post(url(98765), {"name": "accept"}, format="json").status_code,
            404,
        )


class TakeTransitionTests(ApiTestCase):
    def vendor_case(self) -> Incident:
        return incident_in(self, S.ASSIGNED, requester=self.nurse, group=self.vendor_group)

    def post(self, user: Any, incident: Incident, **data: Any) -> Any:
        return self.api(user).post(url(incident), data, format="json")

    def test_who_may_accept_an_incident_routed_to_the_vendor(self) -> None:
        def accept(client: Any, role: str) -> Any:
            return client.post(url(self.vendor_case()), {"name": "accept"}, format="json")

        answers = self.assert_statuses(
            accept,
            {
                "nurse": 403,
                "doctor": 404,
                "agent": 200,
                "engineer": 200,
                "vendor": 200,
                "other_vendor": 404,
                "manager": 200,
                "admin": 200,
                "outsider": 403,
                "anonymous": 401,
            },
        )
        self.assertEqual(answers["vendor"].data["status"], S.IN_PROGRESS)
        self.assertEqual(answers["vendor"].data["assignee"], self.vendor.pk)
        self.assertTrue(str(answers["nurse"].data["detail"]))

    def test_a_transition_returns_the_incident_with_its_new_version(self) -> None:
        incident = self.vendor_case()
        response = self.post(self.vendor, incident, name="accept", version=incident.version)
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.data["id"], incident.pk)
        self.assertEqual(response.data["version"], incident.version + 1)
        self.assertEqual(Incident.objects.get(pk=incident.pk).status, S.IN_PROGRESS)

    def test_an_unknown_transition_is_a_conflict_and_changes_nothing(self) -> None:
        incident = self.vendor_case()
        before = state_of(incident)
        response = self.post(self.agent, incident, name="teleport")
        self.assertEqual(response.status_code, 409)
        self.assertIn("teleport", response.data["detail"])
        self.assertEqual(state_of(incident), before)

    def test_a_transition_not_allowed_from_the_status_is_a_conflict_with_the_reason(self) -> None:
        incident = self.vendor_case()
        before = state_of(incident)
        response = self.post(self.agent, incident, name="confirm")
        self.assertEqual(response.status_code, 409)
        self.assertEqual(set(response.data), {"detail"})
        self.assertTrue(str(response.data["detail"]))
        self.assertEqual(state_of(incident), before)

    def test_a_missing_permission_is_403_and_changes_nothing(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        before = state_of(incident)
        response = self.post(
            self.nurse, incident, name="assign", assignment_group=self.front_group.pk
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(state_of(incident), before)

    def test_missing_fields_get_a_message_each_and_leave_no_audit_entry(self) -> None:
        incident = incident_in(self, S.IN_PROGRESS, group=self.vendor_group)
        before = state_of(incident)
        response = self.post(self.vendor, incident, name="resolve")
        self.assert_error_fields(response, "resolution_code", "resolution_notes")
        response = self.post(
            self.vendor,
            incident,
            name="resolve",
            resolution_code="magic",
            resolution_notes="重启",
        )
        self.assert_error_fields(response, "resolution_code")
        self.assertEqual(state_of(incident), before)

    def test_an_escalation_downwards_is_refused_and_writes_no_routing_hop(self) -> None:
        incident = incident_in(self, S.IN_PROGRESS, group=self.vendor_group)
        before = state_of(incident)
        response = self.post(
            self.vendor,
            incident,
            name="escalate",
            assignment_group=self.front_group.pk,
            reason="退回一线",
        )
        self.assert_error_fields(response, "assignment_group")
        self.assertEqual(state_of(incident), before)

    def test_a_vendor_cannot_touch_another_vendors_incident(self) -> None:
        incident = incident_in(self, S.IN_PROGRESS, group=self.vendor_group)
        before = state_of(incident)
        client = self.api(self.other_vendor)
        self.assertEqual(client.get(url(incident)).status_code, 404)
        response = client.post(url(incident), {"name": "resolve", **RESOLUTION}, format="json")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(state_of(incident), before)

    def test_a_stale_version_is_a_conflict(self) -> None:
        incident = self.vendor_case()
        read = incident.version
        self.assertEqual(
            self.post(self.vendor, incident, name="accept", version=read).status_code, 200
        )
        before = state_of(incident)
        response = self.post(
            self.vendor, incident, name="pend", pending_reason="vendor", version=read
        )
        self.assertEqual(response.status_code, 409)
        self.assertEqual(state_of(incident), before)

    def test_the_name_is_required_and_the_version_must_be_a_number(self) -> None:
        incident = self.vendor_case()
        before = state_of(incident)
        self.assert_error_fields(self.post(self.vendor, incident), "name")
        self.assert_error_fields(
            self.post(self.vendor, incident, name="accept", version="latest"), "version"
        )
        self.assertEqual(state_of(incident), before)

    def test_a_fault_goes_from_the_desk_to_the_vendor_and_back_to_the_nurse(self) -> None:
        """The main line, through the API only."""
        created = self.api(self.agent).post(
            "/api/incidents/",
            {
                "title": "门诊收费HIS无法登录",
                "requester": self.nurse.pk,
                "channel": "phone",
                "service": self.his.pk,
                "assignment_group": self.front_group.pk,
            },
            format="json",
        )
        self.assertEqual(created.status_code, 201, created.data)
        incident = Incident.objects.get(pk=created.data["id"])
        steps = [
            (self.engineer, {"name": "accept"}, S.IN_PROGRESS),
            (
                self.engineer,
                {
                    "name": "escalate",
                    "assignment_group": self.vendor_group.pk,
                    "reason": "需要厂商排查数据库",
                },
                S.ASSIGNED,
            ),
            (self.vendor, {"name": "accept"}, S.IN_PROGRESS),
            (self.vendor, {"name": "pend", "pending_reason": "parts"}, S.PENDING),
            (self.vendor, {"name": "resume"}, S.IN_PROGRESS),
            (self.vendor, {"name": "resolve", **RESOLUTION}, S.RESOLVED),
            (self.nurse, {"name": "confirm", "note": "已恢复"}, S.CLOSED),
        ]
        version = created.data["version"]
        for user, body, status in steps:
            with self.subTest(step=body["name"], user=user.username):
                response = self.api(user).post(
                    url(incident), {**body, "version": version}, format="json"
                )
                self.assertEqual(response.status_code, 200, response.data)
                self.assertEqual(response.data["status"], status)
                version = response.data["version"]
        fresh = Incident.objects.get(pk=incident.pk)
        self.assertEqual(fresh.reassignment_count, 1)
        self.assertIsNotNone(fresh.closed_at)
        self.assertEqual(self.api(self.nurse).get(url(incident)).data["transitions"], [])

"""Editing an incident over the API (PATCH /api/incidents/{id}/): update_incident with the
version the client read; a stale version is a 409 that overwrites nothing."""

from __future__ import annotations

from typing import Any

from itsm.api.tests.support import ApiTestCase
from itsm.core.choices import TicketImpact, TicketPriority, TicketUrgency
from itsm.core.models import AuditEntry
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.tests.factories import incident_in, state_of

S = IncidentStatus


def detail(incident: Incident) -> str:
    return "/api/incidents/%d/" % incident.pk


class IncidentUpdateTests(ApiTestCase):
    def vendor_case(self) -> Incident:
        return incident_in(self, S.IN_PROGRESS, requester=self.nurse, group=self.vendor_group)

    def patch(self, user: Any, incident: Incident, **data: Any) -> Any:
        return self.api(user).patch(detail(incident), data, format="json")

    def test_who_may_edit_an_incident(self) -> None:
        def edit(client: Any, role: str) -> Any:
            incident = self.vendor_case()
            return client.patch(
                detail(incident),
                {"title": "HIS挂号窗口无法打印", "version": incident.version},
                format="json",
            )

        self.assert_statuses(
            edit,
            {
                "nurse": 403,
                "doctor": 403,
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

    def test_an_edit_with_the_current_version_is_saved_and_audited(self) -> None:
        incident = self.vendor_case()
        response = self.patch(
            self.agent,
            incident,
            version=incident.version,
            title="HIS挂号窗口无法打印",
            service=self.his.pk,
            configuration_items=[self.printer.pk],
        )
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.data["version"], incident.version + 1)
        self.assertEqual(response.data["title"], "HIS挂号窗口无法打印")
        self.assertEqual(response.data["configuration_items"], [self.printer.pk])
        fresh = Incident.objects.get(pk=incident.pk)
        self.assertEqual(fresh.title, "HIS挂号窗口无法打印")
        self.assertEqual(fresh.service, self.his)
        entry = AuditEntry.objects.filter(object_id=incident.pk, action="update").get()
        self.assertEqual(entry.actor, self.agent)
        self.assertIn("title", entry.changes)

    def test_a_stale_version_is_a_conflict_and_overwrites_nothing(self) -> None:
        incident = self.vendor_case()
        read = incident.version
        first = self.patch(self.agent, incident, version=read, title="第一次修改")
        self.assertEqual(first.status_code, 200)
        before = state_of(incident)
        second = self.patch(self.engineer, incident, version=read, title="第二次修改")
        self.assertEqual(second.status_code, 409)
        self.assertEqual(set(second.data), {"detail"})
        self.assertTrue(str(second.data["detail"]))
        self.assertEqual(state_of(incident), before)
        self.assertEqual(Incident.objects.get(pk=incident.pk).title, "第一次修改")

    def test_the_version_is_required(self) -> None:
        incident = self.vendor_case()
        before = state_of(incident)
        response = self.patch(self.agent, incident, title="没有版本号")
        self.assert_error_fields(response, "version")
        response = self.patch(self.agent, incident, title="坏版本号", version="two")
        self.assert_error_fields(response, "version")
        self.assertEqual(state_of(incident), before)

    def test_impact_and_urgency_set_the_priority(self) -> None:
        incident = self.vendor_case()
        response = self.patch(
            self.agent,
            incident,
            version=incident.version,
            impact=TicketImpact.HIGH,
            urgency=TicketUrgency.HIGH,
        )
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.data["priority"], TicketPriority.CRITICAL)
        self.assertTrue(response.data["major"])

    def test_bad_values_get_a_message_per_field_and_change_nothing(self) -> None:
        incident = self.vendor_case()
        before = state_of(incident)
        response = self.patch(
            self.agent,
            incident,
            version=incident.version,
            title="",
            impact=7,
            channel="pigeon",
            department=98765,
        )
        self.assert_error_fields(response, "title", "impact", "channel", "department")
        self.assertEqual(state_of(incident), before)

    def test_the_status_and_other_computed_fields_cannot_be_patched(self) -> None:
        incident = self.vendor_case()
        before = state_of(incident)
        response = self.patch(
            self.agent,
            incident,
            version=incident.version,
            status=S.CLOSED,
            priority=1,
            assignee=self.agent.pk,
            reported_at="2020-01-01T00:00:00Z",
        )
        self.assert_error_fields(response, "status", "priority", "assignee", "reported_at")
        self.assertIn("transitions", response.data["status"][0])
        self.assertEqual(state_of(incident), before)

    def test_an_incident_cannot_be_its_own_parent(self) -> None:
        incident = self.vendor_case()
        before = state_of(incident)
        response = self.patch(self.agent, incident, version=incident.version, parent=incident.pk)
        self.assert_error_fields(response, "parent")
        self.assertEqual(state_of(incident), before)

    def test_a_closed_incident_cannot_be_edited(self) -> None:
        incident = incident_in(self, S.CLOSED)
        before = state_of(incident)
        response = self.patch(self.agent, incident, version=incident.version, title="改")
        self.assert_error_fields(response, "non_field_errors")
        self.assertEqual(state_of(incident), before)

    def test_an_edit_that_changes_nothing_keeps_the_version(self) -> None:
        incident = self.vendor_case()
        response = self.patch(self.agent, incident, version=incident.version, title=incident.title)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.data["version"], incident.version)

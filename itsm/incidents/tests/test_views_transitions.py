"""Workflow actions through the incident page: the dialog's form, the POST, and every
refusal told to the user with its reason — changing nothing."""

from __future__ import annotations

from django.urls import reverse

from itsm.core.models import Notification
from itsm.incidents.choices import IncidentResolutionCode, IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.tests.factories import incident_in, log, state_of
from itsm.incidents.tests.ui import UITestCase


def action(incident: Incident, name: str) -> str:
    return reverse("incidents:incident_transition", args=[incident.pk, name])


class TransitionViewTests(UITestCase):
    def test_the_dialog_shows_the_transitions_form_with_the_pages_version(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        self.login(self.agent)
        response = self.htmx("get", action(incident, "assign") + "?version=1")
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "incidents/_transition_form.html")
        self.assertContains(response, 'name="assignment_group"')
        self.assertContains(response, 'name="version" value="1"')
        self.assertNotContains(response, "<html")

    def test_without_htmx_the_form_is_a_page_of_its_own(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        self.login(self.agent)
        response = self.client.get(action(incident, "assign"))
        self.assertTemplateUsed(response, "incidents/incident_transition.html")
        self.assertContains(response, "<html")

    def test_the_desk_assigns_and_the_engineer_accepts_and_resolves_through_the_ui(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        self.login(self.agent)
        response = self.client.post(
            action(incident, "assign"),
            {
                "version": incident.version,
                "assignment_group": self.front_group.pk,
                "assignee": self.engineer.pk,
                "reason": "请桌面组处理",
            },
        )
        self.assertRedirects(response, incident.get_absolute_url(), fetch_redirect_response=False)
        incident.refresh_from_db()
        self.assertEqual(incident.status, IncidentStatus.ASSIGNED)
        self.assertEqual(incident.assignee, self.engineer)
        self.assertEqual(incident.routing.count(), 1)

        self.login(self.engineer)
        self.client.post(action(incident, "accept"), {"version": incident.version})
        incident.refresh_from_db()
        self.assertEqual(incident.status, IncidentStatus.IN_PROGRESS)

        with self.captureOnCommitCallbacks(execute=True):
            response = self.htmx(
                "post",
                action(incident, "resolve"),
                {
                    "version": incident.version,
                    "resolution_code": IncidentResolutionCode.FIXED,
                    "resolution_notes": "更换打印头",
                },
            )
        self.assertEqual(response["HX-Redirect"], incident.get_absolute_url())
        incident.refresh_from_db()
        self.assertEqual(incident.status, IncidentStatus.RESOLVED)
        self.assertTrue(Notification.objects.filter(recipient=self.nurse).exists())

    def test_a_bad_form_gets_400_with_the_field_message_and_changes_nothing(self) -> None:
        incident = incident_in(self, IncidentStatus.IN_PROGRESS)
        before = state_of(incident)
        self.login(self.engineer)
        response = self.htmx(
            "post",
            action(incident, "resolve"),
            {"version": incident.version, "resolution_code": IncidentResolutionCode.FIXED},
        )
        self.assertEqual(response.status_code, 400)
        self.assertTemplateUsed(response, "incidents/_transition_form.html")
        self.assertIn("resolution_notes", response.context["form"].errors)
        self.assertContains(response, 'id="id_resolution_notes-errors"', status_code=400)
        self.assertEqual(state_of(incident), before)

    def test_a_rule_of_the_service_is_shown_under_its_field(self) -> None:
        incident = incident_in(self, IncidentStatus.IN_PROGRESS, group=self.vendor_group)
        before = state_of(incident)
        self.login(self.agent)
        response = self.client.post(
            action(incident, "escalate"),
            {
                "version": incident.version,
                "assignment_group": self.front_group.pk,
                "reason": "退回一线",
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("assignment_group", response.context["form"].errors)
        self.assertContains(response, "higher tier", status_code=400)
        self.assertEqual(state_of(incident), before)

    def test_an_action_without_permission_is_403_with_the_reason(self) -> None:
        incident = incident_in(self, IncidentStatus.NEW)
        before = state_of(incident)
        self.login(self.nurse)
        response = self.client.post(
            action(incident, "assign"),
            {"version": incident.version, "assignment_group": self.front_group.pk},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        self.assertEqual(response.status_code, 403)
        self.assertContains(response, "You do not have permission to Assign", status_code=403)
        self.assertEqual(state_of(incident), before)

    def test_in_the_dialog_a_refusal_is_a_partial_with_the_reason(self) -> None:
        incident = incident_in(self, IncidentStatus.NEW)
        self.login(self.nurse)
        response = self.htmx("post", action(incident, "assign"), {"version": incident.version})
        self.assertEqual(response.status_code, 403)
        self.assertTemplateUsed(response, "_error.html")
        self.assertContains(response, 'data-status="403"', status_code=403)

    def test_an_action_not_possible_in_the_current_status_is_409_with_the_reason(self) -> None:
        incident = incident_in(self, IncidentStatus.NEW)
        before = state_of(incident)
        self.login(self.agent)
        response = self.client.post(
            action(incident, "accept"), {"version": incident.version}, HTTP_ACCEPT_LANGUAGE="en"
        )
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "is not possible while the record is", status_code=409)
        self.assertEqual(state_of(incident), before)
        dialog = self.htmx("get", action(incident, "accept"))
        self.assertEqual(dialog.status_code, 409)

    def test_an_action_on_a_stale_page_is_409_and_changes_nothing(self) -> None:
        incident = incident_in(self, IncidentStatus.IN_PROGRESS)
        stale_version = incident.version - 1
        before = state_of(incident)
        self.login(self.engineer)
        response = self.client.post(
            action(incident, "pend"),
            {"version": stale_version, "pending_reason": "parts"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "Someone else changed this record", status_code=409)
        self.assertEqual(state_of(incident), before)

    def test_an_unknown_action_is_404(self) -> None:
        incident = incident_in(self, IncidentStatus.NEW)
        self.login(self.agent)
        self.assertEqual(self.client.post(action(incident, "explode")).status_code, 404)

    def test_the_assignee_choices_follow_the_chosen_group(self) -> None:
        self.login(self.agent)
        response = self.client.get(
            reverse("incidents:group_members"), {"assignment_group": self.vendor_group.pk}
        )
        self.assertContains(response, 'value="%d"' % self.vendor.pk)
        self.assertNotContains(response, 'value="%d"' % self.other_vendor.pk)

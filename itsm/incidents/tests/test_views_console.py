"""The desk console: an agent logs a phone call, and bad input is refused field by field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from itsm.accounts.choices import Role
from itsm.core.choices import TicketImpact, TicketPriority, TicketUrgency
from itsm.core.testing import make_user
from itsm.incidents.choices import IncidentChannel, IncidentKind, IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.tests.ui import UITestCase

URL = reverse("incidents:incident_create")


class DeskConsoleTests(UITestCase):
    def call(self, **fields: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "requester": self.nurse.pk,
            "title": "急诊分诊台条码打印机不出纸",
            "description": "打印腕带时无反应",
            "impact": TicketImpact.MEDIUM,
            "urgency": TicketUrgency.HIGH,
            "kind": IncidentKind.INCIDENT,
            "channel": IncidentChannel.PHONE,
            "reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        }
        data.update(fields)
        return data

    def test_the_console_opens_with_the_requester_box_focused_and_phone_defaults(self) -> None:
        self.login(self.agent)
        response = self.client.get(URL)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'id="requester-search"')
        self.assertRegex(response.content.decode(), r'id="requester-search"[^>]*autofocus')
        form = response.context["form"]
        self.assertEqual(form["kind"].value(), IncidentKind.INCIDENT)
        self.assertEqual(form["channel"].value(), IncidentChannel.PHONE)
        self.assertTrue(form["reported_at"].value())

    def test_logging_a_call_creates_the_incident_and_opens_it(self) -> None:
        self.login(self.agent)
        response = self.client.post(URL, self.call())
        incident = Incident.objects.get()
        self.assertRedirects(response, incident.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(incident.requester, self.nurse)
        self.assertEqual(incident.department, self.emergency)
        self.assertEqual(incident.channel, IncidentChannel.PHONE)
        self.assertEqual(incident.priority, TicketPriority.HIGH)
        self.assertEqual(incident.status, IncidentStatus.NEW)
        page = self.client.get(response["Location"])
        self.assertContains(page, incident.number)
        self.assertContains(page, "alert-success")

    def test_logging_with_a_group_assigns_it_at_once(self) -> None:
        self.login(self.agent)
        self.client.post(URL, self.call(assignment_group=self.front_group.pk))
        incident = Incident.objects.get()
        self.assertEqual(incident.status, IncidentStatus.ASSIGNED)
        self.assertEqual(incident.assignment_group, self.front_group)

    def test_a_call_taken_earlier_can_be_back_dated(self) -> None:
        self.login(self.agent)
        earlier = timezone.localtime() - timedelta(hours=2)
        self.client.post(URL, self.call(reported_at=earlier.strftime("%Y-%m-%dT%H:%M")))
        incident = Incident.objects.get()
        self.assertEqual(incident.reported_at, earlier.replace(second=0, microsecond=0))
        self.assertLess(incident.reported_at, incident.created_at)

    def test_log_and_next_returns_to_an_empty_console(self) -> None:
        self.login(self.agent)
        response = self.client.post(URL, self.call(another="1"))
        self.assertRedirects(response, URL)

    def test_missing_fields_get_400_with_a_message_each_and_nothing_is_logged(self) -> None:
        self.login(self.agent)
        response = self.client.post(URL, self.call(requester="", title=""))
        self.assertEqual(response.status_code, 400)
        errors = response.context["form"].errors
        self.assertIn("requester", errors)
        self.assertIn("title", errors)
        self.assertContains(response, 'id="requester-errors"', status_code=400)
        self.assertFalse(Incident.objects.exists())

    def test_a_report_time_in_the_future_is_refused(self) -> None:
        self.login(self.agent)
        later = timezone.localtime() + timedelta(days=1)
        response = self.client.post(URL, self.call(reported_at=later.strftime("%Y-%m-%dT%H:%M")))
        self.assertEqual(response.status_code, 400)
        self.assertIn("reported_at", response.context["form"].errors)
        self.assertFalse(Incident.objects.exists())

    def test_the_chosen_requester_is_kept_when_the_form_comes_back(self) -> None:
        self.login(self.agent)
        response = self.client.post(URL, self.call(title=""))
        self.assertEqual(response.context["selected_requester"], self.nurse)
        self.assertContains(response, "王芳", status_code=400)

    def test_a_requester_cannot_log_through_the_console(self) -> None:
        self.login(self.nurse)
        response = self.client.post(URL, self.call())
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Incident.objects.exists())

    def test_the_requester_box_finds_people_by_name_phone_and_department(self) -> None:
        self.nurse.phone = "8001"
        self.nurse.save(update_fields=["phone"])
        self.login(self.agent)
        lookup = reverse("incidents:requester_lookup")
        for query in ("王芳", "nurse", "8001", "急诊"):
            response = self.client.get(lookup, {"requester_q": query})
            self.assertContains(response, 'data-pk="%d"' % self.nurse.pk, msg_prefix=query)
        response = self.client.get(lookup, {"requester_q": "李强"})
        self.assertNotContains(response, 'data-pk="%d"' % self.nurse.pk)

    def test_the_priority_preview_follows_the_matrix(self) -> None:
        self.login(self.agent)
        url = reverse("incidents:priority_preview")
        response = self.client.get(url, {"impact": 1, "urgency": 1})
        self.assertContains(response, "priority-1")
        response = self.client.get(url, {"impact": 2, "urgency": 3})
        self.assertContains(response, "priority-4")
        self.assertEqual(self.client.get(url, {"impact": 9, "urgency": 1}).status_code, 400)

    def test_an_exact_user_name_comes_first(self) -> None:
        for name in ("nurse10", "anurse1"):
            make_user(name, Role.REQUESTER, last_name="阿")
        self.login(self.agent)
        response = self.client.get(reverse("incidents:requester_lookup"), {"requester_q": "nurse"})
        self.assertEqual(response.context["users"][0].username, "nurse")
        response = self.client.get(reverse("incidents:requester_lookup"), {"requester_q": "nurse1"})
        self.assertEqual(response.context["users"][0].username, "nurse10")

"""The requester confirms a resolution, or rejects it and the incident is reopened."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.tests.factories import incident_in, state_of
from itsm.incidents.tests.ui import UITestCase


class PortalResolutionTests(UITestCase):
    def setUp(self) -> None:
        self.incident = incident_in(self, IncidentStatus.RESOLVED)
        self.page = reverse("portal:incident_detail", args=[self.incident.pk])

    def act(self, name: str, **data: Any) -> Any:
        return self.client.post(
            reverse("portal:incident_transition", args=[self.incident.pk, name]),
            {"version": self.incident.version, **data},
        )

    def test_a_resolved_report_offers_confirm_and_reopen(self) -> None:
        self.login(self.nurse)
        response = self.client.get(self.page)
        self.assertEqual(set(response.context["actions"]), {"confirm", "reopen"})
        self.assertContains(response, self.incident.resolution_notes)

    def test_confirming_closes_the_incident(self) -> None:
        self.login(self.nurse)
        response = self.act("confirm")
        self.assertRedirects(response, self.page, fetch_redirect_response=False)
        self.assertEqual(Incident.objects.get(pk=self.incident.pk).status, IncidentStatus.CLOSED)

    def test_rejecting_with_a_reason_reopens_it(self) -> None:
        self.login(self.nurse)
        self.act("reopen", reason="打印机还是卡纸")
        incident = Incident.objects.get(pk=self.incident.pk)
        self.assertEqual(incident.status, IncidentStatus.ASSIGNED)
        self.assertIsNone(incident.resolved_at)

    def test_rejecting_without_a_reason_gets_400_and_changes_nothing(self) -> None:
        self.login(self.nurse)
        before = state_of(self.incident)
        response = self.act("reopen", reason="")
        self.assertEqual(response.status_code, 400)
        self.assertIn("reason", response.context["reopen_form"].errors)
        self.assertContains(response, "data-show-on-load", status_code=400)
        self.assertEqual(state_of(self.incident), before)

    def test_another_requester_cannot_confirm_it(self) -> None:
        self.login(self.doctor)
        before = state_of(self.incident)
        self.assertEqual(self.act("confirm").status_code, 404)
        self.assertEqual(state_of(self.incident), before)

    def test_the_portal_offers_only_the_requesters_actions(self) -> None:
        self.login(self.nurse)
        response = self.act("resolve", resolution_code="fixed", resolution_notes="x")
        self.assertEqual(response.status_code, 404)

    def test_confirming_twice_is_409(self) -> None:
        self.login(self.nurse)
        self.act("confirm")
        self.incident.refresh_from_db()
        response = self.act("confirm")
        self.assertEqual(response.status_code, 409)

    def test_an_open_report_can_be_withdrawn_while_still_new(self) -> None:
        fresh = incident_in(self, IncidentStatus.NEW)
        self.login(self.nurse)
        response = self.client.get(reverse("portal:incident_detail", args=[fresh.pk]))
        self.assertIn("cancel", response.context["actions"])
        self.client.post(
            reverse("portal:incident_transition", args=[fresh.pk, "cancel"]),
            {"version": fresh.version, "reason": "已自行解决"},
        )
        self.assertEqual(Incident.objects.get(pk=fresh.pk).status, IncidentStatus.CANCELLED)

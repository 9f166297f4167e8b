"""A requester reports a fault on the portal and follows his own reports only."""

from __future__ import annotations

from django.urls import reverse

from itsm.core.choices import TicketUrgency
from itsm.incidents.choices import IncidentChannel, IncidentKind, IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.tests.factories import incident_in
from itsm.incidents.tests.ui import UITestCase

REPORT = reverse("portal:incident_create")


class PortalReportTests(UITestCase):
    def test_the_report_form_renders_for_a_requester(self) -> None:
        self.login(self.nurse)
        response = self.client.get(REPORT)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'name="title"')
        self.assertContains(response, 'type="radio" name="urgency"')

    def test_a_report_reaches_the_desk_as_a_portal_incident_of_the_requester(self) -> None:
        self.login(self.nurse)
        response = self.client.post(
            REPORT,
            {
                "kind": IncidentKind.INCIDENT,
                "title": "护士站电脑蓝屏",
                "description": "开机后蓝屏重启",
                "urgency": TicketUrgency.MEDIUM,
                "service": self.his.pk,
            },
        )
        incident = Incident.objects.get()
        self.assertRedirects(
            response,
            reverse("portal:incident_detail", args=[incident.pk]),
            fetch_redirect_response=False,
        )
        self.assertEqual(incident.requester, self.nurse)
        self.assertEqual(incident.channel, IncidentChannel.PORTAL)
        self.assertEqual(incident.department, self.emergency)
        self.assertEqual(incident.status, IncidentStatus.NEW)

    def test_a_report_without_a_title_gets_400_and_is_not_saved(self) -> None:
        self.login(self.nurse)
        response = self.client.post(
            REPORT, {"kind": IncidentKind.INCIDENT, "title": "", "urgency": TicketUrgency.LOW}
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("title", response.context["form"].errors)
        self.assertFalse(Incident.objects.exists())

    def test_an_account_without_a_role_cannot_report(self) -> None:
        self.login(self.outsider)
        self.assertEqual(self.client.get(REPORT).status_code, 403)
        response = self.client.post(
            REPORT, {"kind": IncidentKind.INCIDENT, "title": "x", "urgency": TicketUrgency.LOW}
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Incident.objects.exists())

    def test_my_reports_lists_only_mine_newest_first(self) -> None:
        older = incident_in(self, IncidentStatus.IN_PROGRESS, title="旧的报修")
        newer = incident_in(self, IncidentStatus.NEW, title="新的报修")
        theirs = incident_in(self, IncidentStatus.NEW, requester=self.doctor, title="放射科的")
        self.login(self.nurse)
        response = self.client.get(reverse("portal:home"))
        listed = list(response.context["page_obj"])
        self.assertEqual(listed, [newer, older])
        self.assertNotContains(response, theirs.title)

    def test_closed_reports_show_under_all(self) -> None:
        closed = incident_in(self, IncidentStatus.CLOSED, title="已关闭的报修")
        self.login(self.nurse)
        self.assertNotContains(self.client.get(reverse("portal:home")), closed.title)
        self.assertContains(self.client.get(reverse("portal:home"), {"show": "all"}), closed.title)

"""Scan to report (扫码报修): the QR label on an item opens /r/<code>, where a requester
reports a fault on that item in one line and then follows it in the portal."""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode

from itsm.cmdb.choices import ConfigurationItemClass, ConfigurationItemStatus
from itsm.cmdb.models import ConfigurationItem
from itsm.core.choices import TicketImpact, TicketUrgency
from itsm.incidents.choices import IncidentChannel, IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.tests.factories import audit_count, incident_in, log
from itsm.incidents.tests.ui import UITestCase


def scan_url(code: str) -> str:
    return reverse("scan:report", args=[code])


class ScanToReportTests(UITestCase):
    def setUp(self) -> None:
        self.url = scan_url(self.printer.code)

    def test_the_url_is_short_and_carries_the_code(self) -> None:
        self.assertEqual(self.url, "/r/PRN-ED-001")

    def test_the_page_shows_the_item_and_a_one_line_form(self) -> None:
        self.login(self.nurse)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "急诊分诊台条码打印机")
        self.assertContains(response, "PRN-ED-001")
        self.assertContains(response, "门诊楼1层急诊分诊台")
        self.assertContains(response, "急诊科")
        self.assertContains(response, 'name="title"')
        self.assertContains(response, 'maxlength="200"')
        self.assertNotContains(response, "already-reported")

    def test_a_report_creates_an_incident_on_the_item_for_the_requester(self) -> None:
        self.printer.services.add(self.his)
        self.login(self.doctor)  # of radiology: the item's department wins over his own
        response = self.client.post(self.url, {"title": "打印机卡纸", "description": "连续卡纸"})
        incident = Incident.objects.get()
        self.assertRedirects(
            response,
            reverse("portal:incident_detail", args=[incident.pk]),
            fetch_redirect_response=False,
        )
        self.assertEqual(incident.title, "打印机卡纸")
        self.assertEqual(incident.requester, self.doctor)
        self.assertEqual(incident.channel, IncidentChannel.PORTAL)
        self.assertEqual(incident.department, self.emergency)
        self.assertEqual(incident.service, self.his)
        self.assertEqual(list(incident.configuration_items.all()), [self.printer])
        self.assertEqual((incident.impact, incident.urgency), (TicketImpact.LOW, TicketUrgency.LOW))
        self.assertEqual(incident.status, IncidentStatus.NEW)
        self.assertTrue(incident.description.startswith("位置：门诊楼1层急诊分诊台。"))
        self.assertIn("PRN-ED-001", incident.description)
        self.assertTrue(incident.description.endswith("\n\n连续卡纸"))
        self.assertEqual(audit_count(incident), 1)

    def test_the_requester_follows_the_report_on_the_portal_page(self) -> None:
        self.login(self.nurse)
        response = self.client.post(self.url, {"title": "打印机卡纸"}, follow=True)
        incident = Incident.objects.get()
        self.assertEqual(response.request["PATH_INFO"], "/portal/incidents/%d/" % incident.pk)
        self.assertContains(response, incident.number)
        self.assertContains(response, "PRN-ED-001")  # in "what you reported"

    def test_an_item_without_a_department_takes_the_requesters(self) -> None:
        kiosk = ConfigurationItem.objects.create(
            code="KIOSK-01", name="自助机", ci_class_id=ConfigurationItemClass.KIOSK
        )
        kiosk.services.add(self.his, self.pacs)  # two services: the desk chooses
        self.login(self.nurse)
        self.client.post(scan_url(kiosk.code), {"title": "无法打印"})
        incident = Incident.objects.get()
        self.assertEqual(incident.department, self.emergency)
        self.assertIsNone(incident.service)
        self.assertTrue(incident.description.startswith("设备："))

    def test_a_code_with_a_slash_or_chinese_works_too(self) -> None:
        switch = ConfigurationItem.objects.create(
            code="NET/交换机-01",
            name="急诊楼层交换机",
            ci_class_id=ConfigurationItemClass.NETWORK_DEVICE,
        )
        self.login(self.nurse)
        self.assertContains(self.client.get(scan_url(switch.code)), "急诊楼层交换机")
        self.client.post(scan_url(switch.code), {"title": "网络不通"})
        self.assertEqual(list(Incident.objects.get().configuration_items.all()), [switch])

    def test_anonymous_is_sent_to_the_login_page_and_back(self) -> None:
        response = self.client.get(self.url)
        self.assertRedirects(
            response,
            reverse("login") + "?" + urlencode({"next": self.url}),
            fetch_redirect_response=False,
        )
        self.client.post(self.url, {"title": "打印机卡纸"})
        self.assertFalse(Incident.objects.exists())

    def test_an_unknown_code_is_a_friendly_404(self) -> None:
        self.login(self.nurse)
        response = self.client.get(scan_url("NO-SUCH-CODE"))
        self.assertEqual(response.status_code, 404)
        self.assertContains(response, "NO-SUCH-CODE", status_code=404)
        self.assertContains(response, "标签", status_code=404)
        response = self.client.post(scan_url("NO-SUCH-CODE"), {"title": "x"})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Incident.objects.exists())

    def test_a_retired_item_says_so_and_takes_no_report(self) -> None:
        self.printer.status = ConfigurationItemStatus.RETIRED
        self.printer.save(update_fields=["status"])
        self.login(self.nurse)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "data-retired")
        self.assertNotContains(response, 'name="title"')
        response = self.client.post(self.url, {"title": "打印机卡纸"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Incident.objects.exists())

    def test_an_empty_title_shows_the_error_in_chinese_and_writes_nothing(self) -> None:
        self.login(self.nurse)
        response = self.client.post(self.url, {"title": "  ", "description": "卡纸"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("title", response.context["form"].errors)
        self.assertContains(response, "该字段是必填项。", status_code=400)
        self.assertContains(response, "卡纸", status_code=400)  # what she typed stays
        self.assertFalse(Incident.objects.exists())

    def test_a_too_long_title_is_refused(self) -> None:
        self.login(self.nurse)
        response = self.client.post(self.url, {"title": "卡" * 201})
        self.assertEqual(response.status_code, 400)
        self.assertIn("title", response.context["form"].errors)
        self.assertFalse(Incident.objects.exists())

    def test_an_account_that_may_not_report_gets_403(self) -> None:
        self.login(self.outsider)
        self.assertEqual(self.client.get(self.url).status_code, 403)
        self.assertEqual(self.client.post(self.url, {"title": "打印机卡纸"}).status_code, 403)
        self.assertFalse(Incident.objects.exists())

    def test_open_reports_on_the_item_are_listed_when_visible_and_counted_otherwise(
        self,
    ) -> None:
        mine = log(self.nurse, requester=self.nurse, configuration_items=[self.printer])
        theirs = log(self.agent, requester=self.doctor, configuration_items=[self.printer])
        theirs.title = "医生报的：打印机缺纸"
        theirs.save(update_fields=["title"])
        closed = incident_in(self, IncidentStatus.CLOSED, configuration_items=[self.printer])
        log(self.agent, requester=self.doctor, title="另一台设备")  # not on this item

        self.login(self.nurse)
        response = self.client.get(self.url)
        self.assertContains(response, "already-reported")
        self.assertEqual(response.context["open_total"], 2)
        self.assertEqual(response.context["open_incidents"], [mine])
        self.assertEqual(response.context["open_hidden"], 1)
        self.assertContains(response, mine.number)
        self.assertContains(response, reverse("portal:incident_detail", args=[mine.pk]))
        self.assertNotContains(response, theirs.number)
        self.assertNotContains(response, "医生报的")
        self.assertNotContains(response, closed.number)

        self.login(self.agent)  # the desk sees every report
        response = self.client.get(self.url)
        self.assertEqual(set(response.context["open_incidents"]), {mine, theirs})
        self.assertEqual(response.context["open_hidden"], 0)
        self.assertContains(response, "医生报的")

"""QR label sheets for scan to report: IT staff choose items and print an A4 sheet whose
QR codes open /r/<code> on the hospital's address."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders
from django.test import override_settings
from django.urls import reverse
from django.utils.http import urlencode

from itsm.cmdb.choices import ConfigurationItemClass, ConfigurationItemStatus
from itsm.cmdb.models import ConfigurationItem
from itsm.cmdb.views import LABELS_PER_PAGE, qr_svg, requested_codes
from itsm.incidents.tests.ui import UITestCase

LABELS = reverse("cmdb:labels")
BASE_URL = "https://itsm.example-hospital.cn"


def item(code: str, **fields: object) -> ConfigurationItem:
    defaults: dict[str, object] = {"name": "工作站 %s" % code, "ci_class_id": "workstation"}
    return ConfigurationItem.objects.create(code=code, **{**defaults, **fields})


@override_settings(ITSM_BASE_URL=BASE_URL)
class LabelSheetTests(UITestCase):
    def sheet(self, *codes: str) -> str:
        return LABELS + "?" + urlencode({"codes": ",".join(codes)})

    def test_the_agent_gets_one_label_per_code_with_the_qr_of_its_scan_url(self) -> None:
        item("WS-ED-001", position="急诊护士站", department=self.emergency)
        self.login(self.agent)
        response = self.client.get(self.sheet("PRN-ED-001", "WS-ED-001"))
        self.assertEqual(response.status_code, 200)
        labels = response.context["labels"]
        self.assertEqual([label.item.code for label in labels], ["PRN-ED-001", "WS-ED-001"])
        html = response.content.decode()
        self.assertEqual(html.count('class="label"'), 2)
        self.assertEqual(html.count('<svg viewBox="0 0 '), 2)
        for code in ("PRN-ED-001", "WS-ED-001"):
            url = BASE_URL + "/r/" + code
            self.assertIn('data-url="%s"' % url, html)
            # The QR in the page is the one segno makes for exactly this address.
            self.assertIn(str(qr_svg(url)), html)
        self.assertContains(response, "急诊分诊台条码打印机")
        self.assertContains(response, "门诊楼1层急诊分诊台")
        # The sheet's print layout is a static file (no inline style under the CSP).
        self.assertContains(response, "/static/itsm/labels.css")
        self.assertIn("@page { size: A4", Path(str(finders.find("itsm/labels.css"))).read_text())
        self.assertContains(response, "医院信息科 扫码报修")

    def test_a_code_with_a_slash_is_encoded_in_its_url(self) -> None:
        item("NET/SW 01")
        self.login(self.agent)
        response = self.client.get(self.sheet("NET/SW 01"))
        self.assertContains(response, 'data-url="%s/r/NET/SW%%2001"' % BASE_URL)

    def test_a_qr_of_one_address_differs_from_another(self) -> None:
        self.assertNotEqual(qr_svg(BASE_URL + "/r/A"), qr_svg(BASE_URL + "/r/B"))

    def test_codes_may_come_as_a_list_or_repeated_and_each_is_printed_once(self) -> None:
        self.login(self.agent)
        response = self.client.get(LABELS + "?codes=PRN-ED-001&codes=PRN-ED-001,%20")
        self.assertEqual(len(response.context["labels"]), 1)

    def test_many_labels_fill_a4_pages_of_24(self) -> None:
        codes = ["WS-%03d" % n for n in range(30)]
        for code in codes:
            item(code)
        self.login(self.agent)
        response = self.client.get(self.sheet(*codes))
        pages = response.context["pages"]
        self.assertEqual([len(page) for page in pages], [LABELS_PER_PAGE, 30 - LABELS_PER_PAGE])
        self.assertEqual(response.content.decode().count('<div class="sheet">'), 2)

    def test_unknown_codes_are_named_and_not_printed(self) -> None:
        self.login(self.agent)
        response = self.client.get(self.sheet("PRN-ED-001", "NOPE-1"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["missing"], ["NOPE-1"])
        self.assertContains(response, "data-missing")
        self.assertEqual(self.client.get(self.sheet("NOPE-1")).status_code, 404)

    def test_the_selection_form_filters_by_department_location_and_class(self) -> None:
        item("WS-ED-001", position="急诊护士站", department=self.emergency)
        item("WS-RAD-001", position="放射科登记台", department=self.radiology)
        item(
            "WS-ED-OLD",
            position="急诊护士站",
            department=self.emergency,
            status=ConfigurationItemStatus.RETIRED,
        )
        self.login(self.agent)
        self.assertEqual(self.client.get(LABELS).status_code, 200)

        def found(**query: object) -> list[str]:
            response = self.client.get(LABELS, query)
            self.assertEqual(response.status_code, 200)
            return [ci.code for ci in response.context["items"]]

        self.assertEqual(found(department=self.emergency.pk), ["PRN-ED-001", "WS-ED-001"])
        self.assertEqual(found(location="护士站"), ["WS-ED-001"])
        self.assertEqual(found(ci_class=ConfigurationItemClass.PRINTER), ["PRN-ED-001"])
        self.assertEqual(found(location="护士站", include_retired="on"), ["WS-ED-001", "WS-ED-OLD"])
        response = self.client.get(LABELS, {"department": self.emergency.pk})
        self.assertContains(response, 'name="codes" value="WS-ED-001"')

    def test_a_bad_filter_is_a_400_with_the_form(self) -> None:
        self.login(self.agent)
        response = self.client.get(LABELS, {"ci_class": "spaceship"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("ci_class", response.context["form"].errors)

    def test_requesters_and_outsiders_get_403_and_anonymous_the_login_page(self) -> None:
        for user in (self.nurse, self.outsider):
            self.login(user)
            self.assertEqual(self.client.get(self.sheet("PRN-ED-001")).status_code, 403)
            self.assertEqual(self.client.get(LABELS).status_code, 403)
        self.client.logout()
        response = self.client.get(LABELS)
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("login"), response["Location"])


def test_requested_codes_keep_their_order_and_drop_blanks() -> None:
    from django.http import QueryDict

    query = QueryDict("codes=B,A,,B&codes=C")
    assert requested_codes(query) == ["B", "A", "C"]

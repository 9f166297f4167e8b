"""Incident categories (硬件 › 打印机, 软件 › HIS …): the seeded tree, choosing one when
logging or editing (audited like every incident field), filtering the queue and the API by
a category with its subcategories, the incident page, the export and the admin."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from itsm.api.tests.support import page
from itsm.core.choices import TicketImpact, TicketUrgency
from itsm.core.models import AuditEntry
from itsm.incidents.choices import IncidentChannel, IncidentKind, IncidentStatus
from itsm.incidents.forms import IncidentForm
from itsm.incidents.models import Incident, IncidentCategory
from itsm.incidents.services import update_incident
from itsm.incidents.tests.factories import incident_in, log
from itsm.incidents.tests.ui import UITestCase

LIST = reverse("incidents:incident_list")
API = "/api/incidents/"


def category(code: str) -> IncidentCategory:
    return IncidentCategory.objects.get(code=code)


def audited(incident: Incident, action: str) -> list[dict[str, Any]]:
    return list(
        AuditEntry.objects.filter(
            content_type__model="incident", object_id=incident.pk, action=action
        ).values_list("changes", flat=True)
    )


class SeededTreeTests(UITestCase):
    def test_the_hospital_tree_is_installed_with_chinese_and_english_names(self) -> None:
        roots = set(
            IncidentCategory.objects.filter(parent__isnull=True).values_list("code", flat=True)
        )
        self.assertEqual(roots, {"hardware", "software", "network", "access", "howto", "other"})
        children = {c.code for c in IncidentCategory.objects.filter(parent__code="software")}
        self.assertTrue({"his", "emr", "pacs", "lis", "medical-insurance"} <= children)
        self.assertEqual(category("printer").parent, category("hardware"))
        self.assertTrue(all(c.name_en for c in IncidentCategory.objects.all()))

    def test_a_category_is_named_with_its_parent_in_the_active_language(self) -> None:
        printers = IncidentCategory.objects.select_related("parent").get(code="printer")
        self.assertEqual(str(printers), "硬件 › 打印机")
        with translation.override("en"):
            self.assertEqual(str(printers), "Hardware › Printers")

    def test_the_tree_is_read_in_one_query_parents_before_their_children(self) -> None:
        with self.assertNumQueries(1):
            tree = IncidentCategory.objects.tree()
        codes = [c.code for c in tree]
        self.assertLess(codes.index("hardware"), codes.index("printer"))
        self.assertLess(codes.index("printer"), codes.index("his") + 100)
        by_code = {c.code: c for c in tree}
        self.assertEqual(by_code["printer"].path, "硬件 › 打印机")
        self.assertEqual((by_code["hardware"].depth, by_code["printer"].depth), (0, 1))

    def test_descendants_include_the_category_itself_and_every_level_below(self) -> None:
        hardware = category("hardware")
        barcode = IncidentCategory.objects.create(
            code="barcode-printer", name="条码打印机", parent=category("printer")
        )
        found = IncidentCategory.objects.with_descendants(hardware)
        self.assertIn(hardware.pk, found)
        self.assertIn(category("printer").pk, found)
        self.assertIn(barcode.pk, found)
        self.assertNotIn(category("his").pk, found)
        self.assertEqual(IncidentCategory.objects.with_descendants(barcode), {barcode.pk})

    def test_a_category_cannot_move_below_its_own_subcategory(self) -> None:
        hardware = category("hardware")
        hardware.parent = category("printer")
        with self.assertRaises(ValidationError) as raised:
            hardware.full_clean()
        self.assertIn("parent", raised.exception.message_dict)


class CategoryOnIncidentTests(UITestCase):
    def console_post(self, **fields: Any) -> dict[str, Any]:
        return {
            "requester": self.nurse.pk,
            "title": "急诊分诊台条码打印机不出纸",
            "description": "打印腕带时无反应",
            "impact": TicketImpact.LOW,
            "urgency": TicketUrgency.MEDIUM,
            "kind": IncidentKind.INCIDENT,
            "channel": IncidentChannel.PHONE,
            "reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            **fields,
        }

    def test_the_console_offers_the_categories_by_path_and_saves_the_choice(self) -> None:
        self.login(self.agent)
        form_page = self.client.get(reverse("incidents:incident_create"))
        self.assertContains(form_page, 'name="category"')
        self.assertContains(form_page, "硬件 › 打印机")
        printers = category("printer")
        response = self.client.post(
            reverse("incidents:incident_create"), self.console_post(category=printers.pk)
        )
        self.assertEqual(response.status_code, 302)
        incident = Incident.objects.get()
        self.assertEqual(incident.category, printers)
        self.assertEqual(audited(incident, "create")[0]["category_id"], [None, printers.pk])

    def test_an_unknown_category_gets_a_message_on_its_field(self) -> None:
        self.login(self.agent)
        response = self.client.post(
            reverse("incidents:incident_create"), self.console_post(category=999999)
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("category", response.context["form"].errors)
        self.assertFalse(Incident.objects.exists())

    def test_changing_the_category_on_the_edit_page_is_audited(self) -> None:
        incident = incident_in(self, IncidentStatus.IN_PROGRESS, category=category("computer"))
        self.login(self.agent)
        url = reverse("incidents:incident_edit", args=[incident.pk])
        self.assertContains(self.client.get(url), "电脑与外设")
        data = {
            "version": incident.version,
            "requester": incident.requester_id,
            "title": incident.title,
            "description": incident.description,
            "impact": incident.impact,
            "urgency": incident.urgency,
            "kind": incident.kind,
            "channel": incident.channel,
            "department": incident.department_id or "",
            "service": incident.service_id or "",
            "category": category("printer").pk,
        }
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302)
        incident.refresh_from_db()
        self.assertEqual(incident.category, category("printer"))
        self.assertIn(
            {"category_id": [category("computer").pk, category("printer").pk]},
            audited(incident, "update"),
        )

    def test_the_service_audits_a_cleared_category(self) -> None:
        incident = log(self.agent, requester=self.nurse, category=category("his"))
        incident = update_incident(
            incident, {"category": None}, actor=self.agent, version=incident.version
        )
        self.assertIsNone(incident.category)
        self.assertEqual(audited(incident, "update"), [{"category_id": [category("his").pk, None]}])

    def test_the_incident_page_shows_the_category_with_a_link_to_its_incidents(self) -> None:
        incident = log(self.agent, requester=self.nurse, category=category("printer"))
        self.login(self.agent)
        response = self.client.get(incident.get_absolute_url())
        self.assertContains(response, "硬件 › 打印机")
        self.assertContains(response, "%s?category=%d" % (LIST, category("printer").pk))

    def test_the_form_labels_options_without_a_query_per_option(self) -> None:
        form = IncidentForm()
        with CaptureQueriesContext(connection) as queries:
            html = str(form["category"])
        self.assertEqual(len(queries), 1)
        self.assertEqual(html.count("<option"), IncidentCategory.objects.count() + 1)
        self.assertIn("软件 › HIS", html)


class CategoryFilterTests(UITestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.printer_fault = log(cls.agent, requester=cls.nurse, category=category("printer"))
        cls.vague = log(cls.agent, requester=cls.nurse, category=category("hardware"))
        cls.his_fault = log(cls.agent, requester=cls.nurse, category=category("his"))
        cls.unclassified = log(cls.agent, requester=cls.nurse)

    def test_the_queue_filters_by_a_category_and_its_subcategories(self) -> None:
        self.login(self.agent)
        response = self.client.get(LIST, {"queue": "all", "category": category("hardware").pk})
        self.assertEqual(set(response.context["object_list"]), {self.printer_fault, self.vague})
        response = self.client.get(LIST, {"queue": "all", "category": category("printer").pk})
        self.assertEqual(list(response.context["object_list"]), [self.printer_fault])
        self.assertContains(response, "硬件 › 打印机")

    def test_the_api_filters_the_same_way(self) -> None:
        client = self.api(self.agent)
        response = client.get(API, {"category": category("hardware").pk})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            {row["number"] for row in page(response)},
            {self.printer_fault.number, self.vague.number},
        )
        row = client.get(API, {"category": category("his").pk}).data["results"][0]
        self.assertEqual(row["category"], category("his").pk)
        self.assertEqual(row["display"]["category"], "软件 › HIS")

    def test_an_unknown_category_filter_is_a_400_naming_it(self) -> None:
        response = self.api(self.agent).get(API, {"category": 999999})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.data), {"category"})

    def test_the_export_has_the_category_column(self) -> None:
        self.login(self.agent)
        response = self.client.get(LIST, {"queue": "all", "export": "csv", "sort": "number"})
        body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
        rows = list(csv.reader(io.StringIO(body)))
        self.assertEqual(rows[0][-1], "分类")
        by_number = {row[0]: row[-1] for row in rows[1:]}
        self.assertEqual(by_number[self.printer_fault.number], "硬件 › 打印机")
        self.assertEqual(by_number[self.unclassified.number], "")

    def test_the_queue_shows_categories_without_a_query_per_row(self) -> None:
        for index in range(12):
            log(
                self.agent,
                requester=self.nurse,
                category=category("printer" if index % 2 else "wireless"),
            )
        self.login(self.agent)
        self.client.get(LIST, {"queue": "all", "page_size": 5})
        with CaptureQueriesContext(connection) as small:
            self.client.get(LIST, {"queue": "all", "page_size": 5})
        with self.assertNumQueries(len(small)):
            response = self.client.get(LIST, {"queue": "all", "page_size": 50})
        self.assertContains(response, "网络 › 无线网络")


class CategoryApiWriteTests(UITestCase):
    def test_an_incident_is_logged_and_recategorised_over_the_api(self) -> None:
        client = self.api(self.agent)
        response = client.post(
            API,
            {
                "title": "PACS 影像调阅慢",
                "requester": self.doctor.pk,
                "category": category("pacs").pk,
            },
            format="json",
        )
        self.assertEqual(response.status_code, 201, response.data)
        incident = Incident.objects.get(pk=response.data["id"])
        self.assertEqual(incident.category, category("pacs"))
        response = client.patch(
            "%s%d/" % (API, incident.pk),
            {"version": incident.version, "category": category("server").pk},
            format="json",
        )
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.data["display"]["category"], "硬件 › 服务器与存储")
        self.assertIn(
            {"category_id": [category("pacs").pk, category("server").pk]},
            audited(incident, "update"),
        )

    def test_an_unknown_category_is_refused_per_field(self) -> None:
        response = self.api(self.agent).post(
            API, {"title": "无线掉线", "category": 999999}, format="json"
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.data), {"category"})


class CategoryAdminTests(UITestCase):
    def test_an_administrator_lists_and_adds_categories(self) -> None:
        self.login(self.admin)
        changelist = reverse("admin:incidents_incidentcategory_changelist")
        self.assertContains(self.client.get(changelist), "打印机")
        response = self.client.post(
            reverse("admin:incidents_incidentcategory_add"),
            {
                "code": "wristband-printer",
                "name": "腕带打印机",
                "name_en": "Wristband printers",
                "parent": category("printer").pk,
                "description": "",
            },
        )
        self.assertEqual(response.status_code, 302, getattr(response, "context", None))
        self.assertEqual(category("wristband-printer").parent, category("printer"))

    def test_a_category_in_use_cannot_be_deleted(self) -> None:
        from django.db.models import ProtectedError

        log(self.agent, requester=self.nurse, category=category("lis"))
        with self.assertRaises(ProtectedError):
            category("lis").delete()

    def test_the_incident_admin_shows_the_category_read_only(self) -> None:
        incident = log(self.agent, requester=self.nurse, category=category("lis"))
        self.login(self.admin)
        response = self.client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
        self.assertContains(response, "LIS 检验")

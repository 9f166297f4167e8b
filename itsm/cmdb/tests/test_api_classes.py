"""Configuration item classes, their attribute schemas and contracts over the API: IT staff
read them; administrators add and edit them under the rules (a built-in class keeps its
code and parent, a choice lists its values, a reference names its class, an attribute
code is unique along the class's lineage); every write is audited."""

from __future__ import annotations

from typing import Any

import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.api.tests.support import ApiTestCase, page
from itsm.cmdb.attributes import schema
from itsm.cmdb.choices import AttributeType
from itsm.cmdb.choices import ConfigurationItemClass as C
from itsm.cmdb.models import AttributeDefinition, CIClass, Contract
from itsm.cmdb.tests.factories import make_ci
from itsm.core.models import AuditEntry

READS = {
    "nurse": 403,
    "doctor": 403,
    "agent": 200,
    "engineer": 200,
    "vendor": 200,
    "other_vendor": 200,
    "manager": 200,
    "admin": 200,
    "outsider": 403,
    "anonymous": 401,
}
ADMIN_ONLY = {**READS, **{role: 403 for role, code in READS.items() if code == 200}}
# A vendor's engineer does not read the hospital's contracts with other vendors.
CONTRACT_READS = {**READS, "vendor": 403, "other_vendor": 403}


class CIClassApiTests(ApiTestCase):
    def test_it_staff_read_the_classes_and_administrators_add_them(self) -> None:
        self.assert_statuses(lambda client, role: client.get("/api/ci-classes/"), READS)
        counter = iter(range(100))

        def add(client: Any, role: str) -> Any:
            body = {"code": "pda%d" % next(counter), "name": "手持终端", "parent": C.WORKSTATION}
            return client.post("/api/ci-classes/", body, format="json")

        self.assert_statuses(add, {**ADMIN_ONLY, "admin": 201})
        added = CIClass.objects.get(code__startswith="pda")
        self.assertFalse(added.builtin)
        self.assertTrue(AuditEntry.objects.filter(object_id=added.pk, action="create").exists())

    def test_each_class_shows_its_parent_and_whole_schema(self) -> None:
        rows = page(self.api(self.agent).get("/api/ci-classes/", {"page_size": 200}))
        by_code = {row["code"]: row for row in rows}
        physical = by_code["physical_server"]
        self.assertEqual((physical["parent"], physical["label"]), ("server", "物理服务器"))
        self.assertIn("cpu_cores", [a["code"] for a in physical["schema"]])
        self.assertEqual({a["defined_on"] for a in physical["schema"]}, {"server"})
        for ci_class in CIClass.objects.all():
            with self.subTest(ci_class=ci_class.code):
                self.assertEqual(
                    [a["code"] for a in by_code[ci_class.code]["schema"]],
                    [d.code for d in schema(ci_class.code)],
                )
        detail = self.api(self.agent).get(
            "/api/ci-classes/%d/" % CIClass.objects.get(code="database").pk
        )
        engine = detail.data["schema"][0]
        self.assertEqual(
            (engine["code"], engine["type"], engine["required"]), ("engine", "choice", True)
        )
        self.assertIn("Oracle", engine["choices"])

    def test_the_list_runs_a_constant_number_of_queries(self) -> None:
        client = self.api(self.agent)
        client.get("/api/ci-classes/", {"page_size": 3})
        with CaptureQueriesContext(connection) as small:
            client.get("/api/ci-classes/", {"page_size": 3})
        with self.assertNumQueries(len(small)):
            rows = page(client.get("/api/ci-classes/", {"page_size": 20}))
        self.assertEqual(len(rows), 20)

    def test_a_built_in_class_keeps_its_code_and_parent(self) -> None:
        server = CIClass.objects.get(code="physical_server")
        client = self.api(self.admin)
        url = "/api/ci-classes/%d/" % server.pk
        response = client.patch(url, {"code": "box", "parent": "storage"}, format="json")
        self.assert_error_fields(response, "code", "parent")
        self.assertIn("内置", " ".join(response.data["code"]))
        response = client.patch(
            url, {"name_en": "Bare-metal server", "version": server.version}, format="json"
        )
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.data["label"], "物理服务器")
        server.refresh_from_db()
        self.assertEqual(
            (server.code, server.parent and server.parent.code), ("physical_server", "server")
        )

    def test_a_class_cannot_be_placed_inside_itself(self) -> None:
        client = self.api(self.admin)
        pda = client.post(
            "/api/ci-classes/",
            {"code": "pda", "name": "手持终端", "parent": C.WORKSTATION},
            format="json",
        ).data
        client.post(
            "/api/ci-classes/",
            {"code": "pda_rugged", "name": "三防手持终端", "parent": "pda"},
            format="json",
        )
        response = client.patch(
            "/api/ci-classes/%d/" % pda["id"], {"parent": "pda_rugged"}, format="json"
        )
        self.assert_error_fields(response, "parent")

    def test_a_class_with_items_keeps_its_code(self) -> None:
        client = self.api(self.admin)
        pda = client.post(
            "/api/ci-classes/",
            {"code": "pda", "name": "手持终端", "parent": C.WORKSTATION},
            format="json",
        ).data
        make_ci("PDA-001", "pda")
        response = client.patch(
            "/api/ci-classes/%d/" % pda["id"], {"code": "handheld"}, format="json"
        )
        self.assert_error_fields(response, "code")
        response = client.post("/api/ci-classes/", {"code": "pda", "name": "重复"}, format="json")
        self.assert_error_fields(response, "code")


class AttributeApiTests(ApiTestCase):
    def post(self, role: str = "admin", **data: Any) -> Any:
        body = {
            "ci_class": "barcode_printer",
            "code": "dpi",
            "name": "分辨率",
            "type": "number",
            **data,
        }
        return self.as_role(role).post("/api/ci-attributes/", body, format="json")

    def test_administrators_add_attributes_and_items_carry_them(self) -> None:
        self.assert_statuses(
            lambda client, role: client.get("/api/ci-attributes/", {"ci_class": "server"}), READS
        )
        counter = iter(range(100))
        self.assert_statuses(
            lambda client, role: self.post(role, code="dpi%d" % next(counter)),
            {**ADMIN_ONLY, "admin": 201},
        )
        response = self.post(code="dpi", required=False, order=5)
        self.assertEqual(response.status_code, 201, response.data)
        self.assertTrue(
            AuditEntry.objects.filter(object_id=response.data["id"], action="create").exists()
        )
        item = self.api(self.admin).post(
            "/api/cis/",
            {
                "code": "PRN-LAB-01",
                "name": "检验科条码打印机",
                "ci_class": "barcode_printer",
                "attributes": {"dpi": "300", "connection": "USB"},
            },
            format="json",
        )
        self.assertEqual(item.status_code, 201, item.data)
        self.assertEqual(item.data["attributes"], {"dpi": 300, "connection": "USB"})
        rows = page(
            self.api(self.agent).get("/api/ci-attributes/", {"ci_class": "barcode_printer"})
        )
        self.assertIn("dpi", [row["code"] for row in rows])

    def test_a_choice_needs_its_values_and_a_reference_its_class(self) -> None:
        response = self.post(type=AttributeType.CHOICE, choices=[])
        self.assert_error_fields(response, "choices")
        response = self.post(type=AttributeType.REFERENCE)
        self.assert_error_fields(response, "reference_class")
        self.assertIn("引用", " ".join(response.data["reference_class"]))
        response = self.post(type=AttributeType.NUMBER, reference_class=C.APPLICATION)
        self.assert_error_fields(response, "reference_class")
        response = self.post(type="colour")
        self.assert_error_fields(response, "type")
        response = self.post(type=AttributeType.REFERENCE, reference_class=C.APPLICATION)
        self.assertEqual(response.status_code, 201, response.data)

    def test_a_code_is_unique_along_the_lineage(self) -> None:
        before = AttributeDefinition.objects.count(), AuditEntry.objects.count()
        # The class's own, an ancestor's (printer), a subclass's would clash.
        for ci_class, code in (
            ("printer", "model"),
            ("barcode_printer", "model"),
            ("printer", "label_width_mm"),
        ):
            with self.subTest(ci_class=ci_class, code=code):
                response = self.post(ci_class=ci_class, code=code)
                self.assert_error_fields(response, "code")
                self.assertIn("已有属性", " ".join(response.data["code"]))
        self.assertEqual((AttributeDefinition.objects.count(), AuditEntry.objects.count()), before)
        response = self.post(ci_class="kiosk", code="label_width_mm")
        self.assertEqual(response.status_code, 201, response.data)

    def test_an_attribute_in_use_keeps_its_class_and_type_and_is_not_deleted(self) -> None:
        created = self.post().data
        url = "/api/ci-attributes/%d/" % created["id"]
        client = self.api(self.admin)
        make_ci("PRN-01", "barcode_printer", attributes={"dpi": 300})
        self.assert_error_fields(client.patch(url, {"type": "text"}, format="json"), "type")
        self.assert_error_fields(
            client.patch(url, {"ci_class": "kiosk"}, format="json"), "ci_class"
        )
        response = client.delete(url)
        self.assertEqual(response.status_code, 409)
        self.assertTrue(AttributeDefinition.objects.filter(pk=created["id"]).exists())
        version = AttributeDefinition.objects.get(pk=created["id"]).version
        response = client.patch(
            url, {"name_en": "Resolution", "required": True, "version": version}, format="json"
        )
        self.assertEqual(response.status_code, 200, response.data)

    def test_an_unused_attribute_is_deleted_and_audited(self) -> None:
        created = self.post().data
        url = "/api/ci-attributes/%d/" % created["id"]
        self.assertEqual(self.api(self.engineer).delete(url).status_code, 403)
        self.assertEqual(self.api(self.admin).delete(url).status_code, 204)
        self.assertFalse(AttributeDefinition.objects.filter(pk=created["id"]).exists())
        self.assertTrue(
            AuditEntry.objects.filter(object_id=created["id"], action="delete").exists()
        )


class ContractApiTests(ApiTestCase):
    def test_it_staff_read_contracts_and_administrators_write_them(self) -> None:
        self.assert_statuses(lambda client, role: client.get("/api/contracts/"), CONTRACT_READS)
        counter = iter(range(100))

        def add(client: Any, role: str) -> Any:
            body = {"number": "HT-%d" % next(counter), "name": "维保", "vendor": self.his_vendor.pk}
            return client.post("/api/contracts/", body, format="json")

        self.assert_statuses(
            add, {**CONTRACT_READS, "agent": 403, "engineer": 403, "manager": 403, "admin": 201}
        )

    def test_bad_contracts_are_refused_and_used_ones_kept(self) -> None:
        client = self.api(self.admin)
        contract = Contract.objects.create(number="HT-1", name="HIS 维保", vendor=self.his_vendor)
        body = {"number": "HT-1", "name": "重复", "vendor": self.his_vendor.pk}
        self.assert_error_fields(client.post("/api/contracts/", body, format="json"), "number")
        body = {**body, "number": "HT-2", "starts_on": "2026-01-01", "ends_on": "2025-12-31"}
        self.assert_error_fields(client.post("/api/contracts/", body, format="json"), "ends_on")
        make_ci("SRV-X", C.SERVER, vendor=self.his_vendor, contract=contract)
        self.assertEqual(client.delete("/api/contracts/%d/" % contract.pk).status_code, 409)
        self.assertTrue(Contract.objects.filter(pk=contract.pk).exists())
        rows = page(client.get("/api/contracts/", {"vendor": self.his_vendor.pk}))
        self.assertEqual([row["number"] for row in rows], ["HT-1"])


class CmdbSchemaTests(ApiTestCase):
    def test_the_openapi_schema_lists_the_cmdb_endpoints(self) -> None:
        response = self.client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
        paths = yaml.safe_load(response.content)["paths"]
        expected = {
            "/api/cis/": {"get", "post"},
            "/api/cis/{id}/": {"get", "patch"},
            "/api/cis/{id}/history/": {"get"},
            "/api/cis/{id}/as-of/": {"get"},
            "/api/cis/{id}/impact/": {"get"},
            "/api/ci-classes/": {"get", "post"},
            "/api/ci-classes/{id}/": {"get", "patch"},
            "/api/ci-attributes/": {"get", "post"},
            "/api/ci-attributes/{id}/": {"get", "patch", "delete"},
            "/api/contracts/": {"get", "post"},
            "/api/contracts/{id}/": {"get", "patch", "delete"},
        }
        for path, methods in expected.items():
            with self.subTest(path=path):
                self.assertEqual(set(paths[path]) - {"parameters"}, methods)
        patch = paths["/api/cis/{id}/"]["patch"]
        self.assertIn("409", patch["responses"])
        body = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        self.assertTrue(body.endswith("ConfigurationItemUpdateRequest"), body)

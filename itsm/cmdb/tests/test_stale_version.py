"""Optimistic locking on the CMDB's reference data edited over the API (services,
contracts, CI classes, attributes): a PATCH carries the version read; a stale one answers
409 and writes nothing, a missing one 400; a good one saves the next version."""

from __future__ import annotations

from typing import Any

from itsm.api.tests.support import ApiTestCase
from itsm.cmdb.models import AttributeDefinition, CIClass, Contract
from itsm.core.models import AuditEntry


class StaleVersionTests(ApiTestCase):
    def records(self) -> list[tuple[str, Any, str, Any]]:
        """(URL, record, a field to edit, a new value) for each versioned model."""
        contract = Contract.objects.create(
            number="WB-2026-01", name="HIS 维保", vendor=self.his_vendor
        )
        ci_class = CIClass.objects.get(code="physical_server")
        attribute = AttributeDefinition.objects.filter(ci_class__code="barcode_printer").first()
        assert attribute is not None
        return [
            ("/api/services/%d/", self.pacs, "description", "影像归档与通信系统"),
            ("/api/contracts/%d/", contract, "note", "含驻场"),
            ("/api/ci-classes/%d/", ci_class, "description", "机房物理服务器"),
            ("/api/ci-attributes/%d/", attribute, "help_text", "每英寸点数"),
        ]

    def test_a_stale_version_answers_409_and_writes_nothing(self) -> None:
        client = self.api(self.admin)
        for url, record, field, value in self.records():
            with self.subTest(model=type(record).__name__):
                path = url % record.pk
                version = client.get(path).data["version"]
                first = client.patch(path, {field: value, "version": version}, format="json")
                self.assertEqual(first.status_code, 200, first.data)
                self.assertEqual(first.data["version"], version + 1)
                audits = AuditEntry.objects.count()

                stale = client.patch(path, {field: "过期的编辑", "version": version}, format="json")

                self.assertEqual(stale.status_code, 409, stale.data)
                self.assertIn("detail", stale.data)
                record.refresh_from_db()
                self.assertEqual((getattr(record, field), record.version), (value, version + 1))
                self.assertEqual(AuditEntry.objects.count(), audits)

    def test_a_patch_without_a_version_is_refused_with_400(self) -> None:
        client = self.api(self.admin)
        for url, record, field, _value in self.records():
            with self.subTest(model=type(record).__name__):
                before = getattr(record, field)
                response = client.patch(url % record.pk, {field: "无版本"}, format="json")
                self.assert_error_fields(response, "version")
                record.refresh_from_db()
                self.assertEqual((getattr(record, field), record.version), (before, 1))

    def test_a_create_cannot_set_the_version(self) -> None:
        response = self.api(self.admin).post(
            "/api/contracts/",
            {"number": "WB-9", "name": "PACS 维保", "vendor": self.pacs_vendor.pk, "version": 7},
            format="json",
        )
        self.assert_error_fields(response, "version")
        self.assertFalse(Contract.objects.filter(number="WB-9").exists())

    def test_the_schema_documents_the_version_of_a_patch(self) -> None:
        schema = self.api(self.admin).get("/api/schema/", HTTP_ACCEPT="application/json").json()
        body = schema["components"]["schemas"]["PatchedServiceRequest"]
        self.assertIn("version", body["properties"])
        self.assertNotIn("version", schema["components"]["schemas"]["ServiceRequest"]["properties"])

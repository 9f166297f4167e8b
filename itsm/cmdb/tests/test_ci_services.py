"""Recording and editing configuration items: the class hierarchy's attribute schemas,
the field rules, the version check and the audit (create_ci, update_ci)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from itsm.accounts.models import Vendor
from itsm.cmdb.attributes import ClassTree, schema
from itsm.cmdb.choices import AttributeType
from itsm.cmdb.models import AttributeDefinition, CIClass, ConfigurationItem, Contract
from itsm.cmdb.relationships import is_allowed
from itsm.cmdb.services import create_ci, set_deployed_version, update_ci
from itsm.cmdb.tests.factories import make_ci
from itsm.core.exceptions import StaleVersion
from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase


class ClassHierarchyTests(BaseTestCase):
    def test_the_built_in_classes_form_a_hospital_hierarchy(self) -> None:
        tree = ClassTree.load()
        self.assertEqual(tree.lineage("virtual_server"), ("virtual_server", "server"))
        self.assertEqual(tree.lineage("barcode_printer"), ("barcode_printer", "printer"))
        self.assertEqual(
            tree.descendants("location"), {"location", "campus", "building", "floor", "room"}
        )
        for code in ("application", "database", "storage", "kiosk", "software_licence"):
            self.assertIn(code, tree.classes)
        with translation.override("zh-hans"):
            self.assertEqual(tree.classes["virtual_server"].label, "虚拟机")
        with translation.override("en"):
            self.assertEqual(tree.classes["virtual_server"].label, "Virtual machine")

    def test_a_subclass_has_its_ancestors_attributes_first_then_its_own(self) -> None:
        codes = [d.code for d in schema("virtual_server")]
        self.assertEqual(codes[:4], ["os", "cpu_cores", "memory_gb", "management_ip"])
        ward = CIClass.objects.create(
            code="ward_printer", name="病区打印机", parent=CIClass.objects.get(code="printer")
        )
        AttributeDefinition.objects.create(
            ci_class=ward, code="ward", name="病区", type=AttributeType.TEXT
        )
        self.assertEqual([d.code for d in schema("ward_printer")], ["model", "connection", "ward"])

    def test_a_subclass_joins_relationships_wherever_its_ancestor_may(self) -> None:
        tree = ClassTree.load()
        self.assertTrue(
            is_allowed("hosted_on", tree.lineage("virtual_server"), tree.lineage("physical_server"))
        )
        self.assertFalse(is_allowed("runs_on", tree.lineage("application"), tree.lineage("room")))


class CreateItemTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.floor = make_ci("LOC-OPD-3F", "floor", name="门诊楼3层")
        self.vendor = Vendor.objects.create(name="华为技术")
        self.contract = Contract.objects.create(number="WB-1", name="维保", vendor=self.vendor)

    def create(self, **fields: Any) -> ConfigurationItem:
        attributes = fields.pop("attributes", None)
        change_number = fields.pop("change_number", "")
        base: dict[str, Any] = {
            "code": "SRV-01",
            "name": "HIS 应用服务器",
            "ci_class": "virtual_server",
        }
        return create_ci(
            actor=self.admin,
            fields={**base, **fields},
            attributes=attributes,
            change_number=change_number,
        )

    def refused(self, **fields: Any) -> dict[str, list[str]]:
        before = (ConfigurationItem.objects.count(), AuditEntry.objects.count())
        with translation.override("zh-hans"), self.assertRaises(ValidationError) as caught:
            self.create(**fields)
        self.assertEqual((ConfigurationItem.objects.count(), AuditEntry.objects.count()), before)
        return caught.exception.message_dict

    def test_it_records_every_field_and_typed_attribute_and_audits_them(self) -> None:
        item = self.create(
            location=self.floor,
            position="机柜 A3",
            vendor=self.vendor,
            contract=self.contract,
            serial_number="2102311XYZ",
            asset_tag="ZC-000001",
            ip_address="10.10.1.21",
            purchased_on=dt.date(2024, 3, 1),
            warranty_ends_on=dt.date(2027, 3, 1),
            attributes={
                "os": "CentOS 7.9",
                "cpu_cores": "16",
                "memory_gb": 64.0,
                "management_ip": " 10.0.0.5 ",
            },
            change_number="CHG0000001",
        )
        item.refresh_from_db()
        self.assertEqual(
            item.attributes,
            {"os": "CentOS 7.9", "cpu_cores": 16, "memory_gb": 64, "management_ip": "10.0.0.5"},
        )
        self.assertEqual(item.place, "门诊楼3层 / 机柜 A3")
        entry = AuditEntry.objects.get(object_id=item.pk, action="create")
        self.assertEqual(entry.note, "CHG0000001")
        self.assertEqual(entry.changes["attributes.cpu_cores"], [None, 16])
        self.assertEqual(entry.changes["asset_tag"], [None, "ZC-000001"])

    def test_wrong_types_unknown_and_missing_attributes_each_get_a_message(self) -> None:
        errors = self.refused(
            attributes={"cpu_cores": "很多", "management_ip": "10.0.0.300", "colour": "红"}
        )
        self.assertIn("数字", errors["attributes.cpu_cores"][0])
        self.assertIn("IP", errors["attributes.management_ip"][0])
        self.assertIn("colour", errors["attributes.colour"][0])
        errors = self.refused(ci_class="database", attributes={"engine": "Access"})
        self.assertIn("Oracle", errors["attributes.engine"][0])
        errors = self.refused(ci_class="database")
        self.assertIn("数据库类型", errors["attributes.engine"][0])
        errors = self.refused(ci_class="software_licence", attributes={"expires_on": "明年"})
        self.assertIn("YYYY-MM-DD", errors["attributes.expires_on"][0])

    def test_a_reference_must_name_an_existing_item_of_the_referenced_class(self) -> None:
        his = make_ci("APP-HIS", "application")
        server = make_ci("SRV-X", "physical_server")
        base = {"code": "LIC-1", "ci_class": "software_licence"}
        self.assertIn(
            "attributes.licensed_to", self.refused(**base, attributes={"licensed_to": "NOPE"})
        )
        self.assertIn(
            "attributes.licensed_to", self.refused(**base, attributes={"licensed_to": server.pk})
        )
        item = self.create(**base, attributes={"licensed_to": "APP-HIS", "seats": 200})
        self.assertEqual(item.attributes["licensed_to"], his.pk)

    def test_location_duplicates_contract_and_unknown_class_are_refused(self) -> None:
        make_ci("SRV-01")
        self.assertIn("code", self.refused())
        other = make_ci("WS-1", "workstation")
        self.assertIn("location", self.refused(code="SRV-02", location=other))
        make_ci("SRV-03", asset_tag="ZC-9")
        self.assertIn("asset_tag", self.refused(code="SRV-04", asset_tag="ZC-9"))
        elsewhere = Contract.objects.create(
            number="WB-2", name="终端维保", vendor=Vendor.objects.create(name="联想集团")
        )
        self.assertIn(
            "contract", self.refused(code="SRV-05", vendor=self.vendor, contract=elsewhere)
        )
        self.assertIn("ci_class", self.refused(code="SRV-06", ci_class="toaster"))
        self.assertIn("ip_address", self.refused(code="SRV-07", ip_address="not-an-ip"))

    def test_without_the_permission_nothing_is_written(self) -> None:
        with self.assertRaises(PermissionDenied):
            create_ci(actor=self.nurse, fields={"code": "X", "name": "x", "ci_class": "server"})
        self.assertFalse(ConfigurationItem.objects.filter(code="X").exists())


class UpdateItemTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.item = create_ci(
            actor=self.admin,
            fields={"code": "DB-HIS", "name": "HIS 数据库", "ci_class": "database"},
            attributes={"engine": "Oracle", "port": 1521},
        )

    def test_it_audits_changed_fields_and_attributes_old_to_new_with_the_rfc(self) -> None:
        updated = update_ci(
            self.item,
            actor=self.admin,
            version=self.item.version,
            fields={"name": "HIS 核心库"},
            attributes={"engine": "Oracle", "software_version": "19c"},
            change_number="CHG0000042",
        )
        self.assertEqual(updated.version, 2)
        entry = AuditEntry.objects.get(object_id=self.item.pk, action="update")
        self.assertEqual(
            entry.changes,
            {
                "name": ["HIS 数据库", "HIS 核心库"],
                "attributes.software_version": [None, "19c"],
                "attributes.port": [1521, None],
            },
        )
        self.assertEqual(entry.note, "CHG0000042")

    def test_a_deployment_sets_the_version_without_the_right_to_edit_items(self) -> None:
        # A vendor's engineer may not edit the CMDB, but what he deployed is recorded.
        with self.assertRaises(PermissionDenied):
            update_ci(self.item, actor=self.vendor, version=1, fields={"name": "A"})
        updated = set_deployed_version(
            self.item, actor=self.vendor, software_version="19.24", change_number="REL0000007"
        )
        self.assertEqual(updated.attributes["software_version"], "19.24")
        self.assertEqual(updated.attributes["engine"], "Oracle")
        entry = AuditEntry.objects.get(object_id=self.item.pk, action="update")
        self.assertEqual(entry.changes, {"attributes.software_version": [None, "19.24"]})
        self.assertEqual((entry.actor, entry.note), (self.vendor, "REL0000007"))

    def test_a_stale_version_is_refused_and_nothing_changes(self) -> None:
        update_ci(self.item, actor=self.admin, version=1, fields={"name": "A"})
        with self.assertRaises(StaleVersion):
            update_ci(self.item, actor=self.admin, version=1, fields={"name": "B"})
        self.item.refresh_from_db()
        self.assertEqual((self.item.name, self.item.version), ("A", 2))

    def test_an_unchanged_write_changes_nothing(self) -> None:
        update_ci(self.item, actor=self.admin, version=1, fields={"name": "HIS 数据库"})
        self.item.refresh_from_db()
        self.assertEqual(self.item.version, 1)
        self.assertFalse(AuditEntry.objects.filter(action="update").exists())

    def test_a_location_cannot_be_inside_itself(self) -> None:
        building = make_ci("LOC-B", "building")
        floor = make_ci("LOC-B-1F", "floor", location=building)
        with self.assertRaises(ValidationError) as caught:
            update_ci(building, actor=self.admin, version=1, fields={"location": floor})
        self.assertIn("location", caught.exception.message_dict)


class ConcurrentDuplicateTests(BaseTestCase):
    def test_a_code_taken_after_the_check_is_a_400_on_the_field_not_a_database_error(
        self,
    ) -> None:
        from itsm.cmdb.services import _save_unique

        make_ci("SRV-01", asset_tag="ZC-1")
        with self.assertRaises(ValidationError) as caught:
            _save_unique(ConfigurationItem(code="SRV-01", name="x", ci_class_id="server"))
        self.assertIn("code", caught.exception.message_dict)
        with self.assertRaises(ValidationError) as caught:
            _save_unique(
                ConfigurationItem(code="SRV-02", name="x", ci_class_id="server", asset_tag="ZC-1")
            )
        self.assertIn("asset_tag", caught.exception.message_dict)
        self.assertEqual(ConfigurationItem.objects.filter(code="SRV-02").count(), 0)

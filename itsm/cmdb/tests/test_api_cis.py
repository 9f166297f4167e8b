"""Configuration items over the API: recorded and edited through the same verbs as the
pages (create_ci, update_ci: attributes typed by the class's schema, every change audited
with its RFC), read back with class, place, attributes and version, filtered by class
(subclasses included), location (at any depth), attributes and the rest; their history and
the item as of a past date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from itsm.api.tests.support import ApiTestCase, page
from itsm.cmdb.choices import ConfigurationItemClass as C
from itsm.cmdb.choices import ConfigurationItemStatus, Criticality
from itsm.cmdb.models import ConfigurationItem, Contract
from itsm.cmdb.tests.factories import make_ci
from itsm.core.models import AuditEntry

MONDAY = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


class CmdbFixtures(ApiTestCase):
    campus: ConfigurationItem
    building: ConfigurationItem
    floor: ConfigurationItem
    room: ConfigurationItem
    other_building: ConfigurationItem
    contract: Contract

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.campus = make_ci("LOC-MAIN", "campus", name="院本部")
        cls.building = make_ci("LOC-OPD", "building", name="门诊楼", location=cls.campus)
        cls.floor = make_ci("LOC-OPD-3", "floor", name="3层", location=cls.building)
        cls.room = make_ci("LOC-OPD-301", "room", name="收费处", location=cls.floor)
        cls.other_building = make_ci("LOC-INP", "building", name="住院楼", location=cls.campus)
        cls.contract = Contract.objects.create(
            number="HT-2026-001", name="HIS 服务器维保", vendor=cls.his_vendor
        )

    def create(self, **fields: Any) -> Any:
        body = {"code": "SRV-HIS-DB", "name": "HIS 数据库服务器", "ci_class": "physical_server"}
        return self.api(self.admin).post("/api/cis/", {**body, **fields}, format="json")


class ConfigurationItemWriteTests(CmdbFixtures):
    def test_an_administrator_records_an_item_with_its_attributes(self) -> None:
        response = self.create(
            status=ConfigurationItemStatus.IN_USE,
            criticality=Criticality.CRITICAL,
            location=self.room.pk,
            position="2 号机柜",
            department=self.it_department.pk,
            owner_group=self.front_group.pk,
            vendor=self.his_vendor.pk,
            contract=self.contract.pk,
            serial_number="SN-8812",
            asset_tag="ZC-2026-0001",
            ip_address="10.1.2.3",
            purchased_on="2026-01-05",
            warranty_ends_on="2029-01-04",
            attributes={"cpu_cores": "32", "os": "银河麒麟 V10", "management_ip": "10.9.0.3"},
            services=[self.his.pk],
            change_number="CHG0000042",
        )
        self.assertEqual(response.status_code, 201, response.data)
        data = response.data
        item = ConfigurationItem.objects.get(code="SRV-HIS-DB")
        self.assertEqual(response["Location"], data["url"])
        self.assertEqual(
            {k: data[k] for k in ("ci_class", "ci_class_label", "place", "version", "services")},
            {
                "ci_class": "physical_server",
                "ci_class_label": "物理服务器",
                "place": "院本部 / 门诊楼 / 3层 / 收费处 / 2 号机柜",
                "version": 1,
                "services": [self.his.pk],
            },
        )
        self.assertEqual(
            data["attributes"],
            {"cpu_cores": 32, "os": "银河麒麟 V10", "management_ip": "10.9.0.3"},
        )
        self.assertNotIn("change_number", data)
        entry = AuditEntry.objects.get(object_id=item.pk, content_type__model="configurationitem")
        self.assertEqual(
            (entry.action, entry.actor, entry.note), ("create", self.admin, "CHG0000042")
        )
        self.assertEqual(entry.changes["attributes.cpu_cores"], [None, 32])

    def test_an_edit_needs_the_version_and_is_audited_with_its_change(self) -> None:
        item_id = self.create(attributes={"cpu_cores": 16, "os": "CentOS 7"}).data["id"]
        url = "/api/cis/%d/" % item_id
        response = self.api(self.admin).patch(
            url,
            {
                "version": 1,
                "status": ConfigurationItemStatus.MAINTENANCE,
                "attributes": {"cpu_cores": 64},
                "change_number": "CHG0000043",
            },
            format="json",
        )
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.data["version"], 2)
        self.assertEqual(response.data["status"], ConfigurationItemStatus.MAINTENANCE)
        # The attributes sent replace the item's whole.
        self.assertEqual(response.data["attributes"], {"cpu_cores": 64})
        entry = AuditEntry.objects.get(object_id=item_id, action="update")
        self.assertEqual(entry.note, "CHG0000043")
        self.assertEqual(entry.changes["attributes.cpu_cores"], [16, 64])
        self.assertEqual(entry.changes["attributes.os"], ["CentOS 7", None])
        # Fields not sent keep their values; attributes not sent stay as they are.
        response = self.api(self.admin).patch(url, {"version": 2, "name": "新名"}, format="json")
        self.assertEqual(response.data["attributes"], {"cpu_cores": 64})
        self.assertEqual(response.data["version"], 3)

    def test_an_edit_that_changes_nothing_keeps_the_version(self) -> None:
        item_id = self.create().data["id"]
        response = self.api(self.admin).patch(
            "/api/cis/%d/" % item_id, {"version": 1, "name": "HIS 数据库服务器"}, format="json"
        )
        self.assertEqual(response.data["version"], 1)
        self.assertFalse(AuditEntry.objects.filter(object_id=item_id, action="update").exists())

    def test_items_are_retired_not_deleted(self) -> None:
        client = self.api(self.admin)
        url = "/api/cis/%d/" % self.printer.pk
        self.assertEqual(client.delete(url).status_code, 405)
        self.assertEqual(client.put(url, {"version": 1}, format="json").status_code, 405)
        response = client.patch(
            url, {"version": 1, "status": ConfigurationItemStatus.RETIRED}, format="json"
        )
        self.assertEqual(response.data["status"], ConfigurationItemStatus.RETIRED)

    def test_labels_follow_the_language(self) -> None:
        item_id = self.create().data["id"]
        response = self.api(self.agent).get("/api/cis/%d/" % item_id, HTTP_ACCEPT_LANGUAGE="en")
        self.assertEqual(response.data["ci_class_label"], "Physical server")


class ConfigurationItemFilterTests(CmdbFixtures):
    host: ConfigurationItem
    vm: ConfigurationItem
    switch: ConfigurationItem
    licence: ConfigurationItem

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.host = make_ci(
            "SRV-VMH-01",
            "physical_server",
            location=cls.room,
            vendor=cls.his_vendor,
            contract=cls.contract,
            serial_number="SN-ABC-77",
            ip_address="10.20.0.5",
            attributes={"cpu_cores": 64, "os": "VMware ESXi"},
        )
        cls.vm = make_ci(
            "SRV-HIS-APP",
            "virtual_server",
            location=cls.floor,
            asset_tag="ZC-9",
            criticality=Criticality.CRITICAL,
            attributes={"cpu_cores": 8, "os": "Windows Server 2019"},
        )
        cls.vm.services.add(cls.his)
        cls.switch = make_ci(
            "SW-INP-01", "switch", location=cls.other_building, status="maintenance"
        )
        cls.licence = make_ci(
            "LIC-ORACLE", C.SOFTWARE_LICENCE, attributes={"expires_on": "2027-06-30"}
        )

    def codes(self, **query: Any) -> list[str]:
        response = self.api(self.engineer).get("/api/cis/", query)
        self.assertEqual(response.status_code, 200, response.data)
        return sorted(row["code"] for row in page(response))

    def test_a_class_includes_its_subclasses(self) -> None:
        self.assertEqual(self.codes(ci_class="server"), ["SRV-HIS-APP", "SRV-VMH-01"])
        self.assertEqual(self.codes(ci_class="virtual_server"), ["SRV-HIS-APP"])
        self.assertEqual(self.codes(ci_class="network_device"), ["SW-INP-01"])

    def test_a_location_includes_everything_inside_it(self) -> None:
        self.assertEqual(
            self.codes(location=self.building.pk),
            ["LOC-OPD-3", "LOC-OPD-301", "SRV-HIS-APP", "SRV-VMH-01"],
        )
        self.assertEqual(self.codes(location=self.room.pk), ["SRV-VMH-01"])
        self.assertEqual(
            self.codes(location=self.campus.pk, ci_class="server"), ["SRV-HIS-APP", "SRV-VMH-01"]
        )

    def test_fields_filter_the_list(self) -> None:
        self.assertEqual(self.codes(status="maintenance"), ["SW-INP-01"])
        self.assertEqual(self.codes(criticality=Criticality.CRITICAL), ["SRV-HIS-APP"])
        self.assertEqual(self.codes(vendor=self.his_vendor.pk), ["SRV-VMH-01"])
        self.assertEqual(self.codes(contract=self.contract.pk), ["SRV-VMH-01"])
        self.assertEqual(self.codes(services=self.his.pk), ["SRV-HIS-APP"])
        self.assertEqual(self.codes(department=self.emergency.pk), ["PRN-ED-001"])
        self.assertEqual(self.codes(owner_group=self.front_group.pk), ["PRN-ED-001"])

    def test_q_searches_code_name_serial_asset_tag_and_address(self) -> None:
        self.assertEqual(self.codes(q="vmh"), ["SRV-VMH-01"])
        self.assertEqual(self.codes(q="分诊台"), ["PRN-ED-001"])
        self.assertEqual(self.codes(q="SN-ABC"), ["SRV-VMH-01"])
        self.assertEqual(self.codes(q="ZC-9"), ["SRV-HIS-APP"])
        self.assertEqual(self.codes(q="10.20.0.5"), ["SRV-VMH-01"])

    def test_attribute_values_filter_numbers_as_numbers(self) -> None:
        self.assertEqual(self.codes(**{"attr.cpu_cores": "64"}), ["SRV-VMH-01"])
        self.assertEqual(self.codes(**{"attr.cpu_cores": "64.0"}), ["SRV-VMH-01"])
        self.assertEqual(self.codes(**{"attr.cpu_cores__gte": "8"}), ["SRV-HIS-APP", "SRV-VMH-01"])
        # As numbers, 8 < 10 (as text "8" > "10").
        self.assertEqual(self.codes(**{"attr.cpu_cores__lt": "10"}), ["SRV-HIS-APP"])
        self.assertEqual(self.codes(**{"attr.os": "VMware ESXi"}), ["SRV-VMH-01"])
        self.assertEqual(self.codes(**{"attr.expires_on__lte": "2027-12-31"}), ["LIC-ORACLE"])
        self.assertEqual(
            self.codes(ci_class="virtual_server", **{"attr.cpu_cores__gte": "8"}),
            ["SRV-HIS-APP"],
        )

    def test_bad_filters_are_refused_naming_the_parameter(self) -> None:
        client = self.api(self.engineer)
        for query, field, reason in (
            ({"attr.colour": "red"}, "attr.colour", "colour"),
            ({"attr.cpu_cores": "many"}, "attr.cpu_cores", "many"),
            ({"attr.cpu_cores__near": "8"}, "attr.cpu_cores__near", "gte"),
            ({"ci_class": "toaster"}, "ci_class", "toaster"),
            ({"location": self.host.pk}, "location", "有效"),
            ({"status": "lost"}, "status", "lost"),
        ):
            with self.subTest(query=query):
                response = client.get("/api/cis/", query)
                self.assert_error_fields(response, field)
                self.assertIn(reason, " ".join(response.data[field]))

    def test_the_list_runs_a_constant_number_of_queries(self) -> None:
        client = self.api(self.agent)
        for index in range(20):
            item = make_ci(
                "WS-%03d" % index,
                C.WORKSTATION,
                location=self.room,
                department=self.emergency,
                owner_group=self.front_group,
                attributes={"os": "统信 UOS"},
            )
            item.services.add(self.his, self.pacs)
        query: dict[str, Any] = {
            "location": self.campus.pk,
            "ci_class": C.WORKSTATION,
            "attr.os": "统信 UOS",
        }
        client.get("/api/cis/", {**query, "page_size": 3})
        with CaptureQueriesContext(connection) as small:
            rows = page(client.get("/api/cis/", {**query, "page_size": 3}))
        self.assertEqual(len(rows), 3)
        with self.assertNumQueries(len(small)):
            rows = page(client.get("/api/cis/", {**query, "page_size": 20}))
        self.assertEqual(len(rows), 20)
        self.assertEqual(rows[0]["place"], "院本部 / 门诊楼 / 3层 / 收费处")


class ConfigurationItemHistoryTests(CmdbFixtures):
    def edited_item(self) -> int:
        """An item recorded on MONDAY (CHG1, 16 cores) and edited three days later (CHG2,
        32 cores), through the API; the audit entries are dated afterwards."""
        item_id: int = self.create(attributes={"cpu_cores": 16}, change_number="CHG1").data["id"]
        entries = AuditEntry.objects.filter(
            object_id=item_id, content_type__model="configurationitem"
        )
        entries.update(created_at=MONDAY)
        self.api(self.admin).patch(
            "/api/cis/%d/" % item_id,
            {"version": 1, "attributes": {"cpu_cores": 32}, "change_number": "CHG2"},
            format="json",
        )
        entries.filter(action="update").update(created_at=MONDAY + dt.timedelta(days=3))
        return item_id

    def test_the_history_lists_every_change_with_its_rfc(self) -> None:
        item_id = self.edited_item()
        response = self.api(self.agent).get("/api/cis/%d/history/" % item_id)
        self.assertEqual(response.status_code, 200, response.data)
        entries = response.data["entries"]
        self.assertEqual([e["action"] for e in entries], ["update", "create"])
        self.assertEqual([e["change_number"] for e in entries], ["CHG2", "CHG1"])
        change = next(c for c in entries[0]["changes"] if c["field"] == "attributes.cpu_cores")
        self.assertEqual((change["old"], change["new"]), (16, 32))

    def test_the_item_reads_as_it_was_at_a_past_date(self) -> None:
        item_id = self.edited_item()
        client = self.api(self.agent)
        url = "/api/cis/%d/as-of/" % item_id

        def cores(response: Any) -> Any:
            self.assertEqual(response.status_code, 200, response.data)
            return {a["code"]: a["value"] for a in response.data["attributes"]}["cpu_cores"]

        day = timezone.localdate(MONDAY)
        self.assertEqual(cores(client.get(url, {"date": day.isoformat()})), 16)
        later = day + dt.timedelta(days=3)
        self.assertEqual(cores(client.get(url, {"date": later.isoformat()})), 32)
        at = (MONDAY + dt.timedelta(days=1)).isoformat()
        self.assertEqual(cores(client.get(url, {"at": at})), 16)
        before = (day - dt.timedelta(days=1)).isoformat()
        self.assertEqual(client.get(url, {"date": before}).status_code, 404)

    def test_a_bad_date_is_refused(self) -> None:
        client = self.api(self.agent)
        url = "/api/cis/%d/as-of/" % self.printer.pk
        for query, field in (
            ({"date": "2026-13-01"}, "date"),
            ({"date": "昨天"}, "date"),
            ({}, "date"),
            ({"at": "2026-11-01T25:00"}, "at"),
        ):
            with self.subTest(query=query):
                self.assert_error_fields(client.get(url, query), field)

    def test_history_is_for_it_staff(self) -> None:
        for url in ("/api/cis/%d/history/", "/api/cis/%d/as-of/?date=2026-11-01"):
            with self.subTest(url=url):
                url = url % self.printer.pk
                self.assertEqual(self.api(self.nurse).get(url).status_code, 403)
                self.assertEqual(self.api(self.outsider).get(url).status_code, 403)
                self.assertEqual(self.api(self.vendor).get(url).status_code, 200)

    def test_relationships_are_audited_with_their_change(self) -> None:
        app = make_ci("APP-HIS", C.APPLICATION)
        client = self.api(self.admin)
        body = {
            "source": app.pk,
            "target": self.printer.pk,
            "type": "uses",
            "change_number": "CHG7",
        }
        response = client.post("/api/relationships/", body, format="json")
        self.assertEqual(response.status_code, 201, response.data)
        self.assertNotIn("change_number", response.data)
        url = "/api/relationships/%d/?change_number=CHG8" % response.data["id"]
        self.assertEqual(client.delete(url).status_code, 204)
        notes = AuditEntry.objects.filter(object_id=app.pk).values_list("action", "note")
        self.assertEqual(sorted(notes), [("relate", "CHG7"), ("unrelate", "CHG8")])
        entries = self.api(self.agent).get("/api/cis/%d/history/" % app.pk).data["entries"]
        self.assertEqual([e["change_number"] for e in entries], ["CHG8", "CHG7"])

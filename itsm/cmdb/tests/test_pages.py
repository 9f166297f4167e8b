"""The configuration item pages: the list with its filters, the item's page, creating and
editing an item with its class's attributes, and relating items from the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from itsm.cmdb.choices import ConfigurationItemClass as C
from itsm.cmdb.choices import ConfigurationItemStatus, Criticality
from itsm.cmdb.choices import RelationshipType as T
from itsm.cmdb.models import ConfigurationItem, Contract, Relationship
from itsm.cmdb.services import relate_cis, update_ci
from itsm.cmdb.tests.factories import link, make_ci
from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.tests.factories import incident_in

LIST = reverse("cmdb:ci_list")
CREATE = reverse("cmdb:ci_create")


def detail(ci: ConfigurationItem) -> str:
    return reverse("cmdb:ci_detail", args=[ci.pk])


def edit(ci: ConfigurationItem) -> str:
    return reverse("cmdb:ci_edit", args=[ci.pk])


def codes(response: Any) -> list[str]:
    return [row.ci.code for row in response.context["rows"]]


class CmdbPageCase(BaseTestCase):
    """A campus with a building and two floors, servers and what runs on them."""

    campus: ConfigurationItem
    building: ConfigurationItem
    floor3: ConfigurationItem
    floor4: ConfigurationItem
    vm: ConfigurationItem
    host: ConfigurationItem
    database: ConfigurationItem
    app: ConfigurationItem
    licence: ConfigurationItem
    contract: Contract

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.campus = make_ci("LOC-MAIN", "campus", name="院本部")
        cls.building = make_ci("LOC-OPD", "building", name="门诊楼", location=cls.campus)
        cls.floor3 = make_ci("LOC-OPD-3F", "floor", name="3层", location=cls.building)
        cls.floor4 = make_ci("LOC-OPD-4F", "floor", name="4层", location=cls.building)
        cls.contract = Contract.objects.create(
            number="WB-2025-017",
            name="服务器维保",
            vendor=cls.his_vendor,
            starts_on=dt.date(2025, 1, 1),
            ends_on=dt.date(2027, 12, 31),
        )
        cls.host = make_ci(
            "SRV-VMH-01",
            "physical_server",
            name="虚拟化主机 01",
            location=cls.floor3,
            position="机房 A 排 3 柜",
            department=cls.it_department,
            owner_group=cls.front_group,
            vendor=cls.his_vendor,
            contract=cls.contract,
            serial_number="SN-778899",
            asset_tag="ZC-000101",
            ip_address="10.10.1.21",
            attributes={"os": "VMware ESXi 8", "cpu_cores": 64, "memory_gb": 512},
        )
        cls.vm = make_ci(
            "SRV-HIS-APP01",
            "virtual_server",
            name="HIS 应用服务器 01",
            criticality=Criticality.CRITICAL,
            location=cls.floor3,
            department=cls.it_department,
            owner_group=cls.front_group,
            ip_address="10.10.1.30",
            attributes={"os": "Windows Server 2019", "cpu_cores": 8},
        )
        cls.database = make_ci(
            "DB-HIS", C.DATABASE, name="HIS 数据库", attributes={"engine": "Oracle"}
        )
        cls.app = make_ci(
            "APP-HIS", C.APPLICATION, name="HIS 应用", criticality=Criticality.CRITICAL
        )
        cls.licence = make_ci(
            "LIC-HIS", C.SOFTWARE_LICENCE, name="HIS 授权", attributes={"licensed_to": 0}
        )
        cls.licence.attributes = {"licensed_to": cls.app.pk, "seats": 300}
        cls.licence.save(update_fields=["attributes"])
        link(cls.vm, T.HOSTED_ON, cls.host)
        link(cls.app, T.RUNS_ON, cls.vm)
        cls.app.services.add(cls.his)
        cls.printer.location = cls.floor4
        cls.printer.save(update_fields=["location"])


# --------------------------------------------------------------------------------------
# The list


class ListTests(CmdbPageCase):
    def test_it_lists_items_with_their_columns(self) -> None:
        self.login(self.agent)
        response = self.client.get(LIST)
        self.assertEqual(response.status_code, 200)
        self.assertIn("SRV-HIS-APP01", codes(response))
        self.assertContains(response, "HIS 应用服务器 01")
        self.assertContains(response, "虚拟机")
        self.assertContains(response, "院本部 / 门诊楼 / 3层")
        self.assertContains(response, "10.10.1.30")
        self.assertContains(response, "桌面运维组")
        self.assertContains(response, 'href="%s"' % detail(self.vm))

    def test_a_search_finds_code_name_serial_asset_tag_and_ip(self) -> None:
        self.login(self.agent)
        for query in ("vmh-01", "虚拟化主机", "SN-778899", "ZC-000101", "10.10.1.21"):
            with self.subTest(query=query):
                self.assertEqual(codes(self.client.get(LIST, {"q": query})), ["SRV-VMH-01"])

    def test_a_class_keeps_its_subclasses(self) -> None:
        self.login(self.agent)
        response = self.client.get(LIST, {"ci_class": C.SERVER})
        self.assertEqual(codes(response), ["SRV-HIS-APP01", "SRV-VMH-01"])
        response = self.client.get(LIST, {"ci_class": "virtual_server"})
        self.assertEqual(codes(response), ["SRV-HIS-APP01"])

    def test_a_location_keeps_everything_inside_it(self) -> None:
        self.login(self.agent)
        inside_building = codes(self.client.get(LIST, {"location": self.building.pk}))
        self.assertEqual(
            inside_building,
            ["LOC-OPD-3F", "LOC-OPD-4F", "PRN-ED-001", "SRV-HIS-APP01", "SRV-VMH-01"],
        )
        on_floor4 = codes(self.client.get(LIST, {"location": self.floor4.pk}))
        self.assertEqual(on_floor4, ["PRN-ED-001"])

    def test_it_filters_by_status_criticality_department_group_and_vendor(self) -> None:
        self.login(self.agent)
        self.database.status = ConfigurationItemStatus.RETIRED
        self.database.save(update_fields=["status"])
        cases: list[tuple[dict[str, Any], list[str]]] = [
            ({"status": ConfigurationItemStatus.RETIRED}, ["DB-HIS"]),
            ({"criticality": Criticality.CRITICAL}, ["APP-HIS", "SRV-HIS-APP01"]),
            ({"department": self.emergency.pk}, ["PRN-ED-001"]),
            ({"owner_group": self.front_group.pk, "q": "SRV"}, ["SRV-HIS-APP01", "SRV-VMH-01"]),
            ({"vendor": self.his_vendor.pk}, ["SRV-VMH-01"]),
        ]
        for query, expected in cases:
            with self.subTest(query=query):
                self.assertEqual(codes(self.client.get(LIST, query)), expected)

    def test_it_filters_by_an_attribute_of_the_chosen_class(self) -> None:
        self.login(self.agent)
        response = self.client.get(LIST, {"ci_class": C.SERVER, "attr_cpu_cores": "64"})
        self.assertEqual(codes(response), ["SRV-VMH-01"])
        self.assertContains(response, 'name="attr_os"')
        response = self.client.get(LIST, {"ci_class": C.SERVER, "attr_os": "windows"})
        self.assertEqual(codes(response), ["SRV-HIS-APP01"])
        response = self.client.get(
            LIST, {"ci_class": C.SOFTWARE_LICENCE, "attr_licensed_to": "APP-HIS"}
        )
        self.assertEqual(codes(response), ["LIC-HIS"])

    def test_a_filter_that_is_not_valid_is_400_with_its_reason(self) -> None:
        self.login(self.agent)
        response = self.client.get(LIST, {"ci_class": C.SERVER, "attr_cpu_cores": "many"})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "CPU 核数", status_code=400)
        self.assertEqual(codes(response), [])
        response = self.client.get(LIST, {"ci_class": "no_such_class"})
        self.assertEqual(response.status_code, 400)

    def test_it_sorts_by_code_name_class_and_status(self) -> None:
        self.login(self.agent)
        by_code = codes(self.client.get(LIST))
        self.assertEqual(by_code, sorted(by_code))
        self.assertEqual(codes(self.client.get(LIST, {"sort": "-code"})), by_code[::-1])
        by_name = codes(self.client.get(LIST, {"sort": "name"}))
        names = dict(ConfigurationItem.objects.values_list("code", "name"))
        self.assertEqual([names[c] for c in by_name], sorted(names[c] for c in by_name))
        by_class = codes(self.client.get(LIST, {"sort": "class"}))
        classes = dict(ConfigurationItem.objects.values_list("code", "ci_class"))
        self.assertEqual([classes[c] for c in by_class], sorted(classes.values()))
        self.database.status = ConfigurationItemStatus.MAINTENANCE
        self.database.save(update_fields=["status"])
        self.assertEqual(codes(self.client.get(LIST, {"sort": "status"}))[0], "APP-HIS")
        self.assertEqual(codes(self.client.get(LIST, {"sort": "-status"}))[0], "DB-HIS")

    def test_it_pages(self) -> None:
        self.login(self.agent)
        for n in range(30):
            make_ci("WS-%03d" % n, C.WORKSTATION)
        response = self.client.get(LIST, {"q": "WS-", "page_size": "10", "page": "2"})
        self.assertEqual(codes(response), ["WS-%03d" % n for n in range(10, 20)])
        self.assertContains(response, 'data-count="30"')

    def test_the_number_of_queries_does_not_grow_with_the_rows(self) -> None:
        self.login(self.agent)
        for n in range(30):
            make_ci(
                "WS-%03d" % n,
                C.WORKSTATION,
                location=self.floor4,
                department=self.emergency,
                owner_group=self.front_group,
                vendor=self.pacs_vendor,
            )
        self.client.get(LIST, {"q": "WS-", "page_size": "5"})
        with CaptureQueriesContext(connection) as five:
            response = self.client.get(LIST, {"q": "WS-", "page_size": "5"})
        self.assertEqual(len(codes(response)), 5)
        with CaptureQueriesContext(connection) as thirty:
            response = self.client.get(LIST, {"q": "WS-", "page_size": "30"})
        self.assertEqual(len(codes(response)), 30)
        self.assertContains(response, "院本部 / 门诊楼 / 4层")
        self.assertEqual(len(thirty), len(five))
        self.assertLessEqual(len(five), 14)

    def test_an_htmx_request_gets_the_table_and_the_class_attributes(self) -> None:
        self.login(self.agent)
        response = self.client.get(LIST, {"ci_class": C.DATABASE}, headers={"HX-Request": "true"})
        self.assertTemplateUsed(response, "cmdb/_ci_table.html")
        self.assertTemplateNotUsed(response, "base.html")
        self.assertContains(response, 'hx-swap-oob="true"')
        self.assertContains(response, 'name="attr_engine"')

    def test_it_exports_the_filtered_list(self) -> None:
        self.login(self.agent)
        response = self.client.get(LIST, {"ci_class": C.SERVER, "export": "csv"})
        self.assertEqual(response.status_code, 200)
        text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
        lines = text.strip().splitlines()
        self.assertEqual(len(lines), 3)
        self.assertIn("院本部 / 门诊楼 / 3层 / 机房 A 排 3 柜", text)
        self.assertContains(self.client.get(LIST), "export=xlsx")

    def test_people_without_the_permission_are_refused(self) -> None:
        self.login(self.nurse)
        self.assertEqual(self.client.get(LIST).status_code, 403)
        self.login(self.outsider)
        self.assertEqual(self.client.get(LIST).status_code, 403)
        self.client.logout()
        self.assertEqual(self.client.get(LIST).status_code, 302)

    def test_the_menu_offers_the_cmdb_to_it_staff_only(self) -> None:
        self.login(self.agent)
        response = self.client.get(LIST)
        self.assertContains(response, "配置管理")
        self.assertNotContains(response, 'href="%s"' % CREATE)
        self.login(self.engineer)
        self.assertContains(self.client.get(LIST), 'href="%s"' % CREATE)
        self.login(self.nurse)
        self.assertNotContains(self.client.get(reverse("portal:home")), "配置管理")


# --------------------------------------------------------------------------------------
# The item's page


class DetailTests(CmdbPageCase):
    def test_it_shows_the_item_with_everything_about_it(self) -> None:
        self.login(self.engineer)
        response = self.client.get(detail(self.host))
        self.assertEqual(response.status_code, 200)
        for text in (
            "SRV-VMH-01",
            "虚拟化主机 01",
            "服务器 › 物理服务器",
            "在用",
            "院本部 / 门诊楼 / 3层 / 机房 A 排 3 柜",
            "信息科",
            "桌面运维组",
            "卫宁健康",
            "WB-2025-017 服务器维保",
            "2025-01-01 – 2027-12-31",
            "SN-778899",
            "ZC-000101",
            "10.10.1.21",
            "VMware ESXi 8",
            "CPU 核数",
            "64",
        ):
            self.assertContains(response, text)
        # Relied on by the virtual machine, with the type and a link.
        self.assertContains(response, 'href="%s"' % detail(self.vm))
        self.assertContains(response, "托管于")
        self.assertContains(response, "%s?codes=SRV-VMH-01" % reverse("cmdb:labels"))
        self.assertContains(response, reverse("cmdb:ci_graph", args=[self.host.pk]))
        self.assertContains(response, 'href="%s"' % edit(self.host))

    def test_relationships_are_shown_both_ways(self) -> None:
        self.login(self.agent)
        response = self.client.get(detail(self.vm))
        self.assertEqual([r.target for r in response.context["relies_on"]], [self.host])
        self.assertEqual([r.source for r in response.context["relied_on_by"]], [self.app])
        self.assertContains(response, "运行于")
        self.assertContains(response, 'href="%s"' % detail(self.app))

    def test_a_reference_attribute_links_to_the_referenced_item(self) -> None:
        self.login(self.agent)
        response = self.client.get(detail(self.licence))
        self.assertContains(
            response, '<a href="%s">APP-HIS HIS 应用</a>' % detail(self.app), html=True
        )
        self.assertContains(response, "授权数")

    def test_the_services_the_item_belongs_to_are_listed(self) -> None:
        self.login(self.agent)
        response = self.client.get(detail(self.app))
        self.assertEqual(response.context["services"], [self.his])
        self.assertContains(response, reverse("sla:service_detail", args=[self.his.pk]))

    def test_a_warranty_ending_soon_or_ended_is_flagged(self) -> None:
        self.login(self.agent)
        today = timezone.localdate()
        self.host.warranty_ends_on = today + dt.timedelta(days=30)
        self.host.save(update_fields=["warranty_ends_on"])
        response = self.client.get(detail(self.host))
        self.assertContains(response, "30 天后到期")
        self.host.warranty_ends_on = today - dt.timedelta(days=3)
        self.host.save(update_fields=["warranty_ends_on"])
        response = self.client.get(detail(self.host))
        self.assertContains(response, "已过保")
        self.host.warranty_ends_on = today + dt.timedelta(days=400)
        self.host.save(update_fields=["warranty_ends_on"])
        self.assertNotContains(self.client.get(detail(self.host)), "data-warranty")

    def test_open_and_recent_incidents_on_the_item_are_listed(self) -> None:
        open_one = incident_in(self, IncidentStatus.IN_PROGRESS, configuration_items=[self.vm])
        closed = incident_in(self, IncidentStatus.CLOSED, configuration_items=[self.vm])
        incident_in(self, IncidentStatus.NEW, configuration_items=[self.host])
        self.login(self.engineer)
        response = self.client.get(detail(self.vm))
        self.assertEqual(response.context["incidents"], [open_one, closed])
        self.assertContains(response, open_one.number)
        self.assertContains(
            response,
            "%s?ci=%d&amp;queue=all&amp;open=unknown"
            % (reverse("incidents:incident_list"), self.vm.pk),
        )
        queue = self.client.get(
            reverse("incidents:incident_list"),
            {"ci": str(self.vm.pk), "queue": "all", "open": "unknown"},
        )
        self.assertEqual({row.incident for row in queue.context["rows"]}, {open_one, closed})

    def test_problems_on_the_item_are_listed_for_those_who_may_see_problems(self) -> None:
        from itsm.problems.tests.factories import problem

        found = problem(self.engineer, configuration_items=[self.vm])
        problem(self.engineer, title="其他问题", configuration_items=[self.host])
        self.login(self.engineer)
        response = self.client.get(detail(self.vm))
        self.assertEqual(response.context["problems"], [found])
        self.assertContains(response, found.number)
        self.login(self.vendor)
        self.assertEqual(self.client.get(detail(self.vm)).context["problems"], [])

    def test_incidents_are_those_the_user_may_see(self) -> None:
        incident_in(self, IncidentStatus.ASSIGNED, configuration_items=[self.vm])
        routed = incident_in(
            self, IncidentStatus.ASSIGNED, group=self.vendor_group, configuration_items=[self.vm]
        )
        self.login(self.vendor)
        response = self.client.get(detail(self.vm))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["incidents"], [routed])

    def test_at_most_twenty_incidents_are_listed(self) -> None:
        for _n in range(21):
            incident_in(self, IncidentStatus.NEW, configuration_items=[self.vm])
        self.login(self.agent)
        response = self.client.get(detail(self.vm))
        self.assertEqual(len(response.context["incidents"]), 20)
        self.assertTrue(response.context["more_incidents"])

    def test_the_history_and_the_item_as_of_a_date(self) -> None:
        update_ci(
            self.vm,
            actor=self.engineer,
            version=self.vm.version,
            fields={"name": "HIS 应用服务器 01（新）"},
            change_number="CHG0000042",
        )
        self.login(self.engineer)
        response = self.client.get(detail(self.vm))
        self.assertContains(response, "CHG0000042")
        day = timezone.localdate().isoformat()
        response = self.client.get(detail(self.vm), {"as_of": day})
        self.assertEqual(response.status_code, 200)
        self.assertIn("snapshot", response.context)

    def test_an_as_of_date_that_is_not_a_date_or_in_the_future_is_400(self) -> None:
        self.login(self.engineer)
        response = self.client.get(detail(self.vm), {"as_of": "yesterday"})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "id_as_of-errors", status_code=400)
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        response = self.client.get(detail(self.vm), {"as_of": tomorrow.isoformat()})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "请选择今天或之前的日期", status_code=400)

    def test_a_vendor_engineer_does_not_see_contracts(self) -> None:
        self.login(self.vendor)
        response = self.client.get(detail(self.host))
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "WB-2025-017")
        self.assertNotContains(response, 'href="%s"' % edit(self.host))

    def test_the_number_of_queries_does_not_grow_with_relationships_or_incidents(self) -> None:
        self.login(self.engineer)
        incident_in(self, IncidentStatus.NEW, configuration_items=[self.host])
        self.client.get(detail(self.host))
        with CaptureQueriesContext(connection) as few:
            self.client.get(detail(self.host))
        for n in range(10):
            link(make_ci("SRV-VM-%02d" % n, "virtual_server"), T.HOSTED_ON, self.host)
            incident_in(self, IncidentStatus.NEW, configuration_items=[self.host])
        with CaptureQueriesContext(connection) as many:
            response = self.client.get(detail(self.host))
        self.assertEqual(len(response.context["relied_on_by"]), 11)
        self.assertEqual(len(response.context["incidents"]), 11)
        self.assertEqual(len(many), len(few))

    def test_a_requester_is_refused_and_an_unknown_item_is_404(self) -> None:
        self.login(self.nurse)
        self.assertEqual(self.client.get(detail(self.vm)).status_code, 403)
        self.login(self.agent)
        self.assertEqual(self.client.get(reverse("cmdb:ci_detail", args=[99999])).status_code, 404)

    def test_the_item_links_to_its_page(self) -> None:
        self.assertEqual(self.vm.get_absolute_url(), "/cmdb/cis/%d/" % self.vm.pk)


# --------------------------------------------------------------------------------------
# Create and edit


def form_data(ci: ConfigurationItem | None = None, /, **changes: Any) -> dict[str, Any]:
    """What the edit page posts for `ci` unchanged (or a new server), with `changes`."""
    data: dict[str, Any] = {
        "code": "SRV-LIS-01",
        "name": "LIS 应用服务器",
        "ci_class": "virtual_server",
        "status": ConfigurationItemStatus.IN_USE,
        "criticality": Criticality.HIGH,
        "location": "",
        "position": "",
        "department": "",
        "owner_group": "",
        "vendor": "",
        "contract": "",
        "serial_number": "",
        "asset_tag": "",
        "ip_address": "",
        "purchased_on": "",
        "warranty_ends_on": "",
        "change_number": "",
    }
    if ci is not None:
        data.update(
            {
                "code": ci.code,
                "name": ci.name,
                "ci_class": ci.ci_class_id,
                "status": ci.status,
                "criticality": ci.criticality,
                "location": ci.location_id or "",
                "position": ci.position,
                "department": ci.department_id or "",
                "owner_group": ci.owner_group_id or "",
                "vendor": ci.vendor_id or "",
                "contract": ci.contract_id or "",
                "serial_number": ci.serial_number,
                "asset_tag": ci.asset_tag,
                "ip_address": ci.ip_address or "",
                "version": ci.version,
            }
        )
        data.update({"attributes.%s" % k: v for k, v in ci.attributes.items()})
    data.update(changes)
    return data


class CreateTests(CmdbPageCase):
    def test_the_form_offers_the_attributes_of_the_chosen_class(self) -> None:
        self.login(self.engineer)
        response = self.client.get(CREATE, {"ci_class": C.DATABASE})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'name="attributes.engine"')
        self.assertContains(response, "达梦 DM")
        self.assertContains(response, 'hx-get="%s"' % reverse("cmdb:ci_attribute_fields"))

    def test_an_engineer_records_an_item_with_its_attributes(self) -> None:
        self.login(self.engineer)
        response = self.client.post(
            CREATE,
            form_data(
                location=self.floor3.pk,
                position="机房 B 排 1 柜",
                owner_group=self.front_group.pk,
                ip_address="10.10.2.15",
                purchased_on="2025-03-01",
                services=[self.his.pk],
                change_number="CHG0000007",
                **{
                    "attributes.os": "Oracle Linux 8",
                    "attributes.cpu_cores": "16",
                    "attributes.management_ip": "10.20.0.15",
                },
            ),
        )
        ci = ConfigurationItem.objects.get(code="SRV-LIS-01")
        self.assertRedirects(response, detail(ci), fetch_redirect_response=False)
        self.assertEqual(ci.ci_class_id, "virtual_server")
        self.assertEqual(ci.location, self.floor3)
        self.assertEqual(str(ci.ip_address), "10.10.2.15")
        self.assertEqual(ci.purchased_on, dt.date(2025, 3, 1))
        self.assertEqual(
            ci.attributes,
            {"os": "Oracle Linux 8", "cpu_cores": 16, "management_ip": "10.20.0.15"},
        )
        self.assertEqual(list(ci.services.all()), [self.his])
        entry = AuditEntry.objects.get(object_id=ci.pk, action="create")
        self.assertEqual(entry.note, "CHG0000007")

    def test_a_reference_attribute_takes_an_item_of_its_class(self) -> None:
        self.login(self.engineer)
        data = form_data(
            code="LIC-EMR",
            name="EMR 授权",
            ci_class=C.SOFTWARE_LICENCE,
            **{"attributes.licensed_to": self.app.pk, "attributes.expires_on": "2027-06-30"},
        )
        self.client.post(CREATE, data)
        ci = ConfigurationItem.objects.get(code="LIC-EMR")
        self.assertEqual(ci.attributes, {"licensed_to": self.app.pk, "expires_on": "2027-06-30"})

    def test_bad_input_is_400_with_the_message_next_to_the_field_and_nothing_written(self) -> None:
        self.login(self.engineer)
        cases: list[tuple[dict[str, Any], str, str]] = [
            ({"attributes.cpu_cores": "十六"}, "attributes.cpu_cores", "输入一个数字。"),
            ({"ci_class": C.DATABASE}, "attributes.engine", "该字段是必填项。"),
            (
                {"ci_class": C.DATABASE, "attributes.engine": "Sybase"},
                "attributes.engine",
                "Sybase",
            ),
            (
                {"location": self.printer.pk},
                "location",
                "位置必须是位置类配置项（院区、楼宇、楼层或房间）。",
            ),
            ({"code": "DB-HIS"}, "code", "已存在"),
            ({"ip_address": "10.10.300.1"}, "ip_address", "IPv4"),
            (
                {
                    "code": "LIC-X",
                    "ci_class": C.SOFTWARE_LICENCE,
                    "attributes.licensed_to": self.vm.pk,
                },
                "attributes.licensed_to",
                "",
            ),
            ({"vendor": self.pacs_vendor.pk, "contract": self.contract.pk}, "contract", "合同"),
        ]
        before = ConfigurationItem.objects.count()
        for changes, field, message in cases:
            with self.subTest(changes=changes):
                response = self.client.post(CREATE, form_data(**changes))
                self.assertEqual(response.status_code, 400)
                errors = response.context["form"].errors
                self.assertIn(field, errors, errors)
                self.assertIn(message, " ".join(errors[field]))
                self.assertContains(response, 'id="id_%s-errors"' % field, status_code=400)
        self.assertEqual(ConfigurationItem.objects.count(), before)

    def test_the_attribute_fields_follow_the_class(self) -> None:
        self.login(self.engineer)
        url = reverse("cmdb:ci_attribute_fields")
        response = self.client.get(
            url,
            {"ci_class": "physical_server", "attributes.os": "Kylin V10", "attributes.model": "x"},
            headers={"HX-Request": "true"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'name="attributes.cpu_cores"')
        self.assertContains(response, 'value="Kylin V10"')
        self.assertNotContains(response, "attributes.model")
        response = self.client.get(url, {"ci_class": C.PRINTER})
        self.assertContains(response, 'name="attributes.connection"')
        self.assertNotContains(response, "attributes.cpu_cores")
        response = self.client.get(url, {"ci_class": "campus"})
        self.assertContains(response, "该类别没有专属属性。")
        response = self.client.get(url, {"ci_class": ""})
        self.assertContains(response, "请先选择类别")

    def test_people_who_may_not_add_items_are_refused(self) -> None:
        for user in (self.agent, self.manager, self.vendor, self.nurse):
            with self.subTest(user=user.username):
                self.login(user)
                self.assertEqual(self.client.get(CREATE).status_code, 403)
                self.assertEqual(self.client.post(CREATE, form_data()).status_code, 403)
        self.assertFalse(ConfigurationItem.objects.filter(code="SRV-LIS-01").exists())


class EditTests(CmdbPageCase):
    def test_the_form_shows_the_item_and_its_attributes(self) -> None:
        self.login(self.engineer)
        response = self.client.get(edit(self.vm))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'value="Windows Server 2019"')
        self.assertContains(response, 'name="version" value="%d"' % self.vm.version)
        self.assertContains(response, "院本部 / 门诊楼 / 3层")

    def test_an_engineer_edits_fields_and_attributes(self) -> None:
        self.login(self.engineer)
        response = self.client.post(
            edit(self.vm),
            form_data(
                self.vm,
                name="HIS 应用服务器 01A",
                status=ConfigurationItemStatus.MAINTENANCE,
                change_number="CHG0000099",
                **{"attributes.cpu_cores": "12", "attributes.memory_gb": "64"},
            ),
        )
        self.assertRedirects(response, detail(self.vm), fetch_redirect_response=False)
        self.vm.refresh_from_db()
        self.assertEqual(self.vm.name, "HIS 应用服务器 01A")
        self.assertEqual(self.vm.status, ConfigurationItemStatus.MAINTENANCE)
        self.assertEqual(
            self.vm.attributes, {"os": "Windows Server 2019", "cpu_cores": 12, "memory_gb": 64}
        )
        self.assertEqual(self.vm.version, 2)
        entry = AuditEntry.objects.get(object_id=self.vm.pk, action="update")
        self.assertEqual(entry.note, "CHG0000099")

    def test_changing_the_class_keeps_the_attributes_both_have(self) -> None:
        self.login(self.engineer)
        data = form_data(self.vm, ci_class="physical_server")
        response = self.client.post(edit(self.vm), data)
        self.assertEqual(response.status_code, 302)
        self.vm.refresh_from_db()
        self.assertEqual(self.vm.ci_class_id, "physical_server")
        self.assertEqual(self.vm.attributes, {"os": "Windows Server 2019", "cpu_cores": 8})

    def test_a_missing_required_attribute_is_400_and_nothing_changes(self) -> None:
        self.login(self.engineer)
        data = form_data(self.database, name="改名")
        data["attributes.engine"] = ""
        response = self.client.post(edit(self.database), data)
        self.assertEqual(response.status_code, 400)
        self.assertIn("attributes.engine", response.context["form"].errors)
        self.database.refresh_from_db()
        self.assertEqual(self.database.name, "HIS 数据库")
        # The page still names the item as it is, not as typed.
        self.assertContains(response, "编辑 DB-HIS HIS 数据库", status_code=400)

    def test_a_location_inside_the_item_itself_is_refused(self) -> None:
        self.login(self.engineer)
        response = self.client.post(
            edit(self.building), form_data(self.building, location=self.floor3.pk)
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("location", response.context["form"].errors)

    def test_a_stale_version_is_409_and_nothing_is_overwritten(self) -> None:
        self.login(self.engineer)
        data = form_data(self.vm, name="我的修改")
        update_ci(self.vm, actor=self.admin, version=self.vm.version, fields={"name": "别人的修改"})
        response = self.client.post(edit(self.vm), data)
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "data-conflict", status_code=409)
        self.vm.refresh_from_db()
        self.assertEqual(self.vm.name, "别人的修改")

    def test_a_form_without_its_version_is_400(self) -> None:
        self.login(self.engineer)
        data = form_data(self.vm, name="我的修改")
        del data["version"]
        self.assertEqual(self.client.post(edit(self.vm), data).status_code, 400)

    def test_the_desk_may_not_edit_and_an_unknown_item_is_404(self) -> None:
        self.login(self.agent)
        self.assertEqual(self.client.get(edit(self.vm)).status_code, 403)
        self.assertEqual(self.client.post(edit(self.vm), form_data(self.vm)).status_code, 403)
        self.login(self.engineer)
        self.assertEqual(self.client.get(reverse("cmdb:ci_edit", args=[99999])).status_code, 404)


# --------------------------------------------------------------------------------------
# Relationships from the page


class RelationshipTests(CmdbPageCase):
    def relate(self, ci: ConfigurationItem, **data: Any) -> Any:
        return self.client.post(reverse("cmdb:ci_relate", args=[ci.pk]), data)

    def test_an_engineer_relates_the_item_in_either_direction(self) -> None:
        self.login(self.engineer)
        response = self.relate(
            self.app, direction="out", type=T.DEPENDS_ON, other="DB-HIS", change_number="CHG1"
        )
        self.assertRedirects(
            response, detail(self.app) + "#relationships", fetch_redirect_response=False
        )
        self.assertTrue(
            Relationship.objects.filter(
                source=self.app, target=self.database, type=T.DEPENDS_ON
            ).exists()
        )
        response = self.relate(self.vm, direction="in", type=T.RUNS_ON, other="DB-HIS")
        self.assertEqual(response.status_code, 302)
        self.assertTrue(
            Relationship.objects.filter(
                source=self.database, target=self.vm, type=T.RUNS_ON
            ).exists()
        )
        entry = AuditEntry.objects.filter(object_id=self.app.pk, action="relate").get()
        self.assertEqual(entry.note, "CHG1")

    def test_a_refused_relationship_is_400_with_the_reason(self) -> None:
        self.login(self.engineer)
        cases: list[tuple[dict[str, Any], str, str]] = [
            ({"direction": "out", "type": T.RUNS_ON, "other": "PRN-ED-001"}, "type", "不能从"),
            ({"direction": "out", "type": T.RUNS_ON, "other": "SRV-HIS-APP01"}, "other", "已存在"),
            ({"direction": "in", "type": T.DEPENDS_ON, "other": "APP-HIS"}, "other", ""),
            ({"direction": "out", "type": T.RUNS_ON, "other": "NO-SUCH"}, "other", "NO-SUCH"),
            ({"direction": "sideways", "type": T.RUNS_ON, "other": "SRV-VMH-01"}, "direction", ""),
        ]
        before = Relationship.objects.count()
        for data, field, message in cases:
            with self.subTest(data=data):
                response = self.relate(self.app, **data)
                self.assertEqual(response.status_code, 400)
                form = response.context["relate_form"]
                self.assertIn(field, form.errors, form.errors)
                self.assertIn(message, " ".join(form.errors[field]))
                self.assertContains(response, 'id="id_%s-errors"' % field, status_code=400)
                self.assertContains(
                    response, 'class="collapse show" id="relate-form"', status_code=400
                )
        self.assertEqual(Relationship.objects.count(), before)

    def test_an_engineer_removes_a_relationship(self) -> None:
        relationship = Relationship.objects.get(source=self.app, target=self.vm)
        url = reverse("cmdb:ci_unrelate", args=[self.vm.pk, relationship.pk])
        self.login(self.engineer)
        response = self.client.get(url, headers={"HX-Request": "true"})
        self.assertTemplateUsed(response, "cmdb/_unrelate_form.html")
        self.assertContains(response, "APP-HIS")
        self.assertEqual(self.client.get(url).status_code, 200)
        response = self.client.post(url, {"change_number": "CHG2"})
        self.assertRedirects(
            response, detail(self.vm) + "#relationships", fetch_redirect_response=False
        )
        self.assertFalse(Relationship.objects.filter(pk=relationship.pk).exists())
        self.assertEqual(
            AuditEntry.objects.get(object_id=self.app.pk, action="unrelate").note, "CHG2"
        )

    def test_a_relationship_of_another_item_is_404(self) -> None:
        relationship = Relationship.objects.get(source=self.app, target=self.vm)
        self.login(self.engineer)
        url = reverse("cmdb:ci_unrelate", args=[self.database.pk, relationship.pk])
        self.assertEqual(self.client.post(url).status_code, 404)
        self.assertTrue(Relationship.objects.filter(pk=relationship.pk).exists())

    def test_the_desk_may_not_relate_or_unrelate(self) -> None:
        relationship = Relationship.objects.get(source=self.app, target=self.vm)
        self.login(self.agent)
        response = self.relate(self.app, direction="out", type=T.DEPENDS_ON, other="DB-HIS")
        self.assertEqual(response.status_code, 403)
        url = reverse("cmdb:ci_unrelate", args=[self.vm.pk, relationship.pk])
        self.assertEqual(self.client.post(url).status_code, 403)
        self.assertEqual(Relationship.objects.count(), 2)
        self.assertNotContains(self.client.get(detail(self.vm)), "relate-form")

    def test_the_code_box_suggests_items(self) -> None:
        self.login(self.engineer)
        response = self.client.get(
            reverse("cmdb:ci_lookup"), {"field": "other", "other": "HIS", "ci_class": C.SERVER}
        )
        self.assertContains(response, '<option value="SRV-HIS-APP01">')
        self.assertNotContains(response, 'APP-HIS"')

    def test_relate_cis_is_what_the_page_calls(self) -> None:
        """The page and the API share the rules: a loop refused by the service is refused
        on the page with the same words."""
        relate_cis(self.database, self.app, T.DEPENDS_ON, actor=self.admin)
        self.login(self.engineer)
        response = self.relate(self.app, direction="out", type=T.DEPENDS_ON, other="DB-HIS")
        self.assertEqual(response.status_code, 400)
        self.assertIn("循环", " ".join(response.context["relate_form"].errors["other"]))

"""Services and configuration items over the API: everyone who works incidents reads them
(requesters read services, to name one in a report); administrators add and edit them."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.api.tests.support import ApiTestCase, page
from itsm.cmdb.choices import ConfigurationItemClass, ConfigurationItemStatus, Criticality
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.models import AuditEntry

SERVICE_READS = {
    "nurse": 200,
    "doctor": 200,
    "agent": 200,
    "engineer": 200,
    "vendor": 200,
    "other_vendor": 200,
    "manager": 200,
    "admin": 200,
    "outsider": 403,
    "anonymous": 401,
}
CI_READS = {**SERVICE_READS, "nurse": 403, "doctor": 403}
ADMIN_WRITES = {**CI_READS, **{r: 403 for r, c in CI_READS.items() if c == 200}}


class CmdbReadTests(ApiTestCase):
    def test_who_may_read_services_and_configuration_items(self) -> None:
        self.assert_statuses(lambda client, role: client.get("/api/services/"), SERVICE_READS)
        self.assert_statuses(
            lambda client, role: client.get("/api/services/%d/" % self.his.pk), SERVICE_READS
        )
        self.assert_statuses(lambda client, role: client.get("/api/cis/"), CI_READS)
        self.assert_statuses(
            lambda client, role: client.get("/api/cis/%d/" % self.printer.pk), CI_READS
        )

    def test_a_configuration_item_reads_back_its_class_place_and_owner(self) -> None:
        self.printer.services.add(self.his)
        data = self.api(self.engineer).get("/api/cis/%d/" % self.printer.pk).data
        self.assertEqual(data["code"], "PRN-ED-001")
        self.assertEqual(data["ci_class"], ConfigurationItemClass.PRINTER)
        self.assertEqual(data["department"], self.emergency.pk)
        self.assertEqual(data["owner_group"], self.front_group.pk)
        self.assertEqual(data["services"], [self.his.pk])
        self.assertEqual(self.api(self.agent).get("/api/cis/98765/").status_code, 404)

    def test_lists_filter_by_their_fields(self) -> None:
        client = self.api(self.agent)
        rows = page(client.get("/api/services/", {"criticality": Criticality.CRITICAL}))
        self.assertEqual([r["code"] for r in rows], ["HIS"])
        rows = page(client.get("/api/cis/", {"department": self.emergency.pk}))
        self.assertEqual([r["code"] for r in rows], ["PRN-ED-001"])
        self.assert_error_fields(client.get("/api/cis/", {"ci_class": "toaster"}), "ci_class")

    def test_the_lists_run_a_constant_number_of_queries(self) -> None:
        for index in range(60):
            ci = ConfigurationItem.objects.create(
                code="WS-%03d" % index,
                name="护士站工作站%d" % index,
                ci_class_id=ConfigurationItemClass.WORKSTATION,
                department=self.emergency,
                owner_group=self.front_group,
            )
            ci.services.add(self.his, self.pacs)
            Service.objects.create(code="S%03d" % index, name="服务%d" % index)
        client = self.api(self.agent)
        for url in ("/api/cis/", "/api/services/"):
            with self.subTest(url=url):
                client.get(url, {"page_size": 5})
                with CaptureQueriesContext(connection) as small:
                    client.get(url, {"page_size": 5})
                with self.assertNumQueries(len(small)):
                    client.get(url, {"page_size": 50})


class CmdbWriteTests(ApiTestCase):
    def test_only_administrators_add_services_and_configuration_items(self) -> None:
        counter = iter(range(100))

        def add_service(client: Any, role: str) -> Any:
            number = next(counter)
            return client.post(
                "/api/services/",
                {"code": "EMR%d" % number, "name": "电子病历%d" % number},
                format="json",
            )

        def add_ci(client: Any, role: str) -> Any:
            number = next(counter)
            return client.post(
                "/api/cis/",
                {
                    "code": "SRV-%d" % number,
                    "name": "HIS数据库服务器",
                    "ci_class": ConfigurationItemClass.SERVER,
                    "services": [self.his.pk],
                },
                format="json",
            )

        self.assert_statuses(add_service, {**ADMIN_WRITES, "admin": 201})
        # The hospital's own engineers keep the CMDB up to date too.
        self.assert_statuses(add_ci, {**ADMIN_WRITES, "engineer": 201, "admin": 201})

    def test_an_administrator_adds_a_service_and_it_is_audited(self) -> None:
        response = self.api(self.admin).post(
            "/api/services/",
            {
                "code": "LIS",
                "name": "LIS",
                "criticality": Criticality.HIGH,
                "owner_group": self.front_group.pk,
            },
            format="json",
        )
        self.assertEqual(response.status_code, 201, response.data)
        service = Service.objects.get(code="LIS")
        self.assertEqual(response.data["id"], service.pk)
        self.assertEqual(service.owner_group, self.front_group)
        entry = AuditEntry.objects.get(
            object_id=service.pk, action="create", content_type__model="service"
        )
        self.assertEqual(entry.actor, self.admin)

    def test_who_may_edit_a_configuration_item(self) -> None:
        self.assert_statuses(
            lambda client, role: client.patch(
                "/api/cis/%d/" % self.printer.pk,
                {
                    "status": ConfigurationItemStatus.MAINTENANCE,
                    "version": ConfigurationItem.objects.get(pk=self.printer.pk).version,
                },
                format="json",
            ),
            {**ADMIN_WRITES, "engineer": 200, "admin": 200},
        )
        self.assertEqual(
            ConfigurationItem.objects.get(pk=self.printer.pk).status,
            ConfigurationItemStatus.MAINTENANCE,
        )
        entry = AuditEntry.objects.get(
            object_id=self.printer.pk, action="update", content_type__model="configurationitem"
        )
        self.assertEqual(
            entry.changes["status"],
            [ConfigurationItemStatus.IN_USE, ConfigurationItemStatus.MAINTENANCE],
        )

    def test_bad_input_is_refused_field_by_field_and_writes_nothing(self) -> None:
        before = ConfigurationItem.objects.count(), AuditEntry.objects.count()
        response = self.api(self.admin).post(
            "/api/cis/",
            {
                "code": self.printer.code,
                "ci_class": "toaster",
                "criticality": 0,
                "services": [98765],
            },
            format="json",
        )
        self.assert_error_fields(response, "code", "name", "ci_class", "criticality", "services")
        response = self.api(self.admin).patch(
            "/api/services/%d/" % self.his.pk,
            {"status": "sleeping", "url": "x"},
            format="json",
        )
        self.assert_error_fields(response, "status", "url")
        self.assertEqual((ConfigurationItem.objects.count(), AuditEntry.objects.count()), before)
        self.assertEqual(Service.objects.get(pk=self.his.pk).status, "active")

    def test_put_and_delete_are_not_allowed(self) -> None:
        client = self.api(self.admin)
        self.assertEqual(client.put("/api/services/%d/" % self.his.pk, {}).status_code, 405)
        self.assertEqual(client.delete("/api/cis/%d/" % self.printer.pk).status_code, 405)

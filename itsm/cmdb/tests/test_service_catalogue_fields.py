"""The catalogue fields of a service over the API: service hours, the departments served
(none = the whole hospital) and an availability target between 0 and 100 %."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.api.tests.support import ApiTestCase, page
from itsm.cmdb.models import Service
from itsm.core.models import AuditEntry


class ServiceCatalogueFieldTests(ApiTestCase):
    def test_a_service_reads_back_its_hours_departments_and_target(self) -> None:
        Service.objects.filter(pk=self.his.pk).update(
            service_hours="7×24", availability_target="99.90"
        )
        self.his.departments.set([self.emergency])
        data = self.api(self.nurse).get("/api/services/%d/" % self.his.pk).data
        self.assertEqual(data["service_hours"], "7×24")
        self.assertEqual(data["availability_target"], "99.90")
        self.assertEqual(data["departments"], [self.emergency.pk])
        data = self.api(self.agent).get("/api/services/%d/" % self.pacs.pk).data
        self.assertEqual((data["departments"], data["availability_target"]), ([], None))

    def test_an_administrator_sets_the_catalogue_fields_with_an_audit_entry(self) -> None:
        response = self.api(self.admin).patch(
            "/api/services/%d/" % self.pacs.pk,
            {
                "service_hours": "工作日 08:00–17:30",
                "availability_target": "99.5",
                "departments": [self.radiology.pk],
                "version": self.pacs.version,
            },
            format="json",
        )
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.data["availability_target"], "99.50")
        entry = AuditEntry.objects.get(
            content_type=ContentType.objects.get_for_model(Service), object_id=self.pacs.pk
        )
        self.assertEqual(
            set(entry.changes), {"service_hours", "availability_target", "departments"}
        )

    def test_an_availability_target_outside_0_to_100_is_refused_in_chinese(self) -> None:
        client = self.api(self.admin)
        for value in ("100.01", "-1", "abc"):
            with self.subTest(value=value):
                response = client.patch(
                    "/api/services/%d/" % self.pacs.pk,
                    {"availability_target": value},
                    format="json",
                )
                self.assert_error_fields(response, "availability_target")
        response = client.patch(
            "/api/services/%d/" % self.pacs.pk, {"availability_target": "101"}, format="json"
        )
        self.assertRegex(response.data["availability_target"][0], "[\u4e00-\u9fff]")
        self.assertIsNone(Service.objects.get(pk=self.pacs.pk).availability_target)

    def test_the_list_filters_by_department_and_reads_in_constant_queries(self) -> None:
        self.his.departments.set([self.emergency])
        client = self.api(self.agent)
        rows = page(client.get("/api/services/", {"departments": self.emergency.pk}))
        self.assertEqual([r["code"] for r in rows], ["HIS"])
        with CaptureQueriesContext(connection) as few:
            client.get("/api/services/")
        self.assertLessEqual(len(few.captured_queries), 6)
        for n in range(5):
            Service.objects.create(code="S%d" % n, name="S%d" % n).departments.set(
                [self.emergency, self.radiology]
            )
        with self.assertNumQueries(len(few.captured_queries)):
            self.assertEqual(len(page(client.get("/api/services/"))), 7)

    def test_an_engineer_may_not_change_the_catalogue(self) -> None:
        response = self.api(self.engineer).patch(
            "/api/services/%d/" % self.his.pk, {"service_hours": "7×24"}, format="json"
        )
        self.assertEqual(response.status_code, 403)

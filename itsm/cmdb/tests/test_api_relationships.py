"""Relationships and impact analysis over the API: IT staff read them, administrators
relate and unrelate items under the services' rules; every refusal is a 400 naming the
field, in Chinese by default, with nothing written."""

from __future__ import annotations

from typing import Any

from itsm.api.tests.support import ApiTestCase, page
from itsm.cmdb.choices import ConfigurationItemClass as C
from itsm.cmdb.choices import RelationshipType as T
from itsm.cmdb.models import FormerRelationship, Relationship
from itsm.cmdb.tests.factories import link, make_ci
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


class RelationshipApiTests(ApiTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.app = make_ci("APP-PACS", C.APPLICATION)
        cls.server = make_ci("SRV-PACS-01", C.SERVER)
        cls.pacs_service = make_ci("BS-PACS", C.BUSINESS_SERVICE)
        link(cls.pacs_service, T.DEPENDS_ON, cls.app)
        cls.app.services.add(cls.pacs)
        cls.pacs.departments.set([cls.radiology, cls.emergency])

    def post(self, role: str = "admin", **data: Any) -> Any:
        body = {"source": self.app.pk, "target": self.server.pk, "type": T.RUNS_ON, **data}
        return self.as_role(role).post("/api/relationships/", body, format="json")

    def assert_refused(self, response: Any, field: str, chinese: str) -> None:
        self.assert_error_fields(response, field)
        self.assertIn(chinese, " ".join(response.data[field]))
        self.assertEqual(Relationship.objects.count(), 1)
        self.assertFalse(AuditEntry.objects.filter(action="relate").exists())

    def test_an_administrator_relates_two_items(self) -> None:
        response = self.post(note="主节点")
        self.assertEqual(response.status_code, 201, response.data)
        self.assertEqual(
            {k: response.data[k] for k in ("source_code", "type", "target_code", "note")},
            {
                "source_code": "APP-PACS",
                "type": T.RUNS_ON,
                "target_code": "SRV-PACS-01",
                "note": "主节点",
            },
        )
        self.assertTrue(AuditEntry.objects.filter(action="relate", object_id=self.app.pk).exists())

    def test_only_administrators_write_relationships(self) -> None:
        writes = {**READS, **{role: 403 for role, code in READS.items() if code == 200}}
        # The hospital's engineers relate items too (first: 201); the administrator's
        # request, the same relationship again, is then a duplicate.
        writes["engineer"] = 201
        writes["admin"] = 400
        self.assert_statuses(lambda client, role: self.post(role), writes)

    def test_who_may_read_relationships_and_impact(self) -> None:
        self.assert_statuses(lambda client, role: client.get("/api/relationships/"), READS)
        self.assert_statuses(
            lambda client, role: client.get("/api/cis/%d/impact/" % self.app.pk), READS
        )

    def test_the_list_filters_by_source_target_and_type(self) -> None:
        link(self.app, T.RUNS_ON, self.server)
        client = self.as_role("engineer")
        rows = page(client.get("/api/relationships/", {"target": self.server.pk}))
        self.assertEqual([r["source_code"] for r in rows], ["APP-PACS"])
        rows = page(client.get("/api/relationships/", {"type": T.DEPENDS_ON}))
        self.assertEqual([r["target_code"] for r in rows], ["APP-PACS"])
        rows = page(client.get("/api/relationships/", {"source": self.server.pk}))
        self.assertEqual(rows, [])
        self.assert_error_fields(client.get("/api/relationships/", {"type": "eats"}), "type")

    def test_a_type_not_allowed_between_the_classes_is_refused(self) -> None:
        self.assert_refused(self.post(source=self.server.pk, target=self.app.pk), "type", "不能")

    def test_a_self_relationship_is_refused(self) -> None:
        self.assert_refused(self.post(target=self.app.pk, type=T.DEPENDS_ON), "target", "自身")

    def test_a_duplicate_is_refused(self) -> None:
        self.assert_refused(
            self.post(source=self.pacs_service.pk, target=self.app.pk, type=T.DEPENDS_ON),
            "target",
            "已存在",
        )

    def test_a_loop_is_refused(self) -> None:
        self.assert_refused(
            self.post(source=self.app.pk, target=self.pacs_service.pk, type=T.DEPENDS_ON),
            "target",
            "循环",
        )

    def test_unknown_items_and_types_are_field_errors(self) -> None:
        self.assert_refused(self.post(source=999999), "source", "无效")
        self.assert_refused(self.post(target="x"), "target", "")
        self.assert_refused(self.post(type="eats"), "type", "")
        response = self.as_role("admin").post("/api/relationships/", {}, format="json")
        self.assert_error_fields(response, "source", "target", "type")
        self.assert_refused(self.post(created_at="2026-01-01"), "created_at", "")

    def test_an_administrator_unrelates(self) -> None:
        relationship = Relationship.objects.get()
        for role in ("agent", "manager"):
            response = self.as_role(role).delete("/api/relationships/%d/" % relationship.pk)
            self.assertEqual(response.status_code, 403)
        response = self.as_role("admin").delete("/api/relationships/%d/" % relationship.pk)
        self.assertEqual(response.status_code, 204)
        self.assertFalse(Relationship.objects.exists())
        audited = AuditEntry.objects.filter(action="unrelate").values_list("object_id", flat=True)
        self.assertEqual(sorted(audited), sorted([relationship.source_id, relationship.target_id]))
        self.assertTrue(FormerRelationship.objects.filter(source=relationship.source_id).exists())
        response = self.as_role("admin").delete("/api/relationships/%d/" % relationship.pk)
        self.assertEqual(response.status_code, 404)

    def test_relationships_cannot_be_edited(self) -> None:
        relationship = Relationship.objects.get()
        response = self.as_role("admin").patch(
            "/api/relationships/%d/" % relationship.pk, {"note": "x"}, format="json"
        )
        self.assertEqual(response.status_code, 405)

    def test_impact_names_the_affected_items_services_and_departments(self) -> None:
        link(self.app, T.RUNS_ON, self.server)
        response = self.as_role("engineer").get("/api/cis/%d/impact/" % self.server.pk)
        self.assertEqual(response.status_code, 200, response.data)
        data = response.data
        self.assertEqual(
            data["ci"], {"id": self.server.pk, "code": "SRV-PACS-01", "name": "SRV-PACS-01"}
        )
        self.assertEqual(
            [(a["code"], a["ci_class"], a["depth"], a["via"]) for a in data["affected"]],
            [
                ("APP-PACS", C.APPLICATION, 1, [T.RUNS_ON]),
                ("BS-PACS", C.BUSINESS_SERVICE, 2, [T.RUNS_ON, T.DEPENDS_ON]),
            ],
        )
        self.assertEqual([s["code"] for s in data["services"]], ["PACS"])
        self.assertEqual({d["name"] for d in data["departments"]}, {"放射科", "急诊科"})
        self.assertEqual(data["depends_on"], [])
        self.assertFalse(data["whole_hospital"])
        self.assertFalse(data["truncated"])

    def test_impact_of_an_unknown_item_is_404(self) -> None:
        response = self.as_role("engineer").get("/api/cis/999999/impact/")
        self.assertEqual(response.status_code, 404)

"""Bad input to the CMDB API: each refusal is a 400 naming the field, with the reason in
Chinese (the default) and in English (Accept-Language: en), and nothing is written — no
item, no relationship, no audit entry. Stale versions answer 409, missing permissions 403,
unknown ids 404."""

from __future__ import annotations

from typing import Any

from itsm.api.tests.support import ApiTestCase
from itsm.cmdb.choices import ConfigurationItemClass as C
from itsm.cmdb.choices import RelationshipType as T
from itsm.cmdb.models import ConfigurationItem, Contract, Relationship
from itsm.cmdb.tests.factories import make_ci
from itsm.core.models import AuditEntry


class CmdbBadInputTests(ApiTestCase):
    campus: ConfigurationItem
    server: ConfigurationItem
    app: ConfigurationItem
    lis: ConfigurationItem
    emr: ConfigurationItem
    tagged: ConfigurationItem
    pacs_contract: Contract

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.campus = make_ci("LOC-MAIN", "campus", name="院本部")
        cls.server = make_ci("SRV-01", "physical_server", name="HIS 数据库服务器")
        cls.app = make_ci("APP-HIS", C.APPLICATION, name="HIS")
        cls.lis = make_ci("APP-LIS", C.APPLICATION, name="LIS")
        cls.emr = make_ci("APP-EMR", C.APPLICATION, name="EMR")
        cls.tagged = make_ci("WS-ED-01", C.WORKSTATION, asset_tag="ZC-0001")
        cls.pacs_contract = Contract.objects.create(
            number="HT-2026-007", name="PACS 维保", vendor=cls.pacs_vendor
        )

    def counts(self) -> tuple[int, int, int]:
        return (
            ConfigurationItem.objects.count(),
            Relationship.objects.count(),
            AuditEntry.objects.count(),
        )

    def send(self, method: str, url: str, body: Any, language: str = "") -> Any:
        client = self.api(self.admin)
        headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
        return getattr(client, method)(url, body, format="json", **headers)

    def assert_refused(
        self, method: str, url: str, body: dict[str, Any], field: str, chinese: str, english: str
    ) -> None:
        """The request, sent in Chinese and in English, is a 400 naming only `field`, with
        the reason in each language, and writes nothing."""
        before = self.counts()
        for language, reason in (("", chinese), ("en", english)):
            with self.subTest(field=field, language=language or "zh-hans"):
                response = self.send(method, url, body, language)
                self.assert_error_fields(response, field)
                self.assertIn(reason, " ".join(response.data[field]))
        self.assertEqual(self.counts(), before)

    def new_ci(self, ci_class: str, **fields: Any) -> dict[str, Any]:
        return {"code": "NEW-01", "name": "新配置项", "ci_class": ci_class, **fields}

    # Attributes ---------------------------------------------------------------------

    def test_a_number_attribute_refuses_words(self) -> None:
        body = self.new_ci("physical_server", attributes={"cpu_cores": "很多"})
        self.assert_refused(
            "post", "/api/cis/", body, "attributes.cpu_cores", "必须是数字", "must be a number"
        )

    def test_a_date_attribute_refuses_a_non_date(self) -> None:
        body = self.new_ci(C.SOFTWARE_LICENCE, attributes={"expires_on": "明年"})
        self.assert_refused(
            "post", "/api/cis/", body, "attributes.expires_on", "必须是日期", "must be a date"
        )

    def test_an_ip_attribute_refuses_a_bad_address(self) -> None:
        body = self.new_ci("virtual_server", attributes={"management_ip": "10.0.0.300"})
        self.assert_refused(
            "post",
            "/api/cis/",
            body,
            "attributes.management_ip",
            "不是有效的 IP 地址",
            "is not an IP address",
        )

    def test_a_choice_attribute_refuses_a_value_not_offered(self) -> None:
        body = self.new_ci(C.DATABASE, attributes={"engine": "DB2"})
        self.assert_refused(
            "post", "/api/cis/", body, "attributes.engine", "的可选值", "is not one of the choices"
        )

    def test_a_required_attribute_must_be_given(self) -> None:
        body = self.new_ci(C.DATABASE, attributes={"port": 1521})
        self.assert_refused(
            "post", "/api/cis/", body, "attributes.engine", "为必填项", "is required"
        )

    def test_an_attribute_the_class_does_not_have_is_refused(self) -> None:
        body = self.new_ci(C.PRINTER, attributes={"cpu_cores": 4})
        self.assert_refused(
            "post",
            "/api/cis/",
            body,
            "attributes.cpu_cores",
            "该类没有属性",
            "This class has no attribute",
        )

    def test_a_reference_to_an_unknown_item_is_refused(self) -> None:
        body = self.new_ci(C.SOFTWARE_LICENCE, attributes={"licensed_to": "APP-NONE"})
        self.assert_refused(
            "post",
            "/api/cis/",
            body,
            "attributes.licensed_to",
            "没有配置项",
            "no configuration item",
        )

    def test_a_reference_to_an_item_of_the_wrong_class_is_refused(self) -> None:
        body = self.new_ci(C.SOFTWARE_LICENCE, attributes={"licensed_to": self.server.pk})
        self.assert_refused(
            "post",
            "/api/cis/",
            body,
            "attributes.licensed_to",
            "必须引用一个应用系统",
            "must refer to a Application",
        )

    def test_an_edit_with_a_bad_attribute_changes_nothing(self) -> None:
        url = "/api/cis/%d/" % self.server.pk
        body = {"version": 1, "name": "改名", "attributes": {"memory_gb": "大"}}
        self.assert_refused("patch", url, body, "attributes.memory_gb", "必须是数字", "number")
        self.server.refresh_from_db()
        self.assertEqual((self.server.name, self.server.version), ("HIS 数据库服务器", 1))

    # Fields and references ---------------------------------------------------------

    def test_an_unknown_class_is_refused(self) -> None:
        body = self.new_ci("toaster")
        self.assert_refused("post", "/api/cis/", body, "ci_class", "toaster", "toaster")

    def test_a_location_that_is_not_a_location_is_refused(self) -> None:
        body = self.new_ci(C.WORKSTATION, location=self.server.pk)
        self.assert_refused(
            "post", "/api/cis/", body, "location", "位置必须是位置类配置项", "location item"
        )

    def test_an_unknown_location_id_is_refused(self) -> None:
        body = self.new_ci(C.WORKSTATION, location=98765)
        self.assert_refused("post", "/api/cis/", body, "location", "98765", "98765")

    def test_a_contract_of_another_vendor_is_refused(self) -> None:
        body = self.new_ci(C.SERVER, vendor=self.his_vendor.pk, contract=self.pacs_contract.pk)
        self.assert_refused(
            "post", "/api/cis/", body, "contract", "该合同属于其他厂商", "another vendor"
        )

    def test_a_duplicate_code_is_refused(self) -> None:
        body = self.new_ci(C.SERVER, code=self.server.code)
        self.assert_refused("post", "/api/cis/", body, "code", "已存在", "already exists")

    def test_a_duplicate_asset_tag_is_refused(self) -> None:
        body = self.new_ci(C.WORKSTATION, asset_tag="ZC-0001")
        self.assert_refused("post", "/api/cis/", body, "asset_tag", "资产编号", "asset tag")

    def test_a_field_the_api_does_not_write_is_refused(self) -> None:
        body = self.new_ci(C.SERVER, version=7)
        self.assert_refused("post", "/api/cis/", body, "version", "不能", "cannot")

    # Relationships ------------------------------------------------------------------

    def relate(self, source: ConfigurationItem, type: str, target: ConfigurationItem) -> Any:
        body = {"source": source.pk, "target": target.pk, "type": type}
        return self.send("post", "/api/relationships/", body)

    def test_a_relationship_the_classes_do_not_allow_is_refused(self) -> None:
        body = {"source": self.server.pk, "target": self.app.pk, "type": T.RUNS_ON}
        self.assert_refused(
            "post", "/api/relationships/", body, "type", "关系不能从", "cannot go from"
        )

    def test_a_cycle_of_dependencies_is_refused(self) -> None:
        self.assertEqual(self.relate(self.app, T.DEPENDS_ON, self.lis).status_code, 201)
        self.assertEqual(self.relate(self.lis, T.DEPENDS_ON, self.emr).status_code, 201)
        body = {"source": self.emr.pk, "target": self.app.pk, "type": T.DEPENDS_ON}
        self.assert_refused(
            "post", "/api/relationships/", body, "target", "将形成循环", "would make a loop"
        )

    def test_a_duplicate_relationship_is_refused(self) -> None:
        self.assertEqual(self.relate(self.app, T.RUNS_ON, self.server).status_code, 201)
        body = {"source": self.app.pk, "target": self.server.pk, "type": T.RUNS_ON}
        self.assert_refused(
            "post", "/api/relationships/", body, "target", "该关系已存在", "exists already"
        )

    def test_a_relationship_to_itself_is_refused(self) -> None:
        body = {"source": self.app.pk, "target": self.app.pk, "type": T.DEPENDS_ON}
        self.assert_refused(
            "post", "/api/relationships/", body, "target", "不能与自身", "related to itself"
        )

    def test_a_relationship_to_an_unknown_item_is_refused(self) -> None:
        body = {"source": self.app.pk, "target": 98765, "type": T.DEPENDS_ON}
        self.assert_refused("post", "/api/relationships/", body, "target", "98765", "98765")

    def test_an_unknown_relationship_type_is_refused(self) -> None:
        body = {"source": self.app.pk, "target": self.lis.pk, "type": "loves"}
        self.assert_refused("post", "/api/relationships/", body, "type", "loves", "loves")

    # Conflicts, permissions, unknown ids --------------------------------------------

    def test_a_stale_version_is_a_conflict_and_writes_nothing(self) -> None:
        url = "/api/cis/%d/" % self.server.pk
        self.assertEqual(self.send("patch", url, {"version": 1, "name": "甲"}).status_code, 200)
        before = self.counts()
        for language, reason in (("", "其他人已修改"), ("en", "Someone else changed")):
            response = self.send("patch", url, {"version": 1, "name": "乙"}, language)
            self.assertEqual(response.status_code, 409, response.data)
            self.assertIn(reason, response.data["detail"])
        self.assertEqual(self.counts(), before)
        self.server.refresh_from_db()
        self.assertEqual((self.server.name, self.server.version), ("甲", 2))

    def test_an_edit_without_the_version_is_refused(self) -> None:
        url = "/api/cis/%d/" % self.server.pk
        self.assert_refused("patch", url, {"name": "丙"}, "version", "必填", "required")

    def test_writes_without_permission_are_forbidden_and_write_nothing(self) -> None:
        before = self.counts()
        client = self.api(self.agent)  # the service desk reads the CMDB, does not write it
        body = self.new_ci(C.SERVER)
        self.assertEqual(client.post("/api/cis/", body, format="json").status_code, 403)
        url = "/api/cis/%d/" % self.server.pk
        patch = {"version": 1, "name": "改名"}
        self.assertEqual(client.patch(url, patch, format="json").status_code, 403)
        relation = {"source": self.app.pk, "target": self.server.pk, "type": T.RUNS_ON}
        for language, reason in (("zh-hans", "您无权修改配置项"), ("en", "may not change")):
            response = client.post(
                "/api/relationships/", relation, format="json", HTTP_ACCEPT_LANGUAGE=language
            )
            self.assertEqual(response.status_code, 403)
            self.assertIn(reason, response.data["detail"])
        for url, data in (
            ("/api/ci-classes/", {"code": "pda", "name": "手持终端", "parent": C.WORKSTATION}),
            ("/api/contracts/", {"number": "HT-9", "name": "维保", "vendor": self.his_vendor.pk}),
        ):
            self.assertEqual(client.post(url, data, format="json").status_code, 403, url)
        self.assertEqual(self.counts(), before)

    def test_unknown_ids_are_not_found(self) -> None:
        client = self.api(self.admin)
        for url in (
            "/api/cis/98765/",
            "/api/cis/98765/history/",
            "/api/cis/98765/as-of/?date=2026-01-01",
            "/api/cis/98765/impact/",
            "/api/relationships/98765/",
            "/api/ci-classes/98765/",
            "/api/ci-attributes/98765/",
            "/api/contracts/98765/",
        ):
            with self.subTest(url=url):
                self.assertEqual(client.get(url).status_code, 404)
        before = self.counts()
        patch = {"version": 1, "name": "x"}
        self.assertEqual(client.patch("/api/cis/98765/", patch, format="json").status_code, 404)
        self.assertEqual(client.delete("/api/relationships/98765/").status_code, 404)
        self.assertEqual(self.counts(), before)

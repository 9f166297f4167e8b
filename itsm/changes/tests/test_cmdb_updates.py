"""The CMDB updates a change declares (new item, attribute values, relationships added and
removed, retirement): checked when declared, applied with the change's number when it is
implemented successfully — or the completion refused with nothing written — and the
planned downtime recorded as a planned outage of the affected services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from itsm.changes.choices import ChangeStatus, CmdbUpdateKind
from itsm.changes.cmdb_updates import declare_cmdb_update, remove_cmdb_update
from itsm.changes.models import Change, DeclaredCmdbUpdate
from itsm.changes.services import approve_change, assess_risk, transition_change
from itsm.changes.tests.factories import (
    audit_count,
    low_risk_answers,
    rfc,
    set_up_change_management,
)
from itsm.cmdb.choices import ConfigurationItemStatus, RelationshipType
from itsm.cmdb.history import history_of
from itsm.cmdb.models import ConfigurationItem, Relationship, ServiceOutage
from itsm.cmdb.services import update_ci
from itsm.cmdb.tests.factories import link, make_ci
from itsm.core.exceptions import ConflictError
from itsm.core.testing import BaseTestCase
from itsm.incidents.tests.factories import log

S = ChangeStatus
K = CmdbUpdateKind

NEW_STORAGE: dict[str, Any] = {
    "kind": K.CREATE,
    "ci_code": "STO-PACS-02",
    "ci_class": "storage",
    "name": "PACS 二期存储节点",
    "fields": {"criticality": 2, "position": "信息中心机房 B 排 3 柜"},
    "attributes": {"capacity_tb": 40},
}


def walk_to(case: Any, change: Change, status: str) -> Change:
    """A planned (draft) change taken on to `status`: submitted, assessed at low risk,
    approved by the manager, scheduled, implemented by the engineer."""
    change = transition_change(change, "submit", actor=case.engineer)
    change = transition_change(change, "assess", actor=case.manager)
    change = assess_risk(change, low_risk_answers(), actor=case.manager)
    change = transition_change(change, "request_approval", actor=case.manager)
    # The change manager, then (a high impact) the CAB with its quorum of two.
    for approver in (case.manager, case.manager, case.admin):
        if Change.objects.get(pk=change.pk).status == S.APPROVED:
            break
        approve_change(change, actor=approver, comment="同意")
    change = transition_change(Change.objects.get(pk=change.pk), "schedule", actor=case.engineer)
    if status == S.SCHEDULED:
        return change
    change = transition_change(change, "start", actor=case.engineer)
    if status == S.IMPLEMENTING:
        return change
    assert status == S.IMPLEMENTED, status
    return transition_change(change, "complete", actor=case.engineer)


class CmdbUpdateTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)
        cls.pacs_server = make_ci("SRV-PACS-01", "physical_server", name="PACS 服务器 01")
        cls.pacs_app = make_ci("APP-PACS", "application", name="PACS 影像系统")
        cls.pacs_app.services.add(cls.pacs)
        cls.his_app = make_ci(
            "APP-HIS", "application", name="HIS", attributes={"software_version": "5.2"}
        )
        cls.his_app.services.add(cls.his)
        cls.runs_on = link(cls.pacs_app, RelationshipType.RUNS_ON, cls.pacs_server)
        cls.old_switch = make_ci(
            "SW-OLD-01", "switch", name="旧接入交换机", status=ConfigurationItemStatus.RETIRED
        )

    def setUp(self) -> None:
        super().setUp()
        # Messages compared in English; the product's default language is Chinese.
        translation.activate("en")
        self.addCleanup(translation.deactivate)

    def draft(self, **fields: Any) -> Change:
        return rfc(self.engineer, configuration_items=[self.pacs_server], **fields)

    def declare(self, change: Change, **data: Any) -> DeclaredCmdbUpdate:
        return declare_cmdb_update(change, data, actor=self.engineer)

    def refusal(self, change: Change, **data: Any) -> dict[str, list[str]]:
        with self.assertRaises(ValidationError) as caught:
            self.declare(change, **data)
        return caught.exception.message_dict


class DeclaringTests(CmdbUpdateTestCase):
    def test_each_kind_is_declared_in_order_and_audited_on_the_change(self) -> None:
        change = self.draft()
        before = audit_count(change)
        self.declare(change, **NEW_STORAGE)
        self.declare(
            change,
            kind=K.RELATE,
            ci_code="SRV-PACS-01",
            relationship_type=RelationshipType.USES,
            other_code="STO-PACS-02",
        )
        self.declare(
            change, kind=K.SET_ATTRIBUTES, ci_code="APP-HIS", attributes={"software_version": "6.0"}
        )
        self.declare(
            change,
            kind=K.UNRELATE,
            ci_code="APP-PACS",
            relationship_type=RelationshipType.RUNS_ON,
            other_code="SRV-PACS-01",
        )
        self.declare(change, kind=K.RETIRE, ci_code="PRN-ED-001")
        kinds = list(change.cmdb_updates.values_list("position", "kind"))
        self.assertEqual(
            kinds,
            [(1, K.CREATE), (2, K.RELATE), (3, K.SET_ATTRIBUTES), (4, K.UNRELATE), (5, K.RETIRE)],
        )
        self.assertEqual(audit_count(change), before + 5)
        # Nothing touches the CMDB before the change is implemented.
        self.assertFalse(ConfigurationItem.objects.filter(code="STO-PACS-02").exists())
        self.assertEqual(
            self.his_app.__class__.objects.get(pk=self.his_app.pk).attributes["software_version"],
            "5.2",
        )

    def test_an_unknown_item_is_refused_on_its_field(self) -> None:
        change = self.draft()
        errors = self.refusal(change, kind=K.RETIRE, ci_code="NO-SUCH-CI")
        self.assertEqual(errors, {"ci_code": ["There is no configuration item “NO-SUCH-CI”."]})
        errors = self.refusal(
            change,
            kind=K.RELATE,
            ci_code="APP-PACS",
            relationship_type=RelationshipType.DEPENDS_ON,
            other_code="NO-SUCH-CI",
        )
        self.assertIn("other_code", errors)
        self.assertFalse(change.cmdb_updates.exists())

    def test_a_retired_item_is_refused_with_the_reason(self) -> None:
        change = self.draft()
        for data in (
            {"kind": K.RETIRE, "ci_code": "SW-OLD-01"},
            {"kind": K.SET_ATTRIBUTES, "ci_code": "SW-OLD-01", "attributes": {"x": 1}},
        ):
            with self.subTest(kind=data["kind"]):
                errors = self.refusal(change, **data)
                self.assertEqual(
                    errors, {"ci_code": ["SW-OLD-01 is retired: a change cannot update it."]}
                )
        errors = self.refusal(
            change,
            kind=K.RELATE,
            ci_code="SRV-PACS-01",
            relationship_type=RelationshipType.CONNECTED_TO,
            other_code="SW-OLD-01",
        )
        self.assertEqual(list(errors), ["other_code"])
        self.assertFalse(change.cmdb_updates.exists())

    def test_an_item_the_change_retires_is_not_updated_later_in_it(self) -> None:
        change = self.draft()
        self.declare(change, kind=K.RETIRE, ci_code="APP-HIS")
        errors = self.refusal(
            change, kind=K.SET_ATTRIBUTES, ci_code="APP-HIS", attributes={"software_version": "6"}
        )
        self.assertEqual(list(errors), ["ci_code"])

    def test_attributes_go_through_the_cmdb_validator(self) -> None:
        change = self.draft()
        errors = self.refusal(
            change, kind=K.SET_ATTRIBUTES, ci_code="SRV-PACS-01", attributes={"flavour": "x"}
        )
        self.assertEqual(list(errors), ["attributes.flavour"])
        errors = self.refusal(
            change, kind=K.SET_ATTRIBUTES, ci_code="SRV-PACS-01", attributes={"cpu_cores": "many"}
        )
        self.assertEqual(list(errors), ["attributes.cpu_cores"])
        errors = self.refusal(change, kind=K.SET_ATTRIBUTES, ci_code="SRV-PACS-01", attributes={})
        self.assertEqual(list(errors), ["attributes"])

    def test_a_new_item_is_checked_like_a_cmdb_write(self) -> None:
        change = self.draft()
        errors = self.refusal(change, **{**NEW_STORAGE, "ci_code": "SRV-PACS-01"})
        self.assertEqual(list(errors), ["ci_code"])
        errors = self.refusal(change, **{**NEW_STORAGE, "ci_class": "spaceship"})
        self.assertEqual(list(errors), ["ci_class"])
        errors = self.refusal(change, **{**NEW_STORAGE, "attributes": {"capacity_tb": "big"}})
        self.assertEqual(list(errors), ["attributes.capacity_tb"])
        errors = self.refusal(change, **{**NEW_STORAGE, "fields": {"vendor": 1}})
        self.assertEqual(list(errors), ["fields.vendor"])
        errors = self.refusal(change, **{**NEW_STORAGE, "name": ""})
        self.assertEqual(list(errors), ["name"])
        self.declare(change, **NEW_STORAGE)
        errors = self.refusal(change, **NEW_STORAGE)
        self.assertEqual(errors, {"ci_code": ["This change creates STO-PACS-02 already."]})

    def test_a_relationship_the_rules_refuse_is_refused(self) -> None:
        change = self.draft()
        errors = self.refusal(
            change,
            kind=K.RELATE,
            ci_code="PRN-ED-001",
            relationship_type=RelationshipType.RUNS_ON,
            other_code="SRV-PACS-01",
        )
        self.assertEqual(list(errors), ["relationship_type"])
        # With a new item at one end, the class rules still hold.
        self.declare(change, **NEW_STORAGE)
        errors = self.refusal(
            change,
            kind=K.RELATE,
            ci_code="STO-PACS-02",
            relationship_type=RelationshipType.RUNS_ON,
            other_code="SRV-PACS-01",
        )
        self.assertEqual(list(errors), ["relationship_type"])
        errors = self.refusal(
            change,
            kind=K.RELATE,
            ci_code="APP-PACS",
            relationship_type=RelationshipType.RUNS_ON,
            other_code="SRV-PACS-01",
        )
        self.assertEqual(errors, {"other_code": ["This relationship exists already."]})
        errors = self.refusal(
            change,
            kind=K.UNRELATE,
            ci_code="APP-HIS",
            relationship_type=RelationshipType.RUNS_ON,
            other_code="SRV-PACS-01",
        )
        self.assertEqual(errors, {"other_code": ["There is no such relationship to remove."]})

    def test_fields_of_another_kind_are_refused(self) -> None:
        change = self.draft()
        errors = self.refusal(change, kind=K.RETIRE, ci_code="APP-HIS", other_code="APP-PACS")
        self.assertEqual(list(errors), ["other_code"])

    def test_updates_are_declared_only_while_the_change_is_planned(self) -> None:
        change = walk_to(self, self.draft(), S.SCHEDULED)
        with self.assertRaises(ConflictError):
            self.declare(change, kind=K.RETIRE, ci_code="PRN-ED-001")
        self.assertFalse(change.cmdb_updates.exists())

    def test_only_those_who_work_the_change_declare(self) -> None:
        change = self.draft()
        with self.assertRaises(PermissionDenied):
            declare_cmdb_update(
                change, {"kind": K.RETIRE, "ci_code": "PRN-ED-001"}, actor=self.other_vendor
            )

    def test_a_withdrawn_update_is_gone_unless_a_later_one_builds_on_it(self) -> None:
        change = self.draft()
        created = self.declare(change, **NEW_STORAGE)
        related = self.declare(
            change,
            kind=K.RELATE,
            ci_code="SRV-PACS-01",
            relationship_type=RelationshipType.USES,
            other_code="STO-PACS-02",
        )
        with self.assertRaises(ValidationError) as caught:
            remove_cmdb_update(created, actor=self.engineer)
        self.assertIn("update", caught.exception.message_dict)
        remove_cmdb_update(related, actor=self.engineer)
        remove_cmdb_update(created, actor=self.engineer)
        self.assertFalse(change.cmdb_updates.exists())


class ApplyingTests(CmdbUpdateTestCase):
    def declare_all(self, change: Change) -> None:
        self.declare(change, **NEW_STORAGE)
        self.declare(
            change,
            kind=K.RELATE,
            ci_code="SRV-PACS-01",
            relationship_type=RelationshipType.USES,
            other_code="STO-PACS-02",
            note="PACS 二期扩容",
        )
        self.declare(
            change, kind=K.SET_ATTRIBUTES, ci_code="APP-HIS", attributes={"software_version": "6.0"}
        )
        self.declare(
            change,
            kind=K.UNRELATE,
            ci_code="APP-PACS",
            relationship_type=RelationshipType.RUNS_ON,
            other_code="SRV-PACS-01",
        )
        self.declare(change, kind=K.RETIRE, ci_code="PRN-ED-001")

    def test_completion_applies_every_update_with_the_change_number(self) -> None:
        change = self.draft()
        self.declare_all(change)
        done = walk_to(self, change, S.IMPLEMENTED)
        self.assertEqual(done.status, S.IMPLEMENTED)
        storage = ConfigurationItem.objects.get(code="STO-PACS-02")
        self.assertEqual(storage.ci_class_id, "storage")
        self.assertEqual(storage.attributes, {"capacity_tb": 40})
        self.assertEqual(storage.criticality, 2)
        self.assertTrue(
            Relationship.objects.filter(
                source=self.pacs_server, target=storage, type=RelationshipType.USES
            ).exists()
        )
        self.assertFalse(Relationship.objects.filter(pk=self.runs_on.pk).exists())
        his = ConfigurationItem.objects.get(pk=self.his_app.pk)
        self.assertEqual(his.attributes["software_version"], "6.0")
        printer = ConfigurationItem.objects.get(pk=self.printer.pk)
        self.assertEqual(printer.status, ConfigurationItemStatus.RETIRED)
        for item in (storage, self.pacs_server, his, self.pacs_app, printer):
            with self.subTest(item=item.code):
                numbers = {entry.change_number for entry in history_of(item)}
                self.assertEqual(numbers, {done.number})
        self.assertFalse(done.cmdb_updates.filter(applied_at__isnull=True).exists())

    def test_an_update_that_no_longer_applies_refuses_the_completion_and_writes_nothing(
        self,
    ) -> None:
        change = self.draft()
        self.declare_all(change)
        change = walk_to(self, change, S.IMPLEMENTING)
        # Between approval and implementation someone retired the HIS application.
        his = ConfigurationItem.objects.get(pk=self.his_app.pk)
        update_ci(his, actor=self.engineer, version=his.version, fields={"status": "retired"})
        before = audit_count(change)
        with self.assertRaises(ConflictError) as caught:
            transition_change(change, "complete", actor=self.engineer)
        self.assertIn("APP-HIS is retired", str(caught.exception))
        fresh = Change.objects.get(pk=change.pk)
        self.assertEqual((fresh.status, fresh.outcome), (S.IMPLEMENTING, ""))
        self.assertEqual(audit_count(change), before)
        # The updates before the refused one were rolled back with it.
        self.assertFalse(ConfigurationItem.objects.filter(code="STO-PACS-02").exists())
        self.assertTrue(Relationship.objects.filter(pk=self.runs_on.pk).exists())
        self.assertFalse(fresh.cmdb_updates.exclude(applied_at=None).exists())

    def test_the_api_answers_409_with_the_reason(self) -> None:
        change = self.draft()
        self.declare(
            change, kind=K.SET_ATTRIBUTES, ci_code="APP-HIS", attributes={"software_version": "6"}
        )
        change = walk_to(self, change, S.IMPLEMENTING)
        his = ConfigurationItem.objects.get(pk=self.his_app.pk)
        update_ci(his, actor=self.engineer, version=his.version, fields={"status": "retired"})
        response = self.api(self.engineer).post(
            "/api/changes/%d/transitions/" % change.pk, {"name": "complete"}, format="json"
        )
        self.assertEqual(response.status_code, 409)
        self.assertIn("APP-HIS", response.data["detail"])
        self.assertEqual(Change.objects.get(pk=change.pk).status, S.IMPLEMENTING)

    def test_a_change_that_updates_the_cmdb_is_completed_by_someone_who_may_change_it(
        self,
    ) -> None:
        change = self.draft(assignment_group=self.vendor_group)
        self.declare(change, kind=K.RETIRE, ci_code="PRN-ED-001")
        change = walk_to(self, change, S.IMPLEMENTING)
        with self.assertRaises(PermissionDenied):
            transition_change(change, "complete", actor=self.vendor)
        self.assertEqual(Change.objects.get(pk=change.pk).status, S.IMPLEMENTING)
        done = transition_change(change, "complete", actor=self.engineer)
        self.assertEqual(done.status, S.IMPLEMENTED)

    def test_a_change_without_declared_updates_completes_as_before(self) -> None:
        change = walk_to(self, self.draft(assignment_group=self.vendor_group), S.IMPLEMENTING)
        done = transition_change(change, "complete", actor=self.vendor)
        self.assertEqual(done.status, S.IMPLEMENTED)


class PlannedOutageTests(CmdbUpdateTestCase):
    def test_expected_downtime_becomes_a_planned_outage_of_the_affected_services(self) -> None:
        change = rfc(
            self.engineer,
            configuration_items=[self.pacs_server],
            service=self.his,
            downtime_expected=True,
            downtime_minutes=90,
        )
        done = walk_to(self, change, S.IMPLEMENTED)
        outages = ServiceOutage.objects.order_by("service__code")
        # PACS is above the server (the PACS application runs on it); HIS is the change's own.
        self.assertEqual([o.service.code for o in outages], ["HIS", "PACS"])
        for outage in outages:
            self.assertTrue(outage.planned)
            self.assertEqual(outage.change_number, done.number)
            self.assertEqual(outage.start, done.actual_start)
            self.assertEqual(outage.end - outage.start, timedelta(minutes=90))
            self.assertEqual(outage.minutes, 90)

    def test_a_backed_out_change_took_its_downtime_too(self) -> None:
        change = rfc(self.engineer, service=self.his, downtime_expected=True, downtime_minutes=30)
        change = walk_to(self, change, S.IMPLEMENTING)
        transition_change(change, "back_out", actor=self.engineer, data={"note": "回退"})
        self.assertEqual(ServiceOutage.objects.filter(change_number=change.number).count(), 1)

    def test_no_outage_without_expected_downtime(self) -> None:
        walk_to(self, rfc(self.engineer, service=self.his), S.IMPLEMENTED)
        self.assertFalse(ServiceOutage.objects.exists())

    def test_the_service_page_shows_its_outages(self) -> None:
        change = rfc(self.engineer, service=self.his, downtime_expected=True, downtime_minutes=45)
        done = walk_to(self, change, S.IMPLEMENTED)
        self.login(self.engineer)
        page = self.client.get(self.his.get_absolute_url())
        self.assertContains(page, done.number)


class CmdbUpdateApiTests(CmdbUpdateTestCase):
    def url(self, change: Change) -> str:
        return "/api/changes/%d/cmdb-updates/" % change.pk

    def test_declare_list_and_withdraw(self) -> None:
        change = self.draft()
        api = self.api(self.engineer)
        created = api.post(self.url(change), NEW_STORAGE, format="json")
        self.assertEqual(created.status_code, 201, created.data)
        self.assertEqual(created.data["kind"], K.CREATE)
        self.assertEqual(created.data["description"], "新增配置项 STO-PACS-02 PACS 二期存储节点")
        listed = self.api(self.agent).get(self.url(change))
        self.assertEqual(listed.status_code, 200)
        self.assertEqual([u["ci_code"] for u in listed.data], ["STO-PACS-02"])
        removed = api.post("%s%d/remove/" % (self.url(change), created.data["id"]))
        self.assertEqual(removed.status_code, 204)
        self.assertFalse(change.cmdb_updates.exists())
        again = api.post("%s%d/remove/" % (self.url(change), created.data["id"]))
        self.assertEqual(again.status_code, 404)

    def test_bad_input_is_400_per_field_and_writes_nothing(self) -> None:
        change = self.draft()
        api = self.api(self.engineer)
        before = audit_count(change)
        cases = [
            ({"kind": K.RETIRE, "ci_code": "NO-SUCH-CI"}, "ci_code"),
            ({"kind": K.RETIRE, "ci_code": "SW-OLD-01"}, "ci_code"),
            ({"kind": "explode", "ci_code": "APP-HIS"}, "kind"),
            ({"kind": K.RETIRE, "ci_code": "APP-HIS", "colour": "red"}, "colour"),
            (
                {"kind": K.SET_ATTRIBUTES, "ci_code": "APP-HIS", "attributes": {"nope": 1}},
                "attributes.nope",
            ),
            (
                {
                    "kind": K.RELATE,
                    "ci_code": "PRN-ED-001",
                    "relationship_type": "runs_on",
                    "other_code": "SRV-PACS-01",
                },
                "relationship_type",
            ),
        ]
        for payload, field in cases:
            with self.subTest(field=field, payload=payload):
                response = api.post(self.url(change), payload, format="json")
                self.assertEqual(response.status_code, 400)
                self.assertIn(field, response.data)
        self.assertEqual(audit_count(change), before)
        self.assertFalse(change.cmdb_updates.exists())

    def test_after_approval_it_is_409_and_others_are_kept_out(self) -> None:
        change = walk_to(self, self.draft(), S.SCHEDULED)
        payload = {"kind": K.RETIRE, "ci_code": "PRN-ED-001"}
        response = self.api(self.engineer).post(self.url(change), payload, format="json")
        self.assertEqual(response.status_code, 409)
        draft = self.draft()
        self.assertEqual(
            self.api(self.other_vendor).post(self.url(draft), payload, format="json").status_code,
            404,
        )
        self.assertEqual(
            self.api(self.agent).post(self.url(draft), payload, format="json").status_code, 403
        )
        self.assertEqual(self.api(self.outsider).get(self.url(draft)).status_code, 403)
        self.assertEqual(self.api(None).get(self.url(draft)).status_code, 401)


class CmdbUpdatePageTests(CmdbUpdateTestCase):
    def test_the_change_page_declares_lists_and_withdraws_updates(self) -> None:
        change = self.draft()
        self.login(self.engineer)
        page = self.client.get(change.get_absolute_url())
        self.assertContains(page, reverse("changes:cmdb_update_add", args=[change.pk]))
        response = self.client.post(
            reverse("changes:cmdb_update_add", args=[change.pk]),
            {
                "kind": K.SET_ATTRIBUTES,
                "ci_code": "APP-HIS",
                "attributes": "software_version=6.0\n",
            },
        )
        self.assertEqual(response.status_code, 302)
        update = change.cmdb_updates.get()
        self.assertEqual(update.attributes, {"software_version": "6.0"})
        page = self.client.get(change.get_absolute_url())
        self.assertContains(page, "将 APP-HIS 的属性设为 software_version=6.0")
        response = self.client.post(
            reverse("changes:cmdb_update_remove", args=[change.pk, update.pk])
        )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(change.cmdb_updates.exists())

    def test_the_page_refuses_bad_input_with_the_reason(self) -> None:
        change = self.draft()
        self.login(self.engineer)
        url = reverse("changes:cmdb_update_add", args=[change.pk])
        response = self.client.post(url, {"kind": K.RETIRE, "ci_code": "SW-OLD-01"})
        self.assertContains(response, "SW-OLD-01 已停用", status_code=400)
        response = self.client.post(
            url, {"kind": K.SET_ATTRIBUTES, "ci_code": "APP-HIS", "attributes": "no equals"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(change.cmdb_updates.exists())
        self.login(self.other_vendor)
        response = self.client.post(url, {"kind": K.RETIRE, "ci_code": "PRN-ED-001"})
        self.assertEqual(response.status_code, 404)

    def test_once_sent_for_approval_the_form_is_gone_and_a_post_is_409(self) -> None:
        change = walk_to(self, self.draft(), S.SCHEDULED)
        self.login(self.engineer)
        page = self.client.get(change.get_absolute_url())
        self.assertNotContains(page, reverse("changes:cmdb_update_add", args=[change.pk]))
        response = self.client.post(
            reverse("changes:cmdb_update_add", args=[change.pk]),
            {"kind": K.RETIRE, "ci_code": "PRN-ED-001"},
        )
        self.assertEqual(response.status_code, 409)


class CiOpenChangesTests(CmdbUpdateTestCase):
    def card(self, item: ConfigurationItem) -> Any:
        return self.client.get(reverse("changes:ci_open_changes", args=[item.pk]))

    def test_the_item_page_loads_the_card_and_links_to_its_deployments(self) -> None:
        self.login(self.engineer)
        page = self.client.get(self.pacs_app.get_absolute_url())
        self.assertContains(page, reverse("changes:ci_open_changes", args=[self.pacs_app.pk]))
        self.assertContains(
            page, "%s?ci=%d" % (reverse("releases:deployment_list"), self.pacs_app.pk)
        )
        self.login(self.nurse)
        self.assertEqual(self.card(self.pacs_app).status_code, 403)

    def test_open_changes_on_the_item_and_on_what_it_relies_on_are_listed(self) -> None:
        on_server = self.draft(title="PACS 服务器内存扩容")
        on_app = rfc(self.engineer, title="PACS 补丁", configuration_items=[self.pacs_app])
        declaring = rfc(self.engineer, title="HIS 升级", configuration_items=[self.his_app])
        self.declare(declaring, kind=K.RETIRE, ci_code="APP-PACS")
        elsewhere = rfc(self.engineer, title="打印机驱动", configuration_items=[self.printer])
        finished = walk_to(self, self.draft(title="已完成的变更"), S.IMPLEMENTED)
        transition_change(finished, "close", actor=self.manager)
        self.login(self.engineer)
        card = self.card(self.pacs_app)
        self.assertEqual(card.status_code, 200)
        for shown in (on_server, on_app, declaring):
            self.assertContains(card, shown.number)
        self.assertContains(card, "SRV-PACS-01")
        for hidden in (elsewhere, finished):
            self.assertNotContains(card, hidden.number)
        self.login(self.other_vendor)
        self.assertNotContains(self.card(self.pacs_app), on_server.number)

    def test_the_incident_page_loads_the_changes_on_its_items(self) -> None:
        incident = log(self.agent, title="PACS 调阅缓慢", configuration_items=[self.pacs_app])
        on_server = self.draft(title="PACS 服务器内存扩容")
        self.login(self.engineer)
        page = self.client.get(incident.get_absolute_url())
        url = reverse("changes:incident_open_changes", args=[incident.pk])
        self.assertContains(page, url)
        card = self.client.get(url)
        self.assertContains(card, on_server.number)
        self.assertContains(card, "SRV-PACS-01")
        bare = log(self.agent, title="显示器无信号")
        self.assertEqual(
            self.client.get(reverse("changes:incident_open_changes", args=[bare.pk])).content,
            b"",
        )
        self.login(self.nurse)
        self.assertEqual(self.client.get(url).status_code, 403)

    def test_the_card_costs_the_same_queries_however_many_changes(self) -> None:
        self.draft()
        self.login(self.engineer)
        self.card(self.pacs_app)
        with self.assertNumQueries(self._card_queries()):
            self.card(self.pacs_app)
        for _n in range(3):
            rfc(self.engineer, configuration_items=[self.pacs_app, self.pacs_server])
        with self.assertNumQueries(self._card_queries()):
            self.card(self.pacs_app)

    def _card_queries(self) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            self.card(self.pacs_app)
        return len(captured)

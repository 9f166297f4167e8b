"""Agreements over the API: IT staff read them with their targets and rules; IT managers
and administrators create and edit them in one request, with a version that refuses stale
edits."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.api.tests.support import ApiTestCase, page
from itsm.core.choices import TicketPendingReason
from itsm.core.models import AuditEntry
from itsm.sla.choices import AgreementKind, ClockMetric
from itsm.sla.models import Agreement, BusinessCalendar, EscalationRule
from itsm.sla.tests.factories import HOUR, MINUTE, WARN_AND_BREACH, agreement, office_hours

READS = {
    "nurse": 403,
    "doctor": 403,
    "agent": 200,
    "engineer": 200,
    "vendor": 403,
    "other_vendor": 403,
    "manager": 200,
    "admin": 200,
    "outsider": 403,
    "anonymous": 401,
}
WRITES = {**READS, "agent": 403, "engineer": 403, "vendor": 403, "other_vendor": 403}


def audits(obj: Any) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        ).order_by("pk")
    )


class AgreementApiTests(ApiTestCase):
    office: BusinessCalendar
    sla: Agreement

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.office = office_hours()
        cls.sla = agreement(cls.office, services=[cls.his], rules=WARN_AND_BREACH)

    def new_agreement(self, **overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": AgreementKind.UC,
            "name": "卫宁HIS维保合同",
            "calendar": self.office.pk,
            "vendor": self.his_vendor.pk,
            "services": [self.his.pk],
            "pause_reasons": [TicketPendingReason.REQUESTER],
            "targets": [
                {"priority": 1, "response_seconds": HOUR, "resolution_seconds": 2 * 8 * HOUR},
                {"priority": 2, "response_seconds": 2 * HOUR, "resolution_seconds": 24 * HOUR},
            ],
            "escalation_rules": [
                {"metric": ClockMetric.RESOLUTION, "percent": 100, "notify_managers": True}
            ],
        }
        data.update(overrides)
        return data

    def test_who_may_read_agreements(self) -> None:
        self.assert_statuses(lambda client, role: client.get("/api/agreements/"), READS)
        self.assert_statuses(
            lambda client, role: client.get("/api/agreements/%d/" % self.sla.pk), READS
        )

    def test_an_agreement_reads_back_its_targets_rules_and_scope(self) -> None:
        data = self.api(self.engineer).get("/api/agreements/%d/" % self.sla.pk).data
        self.assertEqual(data["kind"], AgreementKind.SLA)
        self.assertEqual(data["services"], [self.his.pk])
        self.assertEqual(data["version"], 1)
        self.assertEqual(
            data["targets"][0],
            {"priority": 1, "response_seconds": 15 * MINUTE, "resolution_seconds": 4 * HOUR},
        )
        self.assertEqual(
            [(r["metric"], r["percent"]) for r in data["escalation_rules"]],
            [(ClockMetric.RESOLUTION, 75), (ClockMetric.RESOLUTION, 100)],
        )

    def test_the_list_filters_by_kind_and_service(self) -> None:
        agreement(
            self.office, kind=AgreementKind.OLA, name="桌面OLA", support_group=self.front_group
        )
        client = self.api(self.agent)
        rows = page(client.get("/api/agreements/", {"kind": AgreementKind.OLA}))
        self.assertEqual([r["name"] for r in rows], ["桌面OLA"])
        rows = page(client.get("/api/agreements/", {"service": self.his.pk}))
        self.assertEqual([r["name"] for r in rows], [self.sla.name])
        self.assert_error_fields(client.get("/api/agreements/", {"kind": "xla"}), "kind")

    def test_the_list_costs_the_same_queries_for_one_or_many_agreements(self) -> None:
        client = self.api(self.agent)
        client.get("/api/agreements/")
        with CaptureQueriesContext(connection) as one:
            client.get("/api/agreements/")
        self.assertLessEqual(len(one.captured_queries), 9)
        for n in range(5):
            agreement(self.office, name="SLA %d" % n, rules=WARN_AND_BREACH, services=[self.pacs])
        with self.assertNumQueries(len(one.captured_queries)):
            self.assertEqual(len(page(client.get("/api/agreements/"))), 6)

    def test_who_may_create_an_agreement(self) -> None:
        names = iter(range(100))

        def create(client: Any, role: str) -> Any:
            return client.post(
                "/api/agreements/", self.new_agreement(name="UC %d" % next(names)), format="json"
            )

        self.assert_statuses(create, {**WRITES, "manager": 201, "admin": 201})

    def test_a_manager_creates_a_contract_with_targets_and_rules_in_one_request(self) -> None:
        response = self.api(self.manager).post(
            "/api/agreements/", self.new_agreement(), format="json"
        )
        self.assertEqual(response.status_code, 201, response.data)
        created = Agreement.objects.get(pk=response.data["id"])
        self.assertEqual(created.vendor, self.his_vendor)
        self.assertEqual(
            list(created.targets.values_list("priority", "response_seconds")),
            [(1, HOUR), (2, 2 * HOUR)],
        )
        self.assertEqual(created.escalation_rules.get().notify_managers, True)
        self.assertEqual(response.data["targets"][1]["resolution_seconds"], 24 * HOUR)
        [entry] = audits(created)
        self.assertEqual(entry.action, "create")
        self.assertEqual(entry.actor, self.manager)
        self.assertIn("targets", entry.changes)

    def test_the_model_rules_answer_400_per_field_in_chinese(self) -> None:
        response = self.api(self.manager).post(
            "/api/agreements/",
            self.new_agreement(vendor=None, support_group=self.front_group.pk),
            format="json",
        )
        self.assert_error_fields(response, "vendor", "support_group")
        self.assertIn("厂商", response.data["vendor"][0])
        self.assertFalse(Agreement.objects.filter(name="卫宁HIS维保合同").exists())

    def test_bad_targets_and_rules_answer_400_naming_them(self) -> None:
        response = self.api(self.manager).post(
            "/api/agreements/",
            self.new_agreement(
                targets=[{"priority": 1, "response_seconds": 5 * HOUR, "resolution_seconds": HOUR}],
                escalation_rules=[
                    {"metric": ClockMetric.RESOLUTION, "percent": 75},
                    {"metric": ClockMetric.RESOLUTION, "percent": 75},
                ],
            ),
            format="json",
        )
        self.assert_error_fields(response, "targets", "escalation_rules")

    def test_unknown_fields_priorities_and_reasons_answer_400(self) -> None:
        response = self.api(self.manager).post(
            "/api/agreements/",
            self.new_agreement(
                pause_reasons=["coffee"],
                targets=[{"priority": 9, "response_seconds": 1, "resolution_seconds": 2}],
                colour="red",
            ),
            format="json",
        )
        self.assert_error_fields(response, "pause_reasons", "targets", "colour")

    def test_an_edit_replaces_targets_and_keeps_unchanged_rules(self) -> None:
        kept = self.sla.escalation_rules.get(percent=75)
        response = self.api(self.admin).patch(
            "/api/agreements/%d/" % self.sla.pk,
            {
                "version": 1,
                "targets": [{"priority": 1, "response_seconds": 600, "resolution_seconds": 7200}],
                "escalation_rules": [
                    {"metric": ClockMetric.RESOLUTION, "percent": 75},
                    {"metric": ClockMetric.RESPONSE, "percent": 100, "notify_managers": True},
                ],
            },
            format="json",
        )
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.data["version"], 2)
        self.assertEqual(list(self.sla.targets.values_list("priority", flat=True)), [1])
        self.assertTrue(EscalationRule.objects.filter(pk=kept.pk).exists())
        self.assertEqual(self.sla.escalation_rules.count(), 2)
        entry = audits(self.sla)[-1]
        self.assertEqual(entry.action, "update")
        self.assertEqual(set(entry.changes), {"targets", "escalation_rules"})

    def test_a_stale_version_answers_409_and_writes_nothing(self) -> None:
        client = self.api(self.manager)
        url = "/api/agreements/%d/" % self.sla.pk
        self.assertEqual(client.patch(url, {"version": 1, "name": "新名"}).status_code, 200)
        response = client.patch(url, {"version": 1, "name": "旧页面"}, format="json")
        self.assertEqual(response.status_code, 409, response.data)
        self.sla.refresh_from_db()
        self.assertEqual((self.sla.name, self.sla.version), ("新名", 2))

    def test_an_edit_without_version_answers_400(self) -> None:
        response = self.api(self.manager).patch(
            "/api/agreements/%d/" % self.sla.pk, {"name": "x"}, format="json"
        )
        self.assert_error_fields(response, "version")

    def test_an_edit_that_changes_nothing_keeps_the_version(self) -> None:
        response = self.api(self.manager).patch(
            "/api/agreements/%d/" % self.sla.pk,
            {"version": 1, "name": self.sla.name},
            format="json",
        )
        self.assertEqual(response.data["version"], 1)
        self.assertEqual(audits(self.sla), [])

    def test_who_may_edit_and_what_does_not_exist(self) -> None:
        def edit(client: Any, role: str) -> Any:
            current = Agreement.objects.get(pk=self.sla.pk).version
            return client.patch(
                "/api/agreements/%d/" % self.sla.pk,
                {"version": current, "description": role},
                format="json",
            )

        self.assert_statuses(edit, {**WRITES, "manager": 200, "admin": 200})
        response = self.api(self.manager).patch(
            "/api/agreements/98765/", {"version": 1}, format="json"
        )
        self.assertEqual(response.status_code, 404)

    def test_there_is_no_delete(self) -> None:
        response = self.api(self.admin).delete("/api/agreements/%d/" % self.sla.pk)
        self.assertEqual(response.status_code, 405)

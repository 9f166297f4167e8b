"""The auditors' audit-log page: only auditors open it; filters by actor, action, record
type, record, dates, source address and request; newest first by keyset pages; old → new;
the chain's state; a CSV export that is itself audited. And every export in the product
leaves an "export" entry."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from itsm.accounts.models import Department, User
from itsm.core.audit_chain import seal_audit
from itsm.core.context import RequestContext, current_request
from itsm.core.models import AuditEntry
from itsm.core.services import write_audit
from itsm.core.testing import BaseTestCase
from itsm.core.views.audit_log import action_label
from itsm.incidents.models import Incident

URL = reverse("audit_log")


def shown_ids(response: Any) -> list[int]:
    return [row["entry"].pk for row in response.context["rows"]]


def csv_rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


class AuditLogPageTests(BaseTestCase):
    def setUp(self) -> None:
        # Signing in is audited too: sign in first, then start from an empty log.
        self.login(self.auditor)
        AuditEntry.objects.all().delete()
        token = current_request.set(RequestContext(request_id="req-aaa", ip_address="10.0.0.7"))
        try:
            self.edit = write_audit(
                self.emergency,
                actor=self.agent,
                action="update",
                changes={"phone": ["8001", "8002"]},
            )
        finally:
            current_request.reset(token)
        self.login_entry = write_audit(self.nurse, actor=self.nurse, action="login")
        self.failed = write_audit(User, actor=None, action="login_failed", note="username: x")

    def open(self, **params: Any) -> Any:
        return self.client.get(URL, params)

    def test_the_auditor_reads_the_log_newest_first(self) -> None:
        response = self.open()
        self.assertEqual(response.status_code, 200)
        self.assertEqual(shown_ids(response), [self.failed.pk, self.login_entry.pk, self.edit.pk])
        self.assertContains(response, "8001")
        self.assertContains(response, "8002")
        self.assertContains(response, "急诊科")

    def test_nobody_else_opens_it(self) -> None:
        for persona in (
            self.nurse,
            self.agent,
            self.engineer,
            self.vendor,
            self.manager,
            self.admin,
            self.security_admin,
            self.outsider,
        ):
            with self.subTest(persona=persona.username):
                self.login(persona)
                self.assertEqual(self.client.get(URL).status_code, 403)
                self.assertEqual(self.client.get(URL, {"export": "csv"}).status_code, 403)

    def test_signed_out_visitors_are_sent_to_sign_in(self) -> None:
        self.client.logout()
        response = self.client.get(URL)
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("login"), response["Location"])

    def test_only_the_auditor_sees_the_menu_entry(self) -> None:
        page = reverse("notification_list")
        self.assertContains(self.client.get(page), 'href="%s"' % URL)
        self.login(self.admin)
        self.assertNotContains(self.client.get(page), 'href="%s"' % URL)

    def test_filters(self) -> None:
        department_type = ContentType.objects.get_for_model(Department)
        today = timezone.localdate()
        cases: dict[str, tuple[dict[str, Any], list[AuditEntry]]] = {
            "actor": ({"actor": "agent"}, [self.edit]),
            "action": ({"action": "login"}, [self.login_entry]),
            "record type": ({"record_type": department_type.pk}, [self.edit]),
            "record": (
                {"record_type": department_type.pk, "record_id": self.emergency.pk},
                [self.edit],
            ),
            "ip": ({"ip_address": "10.0.0.7"}, [self.edit]),
            "request": ({"request_id": "req-aaa"}, [self.edit]),
            "today": (
                {"date_from": today, "date_to": today},
                [self.failed, self.login_entry, self.edit],
            ),
            "yesterday": ({"date_to": today - datetime.timedelta(days=1)}, []),
            "unknown actor": ({"actor": "nobody"}, []),
        }
        for name, (params, expected) in cases.items():
            with self.subTest(name):
                response = self.open(**params)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(shown_ids(response), [e.pk for e in expected])

    def test_bad_filters_are_refused_with_a_message(self) -> None:
        for params in (
            {"ip_address": "not-an-ip"},
            {"date_from": "2026-05-02", "date_to": "2026-05-01"},
            {"record_id": "-3"},
        ):
            with self.subTest(params):
                response = self.open(**params)
                self.assertEqual(response.status_code, 400)
                self.assertEqual(shown_ids(response), [])
                self.assertEqual(self.client.get(URL, {**params, "export": "csv"}).status_code, 400)

    def test_pages_run_by_keyset_both_ways(self) -> None:
        for i in range(120):
            write_audit(self.emergency, actor=self.agent, action="update", note=str(i))
        everything = list(
            AuditEntry.objects.order_by("-created_at", "-id").values_list("pk", flat=True)
        )
        first = self.open()
        self.assertEqual(shown_ids(first), everything[:50])
        self.assertEqual(first.context["newer_url"], "")
        second = self.client.get(URL + first.context["older_url"])
        self.assertEqual(shown_ids(second), everything[50:100])
        third = self.client.get(URL + second.context["older_url"])
        self.assertEqual(shown_ids(third), everything[100:])
        self.assertEqual(third.context["older_url"], "")
        back = self.client.get(URL + third.context["newer_url"])
        self.assertEqual(shown_ids(back), everything[50:100])

    def test_keyset_pages_keep_the_filters(self) -> None:
        for _ in range(60):
            write_audit(self.emergency, actor=self.agent, action="update")
        first = self.open(actor="agent")
        self.assertIn("actor=agent", first.context["older_url"])
        second = self.client.get(URL + first.context["older_url"])
        self.assertTrue(
            all(row["entry"].actor_id == self.agent.pk for row in second.context["rows"])
        )
        self.assertEqual(len(shown_ids(first)) + len(shown_ids(second)), 61)

    def test_a_page_costs_the_same_queries_for_few_or_many_entries(self) -> None:
        self.client.get(URL)
        with CaptureQueriesContext(connection) as few:
            self.client.get(URL)
        for i in range(60):
            target = self.emergency if i % 2 else self.radiology
            write_audit(
                target,
                actor=self.agent if i % 3 else self.engineer,
                action="update",
                changes={"parent": [None, self.it_department.pk]},
            )
        with CaptureQueriesContext(connection) as many:
            self.client.get(URL)
        self.assertLessEqual(len(many), len(few) + 2)

    def test_it_shows_the_chain_state_and_archives(self) -> None:
        seal_audit()
        write_audit(self.emergency, actor=self.agent, action="update")
        response = self.open()
        chain = response.context["chain"]
        self.assertEqual(chain["last_seq"], 3)
        self.assertEqual(chain["unsealed"], 1)
        self.assertContains(response, 'data-unsealed="1"')

    def test_the_csv_export_is_filtered_and_audited(self) -> None:
        response = self.client.get(
            URL, {"action": "login", "export": "csv"}, REMOTE_ADDR="10.9.9.9"
        )
        self.assertEqual(response.status_code, 200)
        rows = csv_rows(response)
        self.assertEqual(len(rows), 2)
        self.assertEqual(rows[1][1], "nurse")
        self.assertEqual(rows[1][3], "login")
        export = AuditEntry.objects.get(action="export")
        self.assertEqual(export.actor, self.auditor)
        self.assertEqual(export.content_type, ContentType.objects.get_for_model(AuditEntry))
        self.assertEqual(export.object_id, 0)
        self.assertEqual(export.ip_address, "10.9.9.9")
        self.assertIn("1 rows", export.note)
        self.assertIn("action=login", export.note)

    def test_nothing_on_the_page_edits_or_deletes(self) -> None:
        self.assertEqual(self.client.post(URL, {"action": "x"}).status_code, 405)
        self.assertEqual(AuditEntry.objects.count(), 3)


class ExportAuditTests(BaseTestCase):
    def test_a_list_export_is_audited_with_its_filters_and_count(self) -> None:
        from itsm.incidents.services import log_incident

        for title in ("HIS登录失败", "打印机卡纸"):
            log_incident({"title": title}, actor=self.agent)
        self.login(self.agent)
        url = reverse("incidents:incident_list")
        for export_format in ("csv", "xlsx"):
            response = self.client.get(
                url, {"export": export_format, "queue": "all", "open": "unknown"}
            )
            self.assertEqual(response.status_code, 200)
            entry = AuditEntry.objects.filter(action="export").latest("id")
            self.assertEqual(entry.actor, self.agent)
            self.assertEqual(entry.content_type, ContentType.objects.get_for_model(Incident))
            self.assertEqual(entry.object_id, 0)
            self.assertIn("2 rows", entry.note)
            self.assertIn("queue=all", entry.note)
            self.assertIn(".%s" % export_format, entry.note)

    def test_a_refused_export_is_not_recorded(self) -> None:
        self.login(self.agent)
        url = reverse("incidents:incident_list")
        response = self.client.get(url, {"export": "pdf"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(AuditEntry.objects.filter(action="export").exists())

    def test_report_exports_are_audited(self) -> None:
        self.login(self.manager)
        sla: dict[str, Any] = {
            "year": 2026,
            "dimension": "service",
            "metric": "both",
            "kind": "sla",
        }
        exports: list[tuple[str, dict[str, Any]]] = [
            (reverse("reports:sla_export", args=["csv"]), sla),
            (reverse("reports:sla_export", args=["xlsx"]), sla),
            (reverse("reports:first_contact_export", args=["csv"]), {"year": 2026, "month": 4}),
        ]
        for url, params in exports:
            with self.subTest(url):
                before = AuditEntry.objects.filter(action="export").count()
                response = self.client.get(url, params)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(AuditEntry.objects.filter(action="export").count(), before + 1)
                entry = AuditEntry.objects.filter(action="export").latest("id")
                self.assertEqual(entry.actor, self.manager)


class ActionLabelTests(BaseTestCase):
    def test_every_action_the_security_features_write_reads_in_words(self) -> None:
        with translation.override("en"):
            self.assertEqual(action_label("login_locked"), "Account locked")
            self.assertEqual(action_label("restore_test"), "Restore tested")
            self.assertEqual(action_label("transition:resolve"), "Status changed")
            self.assertEqual(action_label("approval:approve"), "Approval decision")
            self.assertEqual(action_label("something_new"), "")
        with translation.override("zh-hans"):
            self.assertEqual(action_label("transition:resolve"), "状态变更")

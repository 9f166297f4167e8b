"""The incident page's and the API's reads with clocks present (performance round 5): the
clocks with the configuration's token in one query, the timeline's comments and audit
entries in one query, the API's links and clocks without a query or a serializer per row,
and all of it showing the same as before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from itsm.core.models import AuditEntry, Comment
from itsm.incidents.api import ClockSerializer
from itsm.incidents.models import Incident
from itsm.incidents.services import comment_on_incident, incident_timeline
from itsm.incidents.tests.factories import log
from itsm.incidents.tests.test_sla_views import API, SlaViewCase
from itsm.sla.models import Agreement, Generation
from itsm.sla.services import sla_states


def touching(captured: CaptureQueriesContext, table: str) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if '"%s"' % table in q["sql"]]


class ReadCase(SlaViewCase):
    # Set by SlaViewCase.setUpTestData.
    fresh: Incident
    late: Incident
    always: Agreement


class IncidentPageClockReadTests(ReadCase):
    def page(self, incident: Any) -> tuple[str, CaptureQueriesContext]:
        self.login(self.agent)
        self.client.get(incident.get_absolute_url())  # the configuration read once
        with CaptureQueriesContext(connection) as captured:
            response = self.client.get(incident.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        return response.content.decode(), captured

    def test_the_clocks_come_with_the_configuration_token_in_one_query(self) -> None:
        page, captured = self.page(self.fresh)

        clock_queries = touching(captured, "sla_clock")
        self.assertEqual(len(clock_queries), 1, clock_queries)
        self.assertEqual(touching(captured, "sla_generation"), clock_queries)
        self.assertIn("7×24 SLA", page)

    def test_an_ola_clock_names_its_group_without_a_query_of_its_own(self) -> None:
        page, captured = self.page(self.fresh)

        self.assertIn("桌面运维OLA", page)
        self.assertIn(str(self.front_group), page.split('id="sla"')[1].split("</section>")[0])
        lookups = touching(captured, "accounts_supportgroup")
        groups = [sql for sql in lookups if sql.startswith('SELECT "accounts_supportgroup"')]
        self.assertEqual(groups, [])

    def test_an_agreement_changed_by_another_process_shows_on_the_next_page(self) -> None:
        self.page(self.fresh)
        # Another process: the row changed and the token moved, no signal in this one.
        Agreement.objects.filter(pk=self.always.pk).update(name="7×24 SLA（新）")
        Generation.objects.filter(pk=1).update(value=12345)

        page, _ = self.page(self.fresh)

        self.assertIn("7×24 SLA（新）", page)

    def test_a_flushed_token_makes_a_new_one_and_the_page_still_shows_the_clocks(self) -> None:
        self.page(self.fresh)
        Generation.objects.all().delete()

        page, _ = self.page(self.fresh)

        self.assertIn("7×24 SLA", page)
        self.assertTrue(Generation.objects.filter(pk=1).exists())


class TimelineOneQueryTests(ReadCase):
    def test_comments_and_audit_entries_are_read_in_one_query(self) -> None:
        comment_on_incident(self.fresh, actor=self.engineer, body="请重启打印机试试")
        comment_on_incident(self.fresh, actor=self.engineer, body="疑似打印头故障", internal=True)

        with CaptureQueriesContext(connection) as captured:
            entries = incident_timeline(self.fresh, viewer=self.engineer)

        both = touching(captured, "core_comment")
        self.assertEqual(len(both), 1)
        self.assertEqual(touching(captured, "core_auditentry"), both)
        bodies = [e.comment.body for e in entries if e.comment is not None]
        self.assertEqual(bodies, ["请重启打印机试试", "疑似打印头故障"])

    def test_at_the_same_time_comments_come_before_audit_entries_each_in_write_order(
        self,
    ) -> None:
        at = timezone.now().replace(microsecond=0) + timedelta(hours=1)
        first = comment_on_incident(self.fresh, actor=self.engineer, body="同一时刻一")
        second = comment_on_incident(self.fresh, actor=self.nurse, body="同一时刻二")
        Comment.objects.filter(pk__in=[first.pk, second.pk]).update(created_at=at)
        audits = AuditEntry.objects.filter(object_id=self.fresh.pk, action__in=["create"])
        audits.update(created_at=at)

        entries = incident_timeline(self.fresh, viewer=self.engineer)

        tail = [(e.kind, (e.comment or e.audit).pk) for e in entries if e.at == at]  # type: ignore[union-attr]
        self.assertEqual(
            tail,
            [("comment", first.pk), ("comment", second.pk)]
            + [("audit", pk) for pk in audits.order_by("id").values_list("pk", flat=True)],
        )

    def test_each_entry_names_its_author_and_the_system_is_no_one(self) -> None:
        comment_on_incident(self.fresh, actor=self.nurse, body="重启后仍不出纸")
        AuditEntry.objects.create(
            content_type_id=Comment.objects.get(body="重启后仍不出纸").content_type_id,
            object_id=self.fresh.pk,
            actor=None,
            action="escalate",
            changes={},
            note="7×24 SLA",
        )

        entries = incident_timeline(self.fresh, viewer=self.engineer)

        comment = next(e for e in entries if e.comment is not None)
        self.assertEqual(str(comment.actor), str(self.nurse))
        self.assertEqual(comment.comment.author.pk, self.nurse.pk)  # type: ignore[union-attr]
        system = next(e for e in entries if e.audit is not None and e.audit.action == "escalate")
        self.assertIsNone(system.actor)
        self.assertEqual(system.audit.note, "7×24 SLA")  # type: ignore[union-attr]
        self.assertEqual(system.audit.changes, {})  # type: ignore[union-attr]

    def test_requesters_read_no_work_notes_from_the_one_query(self) -> None:
        comment_on_incident(self.fresh, actor=self.engineer, body="内部备注", internal=True)
        comment_on_incident(self.fresh, actor=self.engineer, body="公开回复")

        entries = incident_timeline(self.fresh, viewer=self.nurse)

        bodies = [e.comment.body for e in entries if e.comment is not None]
        self.assertEqual(bodies, ["公开回复"])


class ApiListReadTests(ReadCase):
    def test_the_list_reads_its_clocks_with_the_token_in_one_query(self) -> None:
        client = self.api(self.agent)
        client.get(API)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(API)

        self.assertEqual(response.status_code, 200)
        clock_queries = touching(captured, "sla_clock")
        self.assertEqual(len(clock_queries), 1)
        self.assertEqual(touching(captured, "sla_generation"), clock_queries)

    def test_urls_links_and_clocks_read_as_drf_would_write_them(self) -> None:
        other = log(self.agent, requester=self.nurse, title="三号楼网络中断")
        from itsm.incidents.services import link_incidents

        link_incidents(self.fresh, other, actor=self.agent)

        rows = {row["id"]: row for row in self.api(self.agent).get(API).data["results"]}

        fresh = rows[self.fresh.pk]
        self.assertEqual(
            fresh["url"],
            "http://testserver" + reverse("api:incident-detail", args=[self.fresh.pk]),
        )
        self.assertEqual(fresh["related"], [other.pk])
        self.assertEqual(rows[other.pk]["related"], [self.fresh.pk])
        states = sla_states([self.fresh])[self.fresh.pk]
        expected = ClockSerializer(states["response"]).data
        for name in ("kind", "metric", "agreement", "priority", "target_seconds", "started_at"):
            self.assertEqual(fresh["sla"]["response"][name], expected[name])
        self.assertEqual(set(fresh["sla"]["response"]), set(expected))

    def test_one_incident_reads_the_same_as_its_row_in_the_list(self) -> None:
        client = self.api(self.agent)
        row = next(r for r in client.get(API).data["results"] if r["id"] == self.late.pk)

        single = client.get("%s%d/" % (API, self.late.pk)).data

        for name in ("url", "related", "configuration_items", "display"):
            self.assertEqual(single[name], row[name])
        self.assertEqual(single["sla"]["resolution"]["due_at"], row["sla"]["resolution"]["due_at"])

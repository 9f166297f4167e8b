"""What people see of the clocks: the API's clock fields and /clocks/, the queue's time
left, sort by due time and the SLA filter, the incident page's service-level card."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from itsm.incidents.choices import IncidentPendingReason
from itsm.incidents.services import transition_incident
from itsm.incidents.tests.factories import log
from itsm.incidents.tests.test_sla_clocks import ClockCase
from itsm.sla.choices import AgreementKind
from itsm.sla.tests.factories import HOUR, MINUTE, agreement, round_the_clock

API = "/api/incidents/"


class SlaViewCase(ClockCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.sla.active = False
        cls.sla.save()
        cls.always = agreement(
            round_the_clock(), name="7×24 SLA", targets={3: (30 * MINUTE, 4 * HOUR)}
        )
        agreement(
            cls.calendar,
            kind=AgreementKind.OLA,
            name="桌面运维OLA",
            support_group=cls.front_group,
            targets={3: (15 * MINUTE, 2 * HOUR)},
        )
        # Logged now: due in 30 minutes (response) and 4 hours (resolution).
        cls.fresh = log(cls.agent, requester=cls.nurse, assignment_group=cls.front_group)
        # Logged last week: long overdue.
        cls.late = cls.log_at(cls, "2026-11-17 09:00", title="上周的报修")  # type: ignore[arg-type]
        cls.waiting = log(cls.agent, requester=cls.doctor, assignment_group=cls.front_group)
        cls.waiting = transition_incident(cls.waiting, "accept", actor=cls.engineer)
        cls.waiting = transition_incident(
            cls.waiting,
            "pend",
            actor=cls.engineer,
            data={"pending_reason": IncidentPendingReason.REQUESTER},
        )

    def numbers(self, response: Any) -> list[str]:
        return [row["number"] for row in response.data["results"]]


class SlaApiTests(SlaViewCase):
    def test_an_incident_returns_its_due_times_and_working_time_left(self) -> None:
        data = self.api(self.agent).get("%s%d/" % (API, self.fresh.pk)).data

        self.assertIsNotNone(data["response_due_at"])
        self.assertIsNotNone(data["resolution_due_at"])
        self.assertFalse(data["sla_paused"])
        self.assertFalse(data["sla_breached"])
        response = data["sla"]["response"]
        self.assertEqual(response["agreement"], "7×24 SLA")
        self.assertLessEqual(response["remaining_seconds"], 30 * MINUTE)
        self.assertGreater(response["remaining_seconds"], 25 * MINUTE)
        self.assertFalse(response["breached"])

    def test_an_overdue_incident_has_negative_time_left_and_reads_as_breached(self) -> None:
        data = self.api(self.agent).get("%s%d/" % (API, self.late.pk)).data

        self.assertLess(data["sla"]["resolution"]["remaining_seconds"], 0)
        self.assertTrue(data["sla"]["resolution"]["breached"])

    def test_a_paused_incident_has_no_due_time_but_its_time_left(self) -> None:
        data = self.api(self.agent).get("%s%d/" % (API, self.waiting.pk)).data

        self.assertTrue(data["sla_paused"])
        self.assertIsNone(data["resolution_due_at"])
        self.assertTrue(data["sla"]["resolution"]["paused"])
        self.assertGreater(data["sla"]["resolution"]["remaining_seconds"], 3 * HOUR)

    def test_the_sla_filter_finds_overdue_due_soon_and_paused_incidents(self) -> None:
        client = self.api(self.agent)

        self.assertEqual(self.numbers(client.get(API, {"sla": "breached"})), [self.late.number])
        self.assertEqual(self.numbers(client.get(API, {"sla": "due_soon"})), [self.fresh.number])
        self.assertEqual(self.numbers(client.get(API, {"sla": "paused"})), [self.waiting.number])

    def test_an_unknown_sla_filter_is_a_400_naming_the_field(self) -> None:
        response = self.api(self.agent).get(API, {"sla": "soon"})

        self.assertEqual(response.status_code, 400)
        self.assertIn("sla", response.data)

    def test_the_list_reads_every_rows_clocks_in_a_constant_number_of_queries(self) -> None:
        client = self.api(self.agent)
        client.get(API)  # the configuration cache is read once per process
        before = self.list_queries(client)
        for _ in range(3):
            log(self.agent, requester=self.nurse, assignment_group=self.front_group)

        self.assertEqual(self.list_queries(client), before)

    def list_queries(self, client: Any) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(API)
        self.assertEqual(response.status_code, 200)
        return len(captured)

    def test_engineers_see_every_clock_and_requesters_the_slas_only(self) -> None:
        url = "%s%d/clocks/" % (API, self.fresh.pk)

        kinds = {c["kind"] for c in self.api(self.engineer).get(url).data}
        self.assertEqual(kinds, {AgreementKind.SLA, AgreementKind.OLA})
        kinds = {c["kind"] for c in self.api(self.nurse).get(url).data}
        self.assertEqual(kinds, {AgreementKind.SLA})

    def test_an_outsider_cannot_read_the_clocks(self) -> None:
        url = "%s%d/clocks/" % (API, self.fresh.pk)

        self.assertEqual(self.api(self.outsider).get(url).status_code, 403)
        self.assertEqual(self.api(None).get(url).status_code, 401)


class SlaPageTests(SlaViewCase):
    def test_the_queue_sorts_by_due_time_with_paused_incidents_last(self) -> None:
        self.client.force_login(self.agent)

        response = self.client.get(
            reverse("incidents:incident_list"), {"queue": "all", "sort": "due"}
        )

        numbers = [row.incident.number for row in response.context["rows"]]
        self.assertEqual(numbers, [self.late.number, self.fresh.number, self.waiting.number])

    def test_the_queue_shows_working_time_left(self) -> None:
        self.client.force_login(self.agent)

        response = self.client.get(reverse("incidents:incident_list"), {"queue": "all"})

        cells = {row.incident.number: str(row.time_left) for row in response.context["rows"]}
        self.assertIn("剩余", cells[self.fresh.number])
        self.assertIn("超时", cells[self.late.number])
        self.assertIn("暂停", cells[self.waiting.number])

    def test_the_incident_page_shows_the_service_level_card(self) -> None:
        self.client.force_login(self.engineer)

        response = self.client.get(reverse("incidents:incident_detail", args=[self.fresh.pk]))

        self.assertContains(response, 'id="sla"')
        self.assertContains(response, "7×24 SLA")
        self.assertContains(response, "桌面运维OLA")

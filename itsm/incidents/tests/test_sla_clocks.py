"""The clock rules of issue 3 on real incidents: every due time below was worked out by
hand on the hospital's office hours (Mon–Fri 08:00–12:00, 13:30–17:30, Beijing time) and
China's 2026 holiday schedule."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from unittest import mock

from itsm.accounts.models import User
from itsm.core.choices import TicketImpact, TicketUrgency
from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentPendingReason
from itsm.incidents.models import Incident
from itsm.incidents.services import comment_on_incident, transition_incident, update_incident
from itsm.incidents.tests.factories import RESOLUTION, log
from itsm.sla.choices import AgreementKind, ClockMetric, ClockStopReason
from itsm.sla.models import Clock
from itsm.sla.services import ticket_clocks
from itsm.sla.tests.factories import HOUR, MINUTE, agreement, local, office_hours, round_the_clock


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def clock(incident: Incident, kind: str, metric: str, group: Any = None) -> Clock:
    matching = [
        c
        for c in ticket_clocks(incident)
        if c.kind == kind and c.metric == metric and (group is None or c.support_group == group)
    ]
    assert len(matching) == 1, matching
    return matching[0]


class ClockCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.calendar = office_hours()
        cls.sla = agreement(cls.calendar)

    def log_at(self, when: str, **fields: Any) -> Incident:
        with frozen(local(when)):
            return log(self.agent, requester=self.nurse, reported_at=local(when), **fields)

    def act(self, incident: Incident, when: str, name: str, actor: User, **data: Any) -> Incident:
        with frozen(local(when)):
            return transition_incident(incident, name, actor=actor, data=data)

    def work(self, when: str, **fields: Any) -> Incident:
        """Logged at `when`, assigned to the front line and accepted by its engineer at once."""
        incident = self.log_at(when, assignment_group=self.front_group, **fields)
        return self.act(incident, when, "accept", self.engineer)


class DueTimeTests(ClockCase):
    def test_a_logged_incident_is_due_on_its_calendars_working_time(self) -> None:
        incident = self.log_at("2026-11-17 11:30")  # P3: respond in 1 h, resolve in 16 h

        self.assertEqual(incident.priority, 3)
        self.assertEqual(incident.response_due_at, local("2026-11-17 14:00"))
        self.assertEqual(incident.resolution_due_at, local("2026-11-19 11:30"))
        stored = Incident.objects.get(pk=incident.pk)
        self.assertEqual(stored.resolution_due_at, local("2026-11-19 11:30"))

    def test_the_lunch_break_does_not_count(self) -> None:
        incident = self.log_at("2026-11-17 11:50", impact=TicketImpact.HIGH)  # P2: 30 min

        self.assertEqual(incident.priority, 2)
        self.assertEqual(incident.response_due_at, local("2026-11-17 13:50"))

    def test_the_national_day_holidays_do_not_count(self) -> None:
        incident = self.log_at("2026-09-30 17:00")

        self.assertEqual(incident.response_due_at, local("2026-10-08 08:30"))

    def test_an_adjusted_working_saturday_counts(self) -> None:
        incident = self.log_at("2026-10-09 17:00")  # Saturday 10 October is worked (调休)

        self.assertEqual(incident.response_due_at, local("2026-10-10 08:30"))

    def test_a_back_dated_report_is_measured_from_when_it_was_reported(self) -> None:
        with frozen(local("2026-11-17 15:00")):
            incident = log(self.agent, requester=self.nurse, reported_at=local("2026-11-17 09:00"))

        self.assertEqual(incident.response_due_at, local("2026-11-17 10:00"))

    def test_the_most_specific_sla_applies(self) -> None:
        his_sla = agreement(
            round_the_clock(),
            name="HIS 7×24",
            services=[self.his],
            targets={3: (10 * MINUTE, 2 * HOUR)},
        )

        incident = self.log_at("2026-11-21 10:00", service=self.his)  # a Saturday

        self.assertEqual(
            clock(incident, AgreementKind.SLA, ClockMetric.RESPONSE).agreement, his_sla
        )
        self.assertEqual(incident.response_due_at, local("2026-11-21 10:10"))
        other = self.log_at("2026-11-21 10:00", service=self.pacs)
        self.assertEqual(other.response_due_at, local("2026-11-23 09:00"))

    def test_without_a_matching_agreement_there_is_no_clock(self) -> None:
        self.sla.active = False
        self.sla.save()

        incident = self.log_at("2026-11-17 09:00")

        self.assertEqual(ticket_clocks(incident), [])
        self.assertIsNone(incident.resolution_due_at)


class ResponseTests(ClockCase):
    def test_acceptance_by_the_engineer_stops_the_response_clock(self) -> None:
        incident = self.log_at("2026-11-17 09:00", assignment_group=self.front_group)
        incident = self.act(incident, "2026-11-17 09:20", "accept", self.engineer)

        response = clock(incident, AgreementKind.SLA, ClockMetric.RESPONSE)
        self.assertEqual(response.stopped_at, local("2026-11-17 09:20"))
        self.assertEqual(response.stop_reason, ClockStopReason.RESPONDED)
        self.assertIsNone(response.breached_at)
        self.assertEqual(incident.responded_at, local("2026-11-17 09:20"))
        self.assertEqual(Incident.objects.get(pk=incident.pk).responded_at, incident.responded_at)

    def test_a_late_response_is_a_breach(self) -> None:
        incident = self.log_at("2026-11-17 09:00", assignment_group=self.front_group)
        incident = self.act(incident, "2026-11-17 10:30", "accept", self.engineer)

        response = clock(incident, AgreementKind.SLA, ClockMetric.RESPONSE)
        self.assertEqual(response.breached_at, local("2026-11-17 10:00"))
        self.assertTrue(Incident.objects.get(pk=incident.pk).sla_breached)

    def test_a_public_reply_by_the_engineer_is_the_first_response(self) -> None:
        incident = self.log_at("2026-11-17 09:00", assignment_group=self.front_group)
        with frozen(local("2026-11-17 09:30")):
            comment_on_incident(incident, actor=self.nurse, body="还是打不出来")
        self.assertIsNone(clock(incident, AgreementKind.SLA, ClockMetric.RESPONSE).stopped_at)

        with frozen(local("2026-11-17 09:40")):
            comment_on_incident(incident, actor=self.engineer, body="马上到")

        response = clock(incident, AgreementKind.SLA, ClockMetric.RESPONSE)
        self.assertEqual(response.stopped_at, local("2026-11-17 09:40"))

    def test_an_internal_work_note_is_not_a_response(self) -> None:
        incident = self.log_at("2026-11-17 09:00", assignment_group=self.front_group)
        with frozen(local("2026-11-17 09:40")):
            comment_on_incident(incident, actor=self.engineer, body="先查日志", internal=True)

        self.assertIsNone(clock(incident, AgreementKind.SLA, ClockMetric.RESPONSE).stopped_at)


class PauseTests(ClockCase):
    def test_waiting_for_the_requester_pauses_across_a_holiday(self) -> None:
        incident = self.work("2026-09-30 09:00")
        incident = self.act(
            incident,
            "2026-09-30 10:00",
            "pend",
            self.engineer,
            pending_reason=IncidentPendingReason.REQUESTER,
        )
        self.assertTrue(incident.sla_paused)
        self.assertIsNone(incident.resolution_due_at)

        incident = self.act(incident, "2026-10-08 09:00", "resume", self.engineer)

        # 1 h used before the pause; 15 h left from Thursday 8 October 09:00.
        self.assertFalse(incident.sla_paused)
        self.assertEqual(incident.resolution_due_at, local("2026-10-09 17:30"))
        resolution = clock(incident, AgreementKind.SLA, ClockMetric.RESOLUTION)
        self.assertEqual(resolution.paused_seconds, 7 * HOUR)

    def test_a_pause_over_a_lunch_break_and_an_adjusted_saturday(self) -> None:
        incident = self.work("2026-10-09 11:00")  # Friday before the 调休 Saturday
        incident = self.act(
            incident,
            "2026-10-09 11:30",
            "pend",
            self.engineer,
            pending_reason=IncidentPendingReason.VENDOR,
        )
        incident = self.act(incident, "2026-10-10 09:00", "resume", self.engineer)

        # Paused: Fri 11:30–12:00, 13:30–17:30 and Sat 08:00–09:00 = 5.5 working hours.
        resolution = clock(incident, AgreementKind.SLA, ClockMetric.RESOLUTION)
        self.assertEqual(resolution.paused_seconds, 5 * HOUR + 30 * MINUTE)
        # 0.5 h used; 15.5 h left from Saturday 09:00: Sat 7 h, Mon 12 Oct 8 h, Tue 0.5 h.
        self.assertEqual(incident.resolution_due_at, local("2026-10-13 08:30"))

    def test_waiting_for_parts_does_not_pause_unless_the_agreement_says_so(self) -> None:
        incident = self.work("2026-11-17 09:00")
        due = incident.resolution_due_at

        incident = self.act(
            incident,
            "2026-11-17 10:00",
            "pend",
            self.engineer,
            pending_reason=IncidentPendingReason.PARTS,
        )

        self.assertFalse(incident.sla_paused)
        self.assertEqual(incident.resolution_due_at, due)

    def test_an_agreement_can_pause_for_parts(self) -> None:
        self.sla.pause_reasons = [IncidentPendingReason.PARTS]
        self.sla.save()
        incident = self.work("2026-11-17 09:00")

        incident = self.act(
            incident,
            "2026-11-17 10:00",
            "pend",
            self.engineer,
            pending_reason=IncidentPendingReason.PARTS,
        )

        self.assertTrue(incident.sla_paused)

    def test_escalating_a_pending_incident_resumes_its_clock(self) -> None:
        incident = self.work("2026-11-17 09:00")
        incident = self.act(
            incident,
            "2026-11-17 10:00",
            "pend",
            self.engineer,
            pending_reason=IncidentPendingReason.REQUESTER,
        )

        incident = self.act(
            incident,
            "2026-11-17 11:00",
            "escalate",
            self.engineer,
            assignment_group=self.vendor_group.pk,
            reason="需厂商处理",
        )

        self.assertFalse(incident.sla_paused)
        resolution = clock(incident, AgreementKind.SLA, ClockMetric.RESOLUTION)
        self.assertEqual(resolution.paused_seconds, 1 * HOUR)


class ReopenAndPriorityTests(ClockCase):
    def test_reopen_resumes_the_resolution_clock_without_the_time_it_lay_resolved(self) -> None:
        incident = self.work("2026-11-17 09:00")
        incident = self.act(incident, "2026-11-17 10:00", "resolve", self.engineer, **RESOLUTION)
        resolution = clock(incident, AgreementKind.SLA, ClockMetric.RESOLUTION)
        self.assertEqual(resolution.stop_reason, ClockStopReason.RESOLVED)
        self.assertIsNone(resolution.breached_at)

        incident = self.act(incident, "2026-11-18 10:00", "reopen", self.nurse, reason="又坏了")

        # 1 h used; 15 h left from Wednesday 10:00.
        self.assertEqual(incident.resolution_due_at, local("2026-11-20 09:00"))
        resolution = clock(incident, AgreementKind.SLA, ClockMetric.RESOLUTION)
        self.assertIsNone(resolution.stopped_at)
        self.assertEqual(resolution.paused_seconds, 8 * HOUR)

    def test_a_priority_change_recomputes_from_the_report_time_and_keeps_the_pauses(
        self,
    ) -> None:
        incident = self.work("2026-11-17 09:00")
        incident = self.act(
            incident,
            "2026-11-17 10:00",
            "pend",
            self.engineer,
            pending_reason=IncidentPendingReason.REQUESTER,
        )
        incident = self.act(incident, "2026-11-17 11:00", "resume", self.engineer)

        with frozen(local("2026-11-17 11:30")):
            incident = update_incident(
                incident,
                {"impact": TicketImpact.HIGH, "urgency": TicketUrgency.MEDIUM},
                actor=self.agent,
                version=incident.version,
            )

        # P2: 8 h from Tuesday 09:00 plus the 1 h paused = 9 working hours.
        self.assertEqual(incident.priority, 2)
        self.assertEqual(incident.resolution_due_at, local("2026-11-18 10:00"))
        resolution = clock(incident, AgreementKind.SLA, ClockMetric.RESOLUTION)
        self.assertEqual((resolution.priority, resolution.paused_seconds), (2, HOUR))

    def test_a_higher_priority_can_make_an_incident_overdue_at_once(self) -> None:
        incident = self.work("2026-11-17 09:00")
        with frozen(local("2026-11-18 09:00")):  # 8 working hours later
            incident = update_incident(
                incident,
                {"impact": TicketImpact.HIGH, "urgency": TicketUrgency.HIGH},
                actor=self.agent,
                version=incident.version,
            )

        self.assertEqual(incident.priority, 1)
        self.assertEqual(incident.resolution_due_at, local("2026-11-17 14:30"))


class GroupClockCase(ClockCase):
    """With an OLA for the front line and the HIS vendor's underpinning contract."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.ola = agreement(
            cls.calendar,
            kind=AgreementKind.OLA,
            name="桌面运维OLA",
            support_group=cls.front_group,
            targets={3: (30 * MINUTE, 4 * HOUR)},
        )
        cls.uc = agreement(
            round_the_clock(),
            kind=AgreementKind.UC,
            name="卫宁维保合同",
            vendor=cls.his_vendor,
            targets={3: (1 * HOUR, 48 * HOUR)},
        )


class ReassignmentTests(GroupClockCase):
    def test_reassignment_keeps_the_sla_clock_and_starts_the_next_groups_clock(self) -> None:
        incident = self.work("2026-11-17 09:00")
        sla_due = incident.resolution_due_at
        ola_response = clock(incident, AgreementKind.OLA, ClockMetric.RESPONSE)
        self.assertEqual(ola_response.stopped_at, local("2026-11-17 09:00"))

        incident = self.act(
            incident,
            "2026-11-17 10:00",
            "escalate",
            self.engineer,
            assignment_group=self.vendor_group.pk,
            reason="HIS接口问题",
        )

        self.assertEqual(incident.resolution_due_at, sla_due)
        ola = clock(incident, AgreementKind.OLA, ClockMetric.RESOLUTION)
        self.assertEqual(ola.stop_reason, ClockStopReason.HANDED_OVER)
        self.assertEqual(ola.stopped_at, local("2026-11-17 10:00"))
        uc = clock(incident, AgreementKind.UC, ClockMetric.RESPONSE, self.vendor_group)
        self.assertEqual(uc.started_at, local("2026-11-17 10:00"))
        self.assertEqual(uc.due_at, local("2026-11-17 11:00"))

    def test_the_vendor_is_measured_against_its_contract(self) -> None:
        incident = self.work("2026-11-17 09:00")
        incident = self.act(
            incident,
            "2026-11-17 10:00",
            "escalate",
            self.engineer,
            assignment_group=self.vendor_group.pk,
            reason="HIS接口问题",
        )
        incident = self.act(incident, "2026-11-17 11:30", "accept", self.vendor)

        uc = clock(incident, AgreementKind.UC, ClockMetric.RESPONSE, self.vendor_group)
        self.assertEqual(uc.breached_at, local("2026-11-17 11:00"))
        sla = clock(incident, AgreementKind.SLA, ClockMetric.RESPONSE)
        self.assertEqual(sla.stopped_at, local("2026-11-17 09:00"))  # the desk's response
        self.assertIsNone(sla.breached_at)

    def test_a_group_that_gets_the_incident_back_starts_a_new_clock(self) -> None:
        incident = self.work("2026-11-17 09:00")
        incident = self.act(
            incident,
            "2026-11-17 10:00",
            "escalate",
            self.engineer,
            assignment_group=self.vendor_group.pk,
            reason="HIS接口问题",
        )
        incident = self.act(
            incident,
            "2026-11-17 11:00",
            "reassign",
            self.vendor,
            assignment_group=self.front_group.pk,
            reason="非HIS问题，退回",
        )

        olas = [
            c
            for c in ticket_clocks(incident)
            if c.kind == AgreementKind.OLA and c.metric == ClockMetric.RESOLUTION
        ]
        self.assertEqual(
            [c.started_at for c in olas], [local("2026-11-17 09:00"), local("2026-11-17 11:00")]
        )
        self.assertEqual(olas[1].stopped_at, None)

    def test_cancel_stops_every_clock(self) -> None:
        incident = self.work("2026-11-17 09:00")

        incident = self.act(incident, "2026-11-17 09:30", "cancel", self.agent, reason="重复报修")

        clocks = ticket_clocks(incident)
        self.assertTrue(clocks)
        self.assertTrue(all(c.stopped_at is not None for c in clocks))
        self.assertEqual(
            {c.stop_reason for c in clocks if c.metric == ClockMetric.RESOLUTION},
            {ClockStopReason.CANCELLED},
        )


class RebuildTests(GroupClockCase):
    def test_rebuilding_from_the_audit_trail_gives_the_clocks_lived_through(self) -> None:
        from django.core.management import call_command

        incident = self.work("2026-11-17 09:00")
        incident = self.act(
            incident,
            "2026-11-17 10:00",
            "pend",
            self.engineer,
            pending_reason=IncidentPendingReason.REQUESTER,
        )
        incident = self.act(incident, "2026-11-18 09:00", "resume", self.engineer)
        incident = self.act(
            incident,
            "2026-11-18 10:00",
            "escalate",
            self.engineer,
            assignment_group=self.vendor_group.pk,
            reason="HIS接口问题",
        )
        incident = self.act(incident, "2026-11-18 10:20", "accept", self.vendor)
        incident = self.act(incident, "2026-11-18 15:00", "resolve", self.vendor, **RESOLUTION)
        incident = self.act(incident, "2026-11-19 09:00", "reopen", self.nurse, reason="又坏了")

        def shape(clocks: list[Clock]) -> list[tuple[Any, ...]]:
            return [
                (
                    c.kind,
                    c.metric,
                    c.support_group_id,
                    c.started_at,
                    c.due_at,
                    c.paused_seconds,
                    c.stopped_at,
                    c.stop_reason,
                    c.breached_at,
                )
                for c in clocks
            ]

        lived = shape(ticket_clocks(incident))
        row = Incident.objects.values_list("resolution_due_at", "responded_at").get(pk=incident.pk)

        call_command("rebuild_clocks", incident.number, stdout=io.StringIO())

        self.assertEqual(shape(ticket_clocks(incident)), lived)
        self.assertEqual(
            Incident.objects.values_list("resolution_due_at", "responded_at").get(pk=incident.pk),
            row,
        )


class AuditedClockTests(GroupClockCase):
    """What the clocks write on the incident (due times, first response, breach) is in its
    audit trail, as every write is: folding the entries gives the row's SLA fields."""

    def assert_audited(self, incident: Incident) -> None:
        from django.contrib.contenttypes.models import ContentType

        from itsm.core.models import AuditEntry
        from itsm.core.services import diff
        from itsm.sla.services import MIRRORED

        entries = AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk
        ).order_by("pk")
        folded: dict[str, Any] = {}
        for changes in entries.values_list("changes", flat=True):
            folded.update({k: new for k, (_old, new) in changes.items() if k in MIRRORED})
        stored = Incident.objects.get(pk=incident.pk)
        expected = diff({}, {name: getattr(stored, name) for name in MIRRORED})

        def instant(value: Any) -> Any:  # an audited moment, whatever its offset
            return datetime.fromisoformat(value) if isinstance(value, str) else value

        self.assertEqual(
            {k: instant(folded.get(k)) for k in expected},
            {k: instant(new) for k, (_old, new) in expected.items()},
        )

    def test_the_creation_entry_holds_the_due_times(self) -> None:
        incident = self.log_at("2026-11-17 11:30")

        self.assertIsNotNone(incident.response_due_at)
        self.assert_audited(incident)

    def test_a_priority_change_audits_the_new_due_times(self) -> None:
        incident = self.work("2026-11-17 09:00")
        with frozen(local("2026-11-17 11:30")):
            incident = update_incident(
                incident, {"impact": TicketImpact.HIGH}, actor=self.agent, version=incident.version
            )

        self.assertEqual(incident.priority, 2)
        self.assert_audited(incident)

    def test_the_first_public_reply_audits_the_response(self) -> None:
        incident = self.log_at("2026-11-17 09:00", assignment_group=self.front_group)
        with frozen(local("2026-11-17 09:40")):
            comment_on_incident(incident, actor=self.engineer, body="马上到")

        self.assertEqual(
            Incident.objects.get(pk=incident.pk).responded_at, local("2026-11-17 09:40")
        )
        self.assert_audited(incident)

    def test_the_sweeps_breach_flag_is_audited(self) -> None:
        from itsm.incidents.services import escalate_incidents

        incident = self.work("2026-11-17 09:00")  # resolution due Thursday 09:00
        with frozen(local("2026-11-19 09:01")):
            self.assertEqual(escalate_incidents(local("2026-11-19 09:01")).breached, 1)

        self.assertTrue(Incident.objects.get(pk=incident.pk).sla_breached)
        self.assert_audited(incident)

    def test_a_rebuild_that_corrects_the_row_audits_the_correction(self) -> None:
        from django.core.management import call_command

        incident = self.work("2026-11-17 09:00")
        Incident.objects.filter(pk=incident.pk).update(resolution_due_at=local("2026-12-31 09:00"))

        call_command("rebuild_clocks", incident.number, stdout=io.StringIO())

        self.assertEqual(
            Incident.objects.get(pk=incident.pk).resolution_due_at, local("2026-11-19 09:00")
        )
        self.assert_audited(incident)

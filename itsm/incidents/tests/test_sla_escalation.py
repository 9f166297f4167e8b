"""The SLA sweep on incidents: warnings at a share of the target, breaches, the escalation
rules' actions, the on-duty manager, and several workers sweeping at once."""

from __future__ import annotations

import threading
from typing import Any
from unittest import skipUnless

from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections
from django.test import TransactionTestCase

from itsm.accounts.choices import Role, SupportTier
from itsm.accounts.models import SupportGroup
from itsm.core.models import Notification
from itsm.core.testing import make_user
from itsm.incidents.choices import IncidentPendingReason, IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.services import escalate_incidents
from itsm.incidents.tests.factories import log
from itsm.incidents.tests.test_sla_clocks import ClockCase, clock, frozen
from itsm.sla.choices import AgreementKind, ClockMetric
from itsm.sla.models import DutyShift, EscalationFiring, EscalationRule
from itsm.sla.services import breaching_between
from itsm.sla.tests.factories import agreement, local, office_hours


def messages(user: Any) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("message", flat=True))


class SweepTests(ClockCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.lead = make_user("lead", Role.FRONT_LINE)
        cls.front_group.lead = cls.lead
        cls.front_group.save()
        EscalationRule.objects.create(agreement=cls.sla, metric=ClockMetric.RESOLUTION, percent=75)
        cls.breach_rule = EscalationRule.objects.create(
            agreement=cls.sla,
            metric=ClockMetric.RESOLUTION,
            percent=100,
            notify_assignee=False,
            notify_group_lead=False,
            notify_managers=True,
        )

    def sweep(self, when: str) -> Any:
        with frozen(local(when)):
            return escalate_incidents(local(when))

    def test_nothing_fires_before_its_time(self) -> None:
        self.work("2026-11-17 09:00")  # 16 h: 75 % on Wednesday 14:30, due Thursday 09:00

        result = self.sweep("2026-11-18 14:29")

        self.assertEqual(result.fired, 0)
        self.assertEqual(messages(self.lead), [])

    def test_at_75_percent_the_assignee_and_the_group_lead_are_warned_once(self) -> None:
        incident = self.work("2026-11-17 09:00")
        Notification.objects.all().delete()

        self.assertEqual(self.sweep("2026-11-18 14:30").fired, 1)
        self.assertEqual(self.sweep("2026-11-18 14:31").fired, 0)

        self.assertEqual(len(messages(self.engineer)), 1)
        self.assertIn(incident.number, messages(self.lead)[0])
        self.assertIn("75%", messages(self.lead)[0])
        self.assertEqual(messages(self.manager), [])

    def test_at_the_breach_the_managers_are_told_and_the_incident_is_marked(self) -> None:
        incident = self.work("2026-11-17 09:00")
        self.sweep("2026-11-18 14:30")

        result = self.sweep("2026-11-19 09:00")

        self.assertEqual((result.fired, result.breached), (1, 1))
        self.assertEqual(len(messages(self.manager)), 1)
        stored = Incident.objects.get(pk=incident.pk)
        self.assertTrue(stored.sla_breached)
        resolution = clock(stored, AgreementKind.SLA, ClockMetric.RESOLUTION)
        self.assertEqual(resolution.breached_at, local("2026-11-19 09:00"))
        self.assertIsNone(resolution.next_escalation_at)

    def test_a_late_sweep_fires_each_rule_once(self) -> None:
        self.work("2026-11-17 09:00")

        self.assertEqual(self.sweep("2026-11-20 10:00").fired, 2)
        self.assertEqual(self.sweep("2026-11-20 10:01").fired, 0)

        self.assertEqual(EscalationFiring.objects.count(), 2)

    def test_many_escalations_at_once_reach_a_person_as_one_message(self) -> None:
        incidents = [self.work("2026-11-17 09:00") for _ in range(5)]
        Notification.objects.all().delete()

        self.assertEqual(self.sweep("2026-11-18 14:30").fired, 5)

        (digest,) = messages(self.lead)
        self.assertIn("5", digest)
        self.assertTrue(all(i.number in digest for i in incidents))
        self.assertEqual(len(messages(self.engineer)), 1)

    def test_a_paused_clock_does_not_fire(self) -> None:
        incident = self.work("2026-11-17 09:00")
        self.act(
            incident,
            "2026-11-17 10:00",
            "pend",
            self.engineer,
            pending_reason=IncidentPendingReason.REQUESTER,
        )

        self.assertEqual(self.sweep("2026-11-20 10:00").fired, 0)

    def test_a_resolved_incident_does_not_fire(self) -> None:
        from itsm.incidents.tests.factories import RESOLUTION

        incident = self.work("2026-11-17 09:00")
        self.act(incident, "2026-11-17 10:00", "resolve", self.engineer, **RESOLUTION)

        self.assertEqual(self.sweep("2026-11-20 10:00").fired, 0)

    def test_a_breach_rule_can_reassign_and_raise_the_priority(self) -> None:
        self.breach_rule.reassign_to = self.vendor_group
        self.breach_rule.raise_priority = True
        self.breach_rule.save()
        incident = self.work("2026-11-17 09:00")

        self.sweep("2026-11-19 09:00")

        stored = Incident.objects.get(pk=incident.pk)
        self.assertEqual(stored.assignment_group, self.vendor_group)
        self.assertEqual(stored.status, IncidentStatus.ASSIGNED)
        self.assertEqual(stored.priority, 2)
        self.assertEqual(stored.routing.last().reason, "SLA 升级：全院信息服务SLA")

    def test_what_breaches_in_the_next_hour_is_one_query(self) -> None:
        soon = self.work("2026-11-17 09:00")  # response stopped; resolution due Thu 09:00
        self.log_at("2026-11-17 10:00")  # response due Tue 11:00

        with self.assertNumQueries(1):
            due = list(
                breaching_between(Incident, local("2026-11-19 08:30"), local("2026-11-19 09:30"))
            )

        self.assertEqual([c.object_id for c in due], [soon.pk])

    def test_a_priority_1_incident_tells_the_on_duty_manager_at_once(self) -> None:
        on_duty = make_user("duty_manager", Role.MANAGER)
        DutyShift.objects.create(
            user=on_duty,
            starts_at=local("2026-11-17 08:00"),
            ends_at=local("2026-11-17 20:00"),
        )
        DutyShift.objects.create(
            user=self.manager,
            starts_at=local("2026-11-16 08:00"),
            ends_at=local("2026-11-16 20:00"),
        )

        incident = self.log_at("2026-11-17 09:00", impact=1, urgency=1)

        self.assertTrue(any("on-duty" in m or "值班" in m for m in messages(on_duty)))
        self.assertFalse(any("值班" in m or "on-duty" in m for m in messages(self.manager)))
        self.assertEqual(incident.priority, 1)


@skipUnless(connection.vendor == "postgresql", "workers race for rows only on PostgreSQL")
class RacingWorkersTests(TransactionTestCase):
    """Two workers sweep the same due clocks at the same moment: each rule fires once and
    each person gets one notification."""

    def test_two_workers_produce_one_notification_each(self) -> None:
        agent = make_user("agent", Role.AGENT)
        engineers = [make_user("engineer%d" % n, Role.FRONT_LINE) for n in range(30)]
        group = SupportGroup.objects.create(name="桌面运维组", tier=SupportTier.FRONT_LINE)
        group.members.add(*engineers)
        sla = agreement(office_hours())
        EscalationRule.objects.create(agreement=sla, metric=ClockMetric.RESPONSE, percent=50)
        with frozen(local("2026-11-17 09:00")):
            incidents = [
                log(
                    agent,
                    requester=agent,
                    reported_at=local("2026-11-17 09:00"),
                    assignment_group=group,
                    assignee=engineer,
                )
                for engineer in engineers
            ]
        Notification.objects.all().delete()
        start = threading.Barrier(2)
        results: list[Any] = []

        def worker() -> None:
            try:
                start.wait()
                # The sweep takes its instant as an argument: no clock is patched here, as
                # two threads patching one module attribute would leave it patched.
                results.append(escalate_incidents(local("2026-11-17 11:00")))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        content_type = ContentType.objects.get_for_model(Incident)
        for engineer, incident in zip(engineers, incidents, strict=True):
            received = Notification.objects.filter(recipient=engineer, content_type=content_type)
            self.assertEqual(list(received.values_list("object_id", flat=True)), [incident.pk])
        self.assertEqual(EscalationFiring.objects.count(), 30 * 1)
        self.assertEqual(sum(r.fired for r in results), 30)

from __future__ import annotations

from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from itsm.core.models import Notification
from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentKind
from itsm.incidents.models import Incident
from itsm.incidents.tests.factories import log
from itsm.problems.choices import ProblemStatus, ProposalStatus, TrendKind
from itsm.problems.models import ProposedProblem
from itsm.problems.services import accept_proposal, detect_trends, dismiss_proposal
from itsm.problems.tests.factories import problem


@override_settings(ITSM_PROBLEM_TREND_COUNT=3, ITSM_PROBLEM_TREND_DAYS=7)
class TrendDetectionTests(BaseTestCase):
    def on_printer(self, count: int, days_ago: int = 1) -> list[Incident]:
        at = timezone.now() - timedelta(days=days_ago)
        return [
            log(
                self.agent,
                requester=self.nurse,
                configuration_items=[self.printer],
                reported_at=at,
            )
            for _ in range(count)
        ]

    def test_three_incidents_on_one_item_are_proposed_once(self) -> None:
        incidents = self.on_printer(3)
        self.assertEqual(detect_trends(), 1)
        proposal = ProposedProblem.objects.get()
        self.assertEqual(proposal.kind, TrendKind.CI)
        self.assertEqual(set(proposal.incidents.all()), set(incidents))
        self.assertIn("PRN-ED-001", proposal.label)
        told = set(
            Notification.objects.filter(object_id=proposal.pk).values_list(
                "recipient__username", flat=True
            )
        )
        self.assertEqual(told, {"engineer", "manager", "admin"})
        # Re-running finds the same cluster: no duplicate, a fourth incident joins it.
        self.assertEqual(detect_trends(), 0)
        self.on_printer(1)
        self.assertEqual(detect_trends(), 0)
        self.assertEqual(ProposedProblem.objects.get().incidents.count(), 4)

    def test_below_threshold_old_consultations_and_covered_incidents_do_not_count(self) -> None:
        self.on_printer(2)
        self.on_printer(2, days_ago=10)
        log(self.agent, configuration_items=[self.printer], kind=IncidentKind.CONSULTATION)
        covered = self.on_printer(1)
        problem(self.engineer, incidents=covered)
        self.assertEqual(detect_trends(), 0)

    def test_service_clusters(self) -> None:
        for _ in range(3):
            log(self.agent, requester=self.doctor, service=self.pacs)
        self.assertEqual(detect_trends(), 1)
        self.assertEqual(ProposedProblem.objects.get().kind, TrendKind.SERVICE)

    def test_dismissed_is_remembered(self) -> None:
        self.on_printer(3)
        detect_trends()
        dismiss_proposal(ProposedProblem.objects.get(), actor=self.manager, reason="已知打印纸问题")
        self.assertEqual(detect_trends(), 0)
        self.assertEqual(ProposedProblem.objects.count(), 1)
        # Three new incidents are a new cluster.
        self.on_printer(3)
        self.assertEqual(detect_trends(), 1)
        self.assertEqual(
            ProposedProblem.objects.filter(status=ProposalStatus.PROPOSED).get().incidents.count(),
            3,
        )

    def test_accepting_raises_the_problem_with_the_incidents(self) -> None:
        incidents = self.on_printer(3)
        detect_trends()
        proposal = ProposedProblem.objects.get()
        found = accept_proposal(proposal, actor=self.engineer)
        self.assertEqual(found.status, ProblemStatus.NEW)
        self.assertEqual(set(found.incidents.all()), set(incidents))
        self.assertEqual(list(found.configuration_items.all()), [self.printer])
        proposal.refresh_from_db()
        self.assertEqual(proposal.status, ProposalStatus.ACCEPTED)
        self.assertEqual(proposal.problem, found)
        self.assertEqual(detect_trends(), 0)


class DemoProblemTests(BaseTestCase):
    def test_demo_problems_load_once(self) -> None:
        from itsm.accounts.choices import Role
        from itsm.core.testing import make_user
        from itsm.demo.problems import PROBLEMS, load_problems

        make_user("manager1", Role.MANAGER)
        printer_fault = log(self.agent, requester=self.nurse, title="急诊科条码打印机不出纸")
        self.assertEqual(load_problems(), len(PROBLEMS))
        self.assertGreaterEqual(len(PROBLEMS), 10)
        self.assertEqual(load_problems(), 0)
        self.assertEqual(printer_fault.problems.get().status, ProblemStatus.KNOWN_ERROR)
        self.assertTrue(printer_fault.problems.get().workaround)

from __future__ import annotations

from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from itsm.core.models import Notification
from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentKind
from itsm.incidents.models import Incident, IncidentCategory
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

    def category(self, code: str) -> IncidentCategory:
        return IncidentCategory.objects.get(code=code)

    def test_three_incidents_of_one_category_are_proposed_with_their_incidents(self) -> None:
        printers = self.category("printer")
        incidents = [
            log(self.agent, requester=self.nurse, category=printers, title="打印机 %d" % n)
            for n in range(3)
        ]
        self.assertEqual(detect_trends(), 1)
        proposal = ProposedProblem.objects.get()
        self.assertEqual(proposal.kind, TrendKind.CATEGORY)
        self.assertEqual(proposal.key, str(printers.pk))
        self.assertEqual(proposal.label, "硬件 › 打印机")
        self.assertEqual(set(proposal.incidents.all()), set(incidents))
        self.assertTrue(Notification.objects.filter(object_id=proposal.pk).exists())
        # A fourth joins the open proposal instead of making a second one.
        log(self.agent, requester=self.nurse, category=printers)
        self.assertEqual(detect_trends(), 0)
        self.assertEqual(ProposedProblem.objects.get().incidents.count(), 4)

    def test_a_category_counts_only_its_own_incidents_not_its_subcategories(self) -> None:
        # Two printer faults and one vague "hardware" call: no category reaches three.
        log(self.agent, category=self.category("printer"))
        log(self.agent, category=self.category("printer"))
        log(self.agent, category=self.category("hardware"))
        log(self.agent, category=self.category("computer"))
        self.assertEqual(detect_trends(), 0)

    def test_old_covered_cancelled_and_uncategorised_incidents_do_not_count(self) -> None:
        his = self.category("his")
        old = timezone.now() - timedelta(days=10)
        log(self.agent, category=his, reported_at=old)
        log(self.agent, category=his, kind=IncidentKind.CONSULTATION)
        problem(self.engineer, incidents=[log(self.agent, category=his)])
        log(self.agent)
        log(self.agent)
        log(self.agent, category=his)
        log(self.agent, category=his)
        self.assertEqual(detect_trends(), 0)

    def test_accepting_a_category_proposal_names_the_category_in_the_problem(self) -> None:
        network = self.category("wireless")
        incidents = [log(self.agent, category=network, title="无线掉线") for _ in range(3)]
        detect_trends()
        proposal = ProposedProblem.objects.get(kind=TrendKind.CATEGORY)
        found = accept_proposal(proposal, actor=self.manager)
        self.assertEqual(set(found.incidents.all()), set(incidents))
        self.assertIn("网络 › 无线网络", found.title)
        self.assertIn("网络 › 无线网络", found.description)
        self.assertIsNone(found.service)
        self.assertFalse(found.configuration_items.exists())
        proposal.refresh_from_db()
        self.assertEqual((proposal.status, proposal.problem), (ProposalStatus.ACCEPTED, found))
        # Covered now: the same incidents are not proposed again.
        self.assertEqual(detect_trends(), 0)

    def test_a_dismissed_category_proposal_is_remembered(self) -> None:
        lis = self.category("lis")
        for _ in range(3):
            log(self.agent, category=lis)
        detect_trends()
        dismiss_proposal(ProposedProblem.objects.get(), actor=self.manager, reason="各不相关")
        self.assertEqual(detect_trends(), 0)

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

"""Problems in the admin: looked up, never written (every write goes through the service
verbs, which audit it); the trend detection's proposals are listed with their incidents."""

from __future__ import annotations

from datetime import timedelta

from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from itsm.incidents.tests.factories import log
from itsm.incidents.tests.ui import UITestCase
from itsm.problems.models import Problem, ProposedProblem
from itsm.problems.services import detect_trends
from itsm.problems.tests.factories import problem


class ProblemAdminTests(UITestCase):
    def setUp(self) -> None:
        self.incident = log(self.agent, requester=self.nurse)
        self.problem = problem(self.engineer, incidents=[self.incident], root_cause="驱动版本过旧")

    def test_an_administrator_reads_a_problem_with_its_linked_incidents(self) -> None:
        self.login(self.admin)
        response = self.client.get(reverse("admin:problems_problem_changelist"))
        self.assertContains(response, self.problem.number)
        response = self.client.get(reverse("admin:problems_problem_change", args=[self.problem.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "驱动版本过旧")
        self.assertContains(response, self.incident.number)
        self.assertNotContains(response, 'name="_save"')

    def test_nothing_can_be_added_changed_or_deleted_here(self) -> None:
        self.login(self.admin)
        add = self.client.get(reverse("admin:problems_problem_add"))
        self.assertEqual(add.status_code, 403)
        response = self.client.post(
            reverse("admin:problems_problem_change", args=[self.problem.pk]),
            {"title": "改掉"},
        )
        self.assertEqual(response.status_code, 403)
        delete = self.client.post(
            reverse("admin:problems_problem_delete", args=[self.problem.pk]), {"post": "yes"}
        )
        self.assertEqual(delete.status_code, 403)
        self.problem.refresh_from_db()
        self.assertEqual(self.problem.title, "急诊条码打印机反复卡纸")
        self.assertTrue(Problem.objects.filter(pk=self.problem.pk).exists())

    @override_settings(ITSM_PROBLEM_TREND_COUNT=3, ITSM_PROBLEM_TREND_DAYS=7)
    def test_proposals_are_listed_with_their_incident_count(self) -> None:
        yesterday = timezone.now() - timedelta(days=1)
        for _ in range(3):
            log(self.agent, service=self.pacs, reported_at=yesterday)
        detect_trends()
        proposal = ProposedProblem.objects.get()
        self.login(self.admin)
        response = self.client.get(reverse("admin:problems_proposedproblem_changelist"))
        self.assertContains(response, proposal.label)
        self.assertContains(response, '<td class="field-incident_count">3</td>', html=True)
        change = self.client.get(
            reverse("admin:problems_proposedproblem_change", args=[proposal.pk])
        )
        self.assertEqual(change.status_code, 200)
        self.assertEqual(
            self.client.get(reverse("admin:problems_proposedproblem_add")).status_code, 403
        )

    def test_staff_without_the_view_permission_do_not_see_problems_here(self) -> None:
        self.outsider.is_staff = True
        self.outsider.save(update_fields=["is_staff"])
        self.login(self.outsider)
        response = self.client.get(reverse("admin:problems_problem_changelist"))
        self.assertEqual(response.status_code, 403)

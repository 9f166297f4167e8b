from __future__ import annotations

from django.urls import reverse

from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.tests.factories import log
from itsm.problems.choices import ProblemStatus, ProposalStatus
from itsm.problems.models import Problem, ProposedProblem
from itsm.problems.services import detect_trends, transition_problem
from itsm.problems.tests.factories import problem


class ProblemPageTests(BaseTestCase):
    def test_list_needs_the_permission(self) -> None:
        url = reverse("problems:problem_list")
        self.login(self.nurse)
        self.assertEqual(self.client.get(url).status_code, 403)
        self.login(self.agent)
        self.assertEqual(self.client.get(url).status_code, 200)

    def test_list_query_count_does_not_grow_with_rows(self) -> None:
        self.login(self.engineer)
        url = reverse("problems:problem_list")
        problem(self.engineer, service=self.his)
        self.client.get(url)
        with self.assertNumQueries(8) as small:
            self.client.get(url)
        for _ in range(5):
            problem(self.engineer, service=self.pacs, assignment_group=self.front_group)
        with self.assertNumQueries(len(small)):
            response = self.client.get(url)
        self.assertContains(response, "PRB", count=None)

    def test_known_errors_filter(self) -> None:
        known = problem(self.engineer, title="发票打印错位")
        known = transition_problem(known, "investigate", actor=self.engineer)
        transition_problem(
            known, "known_error", actor=self.engineer, data={"workaround": "重建纸张"}
        )
        problem(self.engineer, title="医嘱执行单打印空白")
        self.login(self.agent)
        response = self.client.get(reverse("problems:problem_list") + "?status=known_error")
        self.assertContains(response, "发票打印错位")
        self.assertNotContains(response, "医嘱执行单打印空白")
        bad = self.client.get(reverse("problems:problem_list") + "?status=bogus")
        self.assertEqual(bad.status_code, 400)

    def test_export(self) -> None:
        problem(self.engineer, title="PACS 调阅慢")
        self.login(self.manager)
        response = self.client.get(reverse("problems:problem_list") + "?export=csv")
        self.assertEqual(response.status_code, 200)
        self.assertIn("PACS 调阅慢", b"".join(response.streaming_content).decode("utf-8-sig"))

    def test_back_line_sees_only_his_groups_problems(self) -> None:
        mine = problem(self.engineer, assignment_group=self.vendor_group)
        other = problem(self.engineer, assignment_group=self.other_vendor_group)
        self.login(self.vendor)
        self.assertEqual(self.client.get(mine.get_absolute_url()).status_code, 200)
        self.assertEqual(self.client.get(other.get_absolute_url()).status_code, 404)
        self.login(self.nurse)
        self.assertEqual(self.client.get(mine.get_absolute_url()).status_code, 404)

    def test_detail_shows_links_and_weekly_counts(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        found = problem(self.engineer, incidents=[incident], symptoms="腕带打印空白")
        self.login(self.engineer)
        response = self.client.get(found.get_absolute_url())
        self.assertContains(response, incident.number)
        self.assertContains(response, "腕带打印空白")
        self.assertContains(response, 'data-transition="investigate"')

    def test_create_from_incident_links_it(self) -> None:
        incident = log(self.agent, requester=self.nurse, service=self.his)
        self.login(self.engineer)
        page = self.client.get(reverse("incidents:incident_detail", args=[incident.pk]))
        self.assertContains(page, "data-raise-problem")
        url = reverse("problems:problem_create") + "?incident=%d" % incident.pk
        form = self.client.get(url)
        self.assertContains(form, incident.title)
        response = self.client.post(
            url, {"title": "打印机问题", "impact": 2, "urgency": 2, "incident": incident.pk}
        )
        created = Problem.objects.get()
        self.assertRedirects(response, created.get_absolute_url())
        self.assertEqual(list(created.incidents.all()), [incident])

    def test_create_bad_input_and_forbidden(self) -> None:
        self.login(self.engineer)
        response = self.client.post(reverse("problems:problem_create"), {"title": ""})
        self.assertEqual(response.status_code, 400)
        self.login(self.agent)
        self.assertEqual(self.client.get(reverse("problems:problem_create")).status_code, 403)

    def test_stale_edit_is_409(self) -> None:
        found = problem(self.engineer)
        self.login(self.engineer)
        url = reverse("problems:problem_edit", args=[found.pk])
        data = {"title": "新标题", "impact": 3, "urgency": 3, "version": 1}
        self.assertEqual(self.client.post(url, data).status_code, 302)
        self.assertEqual(self.client.post(url, data).status_code, 409)

    def test_transition_and_link_by_number(self) -> None:
        found = problem(self.engineer)
        incident = log(self.agent, requester=self.nurse)
        self.login(self.engineer)
        url = reverse("problems:problem_transition", args=[found.pk, "investigate"])
        self.assertEqual(self.client.post(url, {"version": 1}).status_code, 302)
        found.refresh_from_db()
        self.assertEqual(found.status, ProblemStatus.INVESTIGATING)
        link = reverse("problems:problem_link", args=[found.pk])
        self.assertEqual(self.client.post(link, {"number": incident.number}).status_code, 302)
        self.assertEqual(self.client.post(link, {"number": "INC9999999"}).status_code, 400)
        self.assertEqual(found.links.count(), 1)

    def test_resolve_dialog_resolves_incidents(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        found = transition_problem(
            problem(self.engineer, incidents=[incident]), "investigate", actor=self.engineer
        )
        self.login(self.manager)
        url = reverse("problems:problem_transition", args=[found.pk, "resolve"])
        self.assertContains(self.client.get(url), "resolve_incidents")
        response = self.client.post(
            url,
            {
                "version": found.version,
                "resolution_notes": "更换驱动",
                "resolve_incidents": "on",
                "message": "已修复",
            },
        )
        self.assertEqual(response.status_code, 302)
        incident.refresh_from_db()
        self.assertEqual(incident.status, IncidentStatus.RESOLVED)


class ProposalPageTests(BaseTestCase):
    def test_accept_and_dismiss(self) -> None:
        for _ in range(3):
            log(self.agent, requester=self.nurse, configuration_items=[self.printer])
        detect_trends()
        proposal = ProposedProblem.objects.get()
        self.login(self.agent)
        self.assertContains(self.client.get(reverse("problems:proposal_list")), proposal.label)
        accept = reverse("problems:proposal_decide", args=[proposal.pk, "accept"])
        self.assertEqual(self.client.post(accept).status_code, 403)
        self.login(self.manager)
        self.assertEqual(
            self.client.post(
                reverse("problems:proposal_decide", args=[proposal.pk, "x"])
            ).status_code,
            404,
        )
        response = self.client.post(accept)
        created = Problem.objects.get()
        self.assertRedirects(response, created.get_absolute_url())
        proposal.refresh_from_db()
        self.assertEqual(proposal.status, ProposalStatus.ACCEPTED)
        self.assertEqual(self.client.post(accept).status_code, 409)

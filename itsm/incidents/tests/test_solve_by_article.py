"""Solved by the knowledge base at first contact: the desk logs a call and resolves it at
once with a published article, from the console's suggestions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from itsm.core.choices import SearchKind, TicketImpact, TicketUrgency
from itsm.core.models import AuditEntry
from itsm.core.search import index_object
from itsm.incidents.choices import (
    IncidentChannel,
    IncidentKind,
    IncidentResolutionCode,
    IncidentStatus,
)
from itsm.incidents.models import Incident
from itsm.incidents.services import solve_incident_by_article
from itsm.incidents.tests.ui import UITestCase
from itsm.knowledge.choices import ArticleAudience, ArticleStatus
from itsm.knowledge.models import ArticleLink
from itsm.knowledge.tests.factories import article_in

URL = reverse("incidents:incident_create")


class SolveByArticleTests(UITestCase):
    def setUp(self) -> None:
        self.article = article_in(ArticleStatus.PUBLISHED, author=self.agent, reviewer=self.manager)

    def data(self, **fields: Any) -> dict[str, Any]:
        return {
            "requester": self.nurse,
            "title": "急诊分诊台条码打印机不出纸",
            "description": "打印腕带时无反应",
            "impact": TicketImpact.LOW,
            "urgency": TicketUrgency.MEDIUM,
            "kind": IncidentKind.INCIDENT,
            "channel": IncidentChannel.PHONE,
            **fields,
        }

    def call(self, **fields: Any) -> dict[str, Any]:
        post: dict[str, Any] = {
            **self.data(),
            "requester": self.nurse.pk,
            "reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "solved_by_article": self.article.pk,
        }
        post.update(fields)
        return post

    # The service ---------------------------------------------------------------------

    def test_it_logs_and_resolves_the_call_with_the_article_in_one_go(self) -> None:
        incident = solve_incident_by_article(self.data(), article=self.article, actor=self.agent)
        incident.refresh_from_db()
        self.assertEqual(incident.status, IncidentStatus.RESOLVED)
        self.assertEqual(incident.resolution_code, IncidentResolutionCode.SOLVED_BY_KB)
        self.assertIn("KB%d" % self.article.pk, incident.resolution_notes)
        self.assertIn(self.article.title, incident.resolution_notes)
        self.assertIn(self.article.get_absolute_url(), incident.resolution_notes)
        self.assertEqual(incident.solved_by_article, self.article)
        self.assertTrue(incident.first_contact)
        self.assertEqual(incident.assignee, self.agent)
        self.assertIsNotNone(incident.resolved_at)
        self.assertTrue(
            ArticleLink.objects.filter(
                article=self.article, content_type__model="incident", object_id=incident.pk
            ).exists()
        )
        actions = list(
            AuditEntry.objects.filter(content_type__model="incident", object_id=incident.pk)
            .order_by("id")
            .values_list("action", flat=True)
        )
        self.assertEqual(actions, ["create", "transition:resolve", "link"])

    def test_a_call_logged_the_usual_way_is_not_first_contact(self) -> None:
        from itsm.incidents.tests.factories import log

        incident = log(self.agent, requester=self.nurse)
        self.assertFalse(incident.first_contact)
        self.assertIsNone(incident.solved_by_article)

    def test_it_refuses_an_article_that_is_not_published(self) -> None:
        for status in (ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW, ArticleStatus.RETIRED):
            with self.subTest(status=status):
                article = article_in(status, author=self.agent, reviewer=self.manager)
                with self.assertRaises(ValidationError) as caught:
                    solve_incident_by_article(self.data(), article=article, actor=self.agent)
                self.assertIn("solved_by_article", caught.exception.message_dict)
        self.assertFalse(Incident.objects.exists())

    def test_it_refuses_an_article_the_agent_may_not_read(self) -> None:
        draft = article_in(ArticleStatus.DRAFT, author=self.manager, reviewer=self.manager)
        with self.assertRaises(ValidationError):
            solve_incident_by_article(self.data(), article=draft, actor=self.agent)
        self.assertFalse(Incident.objects.exists())

    def test_it_refuses_an_assignment_group(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            solve_incident_by_article(
                self.data(assignment_group=self.front_group),
                article=self.article,
                actor=self.agent,
            )
        self.assertIn("assignment_group", caught.exception.message_dict)
        self.assertFalse(Incident.objects.exists())

    def test_a_requester_may_not_solve_calls(self) -> None:
        with self.assertRaises(PermissionDenied):
            solve_incident_by_article(
                self.data(requester=self.nurse), article=self.article, actor=self.nurse
            )
        self.assertFalse(Incident.objects.exists())

    # The console ---------------------------------------------------------------------

    def test_the_console_solves_the_call_and_opens_the_incident(self) -> None:
        self.login(self.agent)
        response = self.client.post(URL, self.call())
        incident = Incident.objects.get()
        self.assertRedirects(response, incident.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(incident.status, IncidentStatus.RESOLVED)
        self.assertTrue(incident.first_contact)
        page = self.client.get(response["Location"])
        self.assertContains(page, "data-solved-by-article")
        self.assertContains(page, "KB%d %s" % (self.article.pk, self.article.title))
        self.assertContains(page, 'href="%s"' % self.article.get_absolute_url())

    def test_the_console_logs_without_solving_when_no_article_is_given(self) -> None:
        self.login(self.agent)
        self.client.post(URL, self.call(solved_by_article=""))
        incident = Incident.objects.get()
        self.assertEqual(incident.status, IncidentStatus.NEW)
        self.assertFalse(incident.first_contact)

    def test_the_console_refuses_an_unpublished_article_with_400(self) -> None:
        draft = article_in(ArticleStatus.IN_REVIEW, author=self.agent, reviewer=self.manager)
        self.login(self.agent)
        response = self.client.post(URL, self.call(solved_by_article=draft.pk))
        self.assertEqual(response.status_code, 400)
        self.assertIn("solved_by_article", response.context["form"].errors)
        self.assertFalse(Incident.objects.exists())

    def test_the_console_refuses_an_invisible_article_with_400(self) -> None:
        draft = article_in(ArticleStatus.DRAFT, author=self.manager, reviewer=self.manager)
        self.login(self.agent)
        response = self.client.post(URL, self.call(solved_by_article=draft.pk))
        self.assertEqual(response.status_code, 400)
        self.assertIn("solved_by_article", response.context["form"].errors)
        self.assertFalse(Incident.objects.exists())

    def test_the_console_refuses_an_unknown_article_with_400(self) -> None:
        self.login(self.agent)
        response = self.client.post(URL, self.call(solved_by_article=999999))
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Incident.objects.exists())

    def test_the_console_refuses_a_group_with_an_article_with_400(self) -> None:
        self.login(self.agent)
        response = self.client.post(URL, self.call(assignment_group=self.front_group.pk))
        self.assertEqual(response.status_code, 400)
        self.assertIn("assignment_group", response.context["form"].errors)
        self.assertFalse(Incident.objects.exists())

    def test_the_suggestions_offer_to_solve_with_a_published_article(self) -> None:
        index_object(self.article, SearchKind.ARTICLE)
        self.login(self.agent)
        response = self.htmx("get", reverse("search:suggest"), {"title": "打印机不出纸"})
        self.assertContains(response, 'data-solve-article="%d"' % self.article.pk)

    def test_the_console_has_the_hidden_article_field(self) -> None:
        self.login(self.agent)
        response = self.client.get(URL)
        self.assertContains(response, 'name="solved_by_article" value=""')

    def test_the_incident_page_says_nothing_of_the_kb_for_other_resolutions(self) -> None:
        from itsm.incidents.tests.factories import incident_in

        incident = incident_in(self, IncidentStatus.RESOLVED)
        self.login(self.agent)
        page = self.client.get(incident.get_absolute_url())
        self.assertNotContains(page, "data-solved-by-article")


class InternalArticleTests(UITestCase):
    def test_an_internal_published_article_may_solve_a_call_at_the_desk(self) -> None:
        article = article_in(
            ArticleStatus.PUBLISHED,
            author=self.agent,
            reviewer=self.manager,
            audience=ArticleAudience.INTERNAL,
        )
        incident = solve_incident_by_article(
            {
                "requester": self.nurse,
                "title": "HIS 登录失败",
                "impact": TicketImpact.LOW,
                "urgency": TicketUrgency.LOW,
            },
            article=article,
            actor=self.agent,
        )
        self.assertEqual(incident.solved_by_article, article)

"""Known errors (issue 5, item 7): the workaround published to the knowledge base, shown
on the linked incidents' pages, and offered to new incidents that match it."""

from __future__ import annotations

from django.urls import reverse

from itsm.core.exceptions import ConflictError
from itsm.core.search import search
from itsm.core.testing import BaseTestCase
from itsm.incidents.tests.factories import log
from itsm.knowledge.choices import ArticleStatus
from itsm.knowledge.models import Article, ArticleLink
from itsm.problems.choices import ProblemStatus
from itsm.problems.models import Problem
from itsm.problems.services import known_errors_for, publish_known_error, transition_problem
from itsm.problems.tests.factories import problem

WORKAROUND = "在打印机属性中把纸张长度改为 25 mm，然后重新打印腕带。"


class KnownErrorTests(BaseTestCase):
    def known_error(self, **fields: object) -> Problem:
        found = problem(
            self.engineer,
            title="急诊条码打印机打印腕带卡纸",
            symptoms="分诊台打印腕带时卡纸",
            **fields,
        )
        found = transition_problem(found, "investigate", actor=self.engineer)
        found = transition_problem(
            found,
            "root_cause",
            actor=self.engineer,
            data={"root_cause": "驱动走纸长度错误", "cause_category": "software"},
        )
        return transition_problem(
            found, "known_error", actor=self.engineer, data={"workaround": WORKAROUND}
        )

    def test_a_known_error_is_found_by_the_search(self) -> None:
        found = self.known_error()
        hits = search("腕带 卡纸", user=self.engineer, kinds=["problem"]).hits
        self.assertEqual([hit.object.pk for hit in hits], [found.pk])
        self.assertEqual(search("腕带 卡纸", user=self.nurse, kinds=["problem"]).hits, [])

    def test_publishing_writes_a_draft_for_review_linked_to_the_problem_once(self) -> None:
        found = self.known_error()
        article = publish_known_error(found, actor=self.engineer)
        self.assertEqual(article.status, ArticleStatus.IN_REVIEW)
        self.assertIn(WORKAROUND, article.body)
        self.assertIn("驱动走纸长度错误", article.body)
        self.assertTrue(ArticleLink.objects.filter(article=article, object_id=found.pk).exists())
        with self.assertRaises(ConflictError):
            publish_known_error(found, actor=self.engineer)
        self.assertEqual(Article.objects.count(), 1)

    def test_only_a_known_error_can_be_published(self) -> None:
        found = problem(self.engineer)
        with self.assertRaises(ConflictError):
            publish_known_error(found, actor=self.engineer)
        self.assertFalse(Article.objects.exists())

    def test_a_linked_incident_shows_the_workaround_and_a_new_one_is_offered_the_link(
        self,
    ) -> None:
        linked = log(self.agent, title="急诊分诊台腕带打印机卡纸")
        found = self.known_error(incidents=[linked])
        self.assertEqual(known_errors_for(linked, viewer=self.engineer).linked, [found])
        fresh = log(self.agent, title="腕带打印机又卡纸了")
        offered = known_errors_for(fresh, viewer=self.engineer)
        self.assertEqual((offered.linked, offered.suggested), ([], [found]))

        self.login(self.engineer)
        card = self.client.get(reverse("problems:incident_known_errors", args=[fresh.pk]))
        self.assertContains(card, WORKAROUND[:10])
        self.assertContains(card, reverse("problems:link_known_error", args=[found.pk, fresh.pk]))
        response = self.client.post(reverse("problems:link_known_error", args=[found.pk, fresh.pk]))
        self.assertEqual(response.status_code, 302)
        self.assertTrue(found.incidents.filter(pk=fresh.pk).exists())
        card = self.client.get(reverse("problems:incident_known_errors", args=[fresh.pk]))
        self.assertContains(card, WORKAROUND)

    def test_the_card_is_empty_when_nothing_matches_and_closed_to_requesters(self) -> None:
        quiet = log(self.agent, title="显示器无信号")
        self.login(self.engineer)
        card = self.client.get(reverse("problems:incident_known_errors", args=[quiet.pk]))
        self.assertEqual(card.content.strip(), b"")
        self.login(self.nurse)
        card = self.client.get(reverse("problems:incident_known_errors", args=[quiet.pk]))
        self.assertIn(card.status_code, (403, 404))

    def test_the_publish_button_sends_the_engineer_to_the_article(self) -> None:
        found = self.known_error()
        self.login(self.engineer)
        page = self.client.get(found.get_absolute_url())
        self.assertContains(page, reverse("problems:publish_known_error", args=[found.pk]))
        response = self.client.post(reverse("problems:publish_known_error", args=[found.pk]))
        article = Article.objects.get()
        self.assertRedirects(response, article.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(Problem.objects.get().status, ProblemStatus.KNOWN_ERROR)

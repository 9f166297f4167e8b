"""While a requester types what is wrong, the portal offers the public published articles
that match: never an internal article, a draft, or anybody's incident."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from itsm.incidents.tests.factories import log
from itsm.incidents.tests.ui import UITestCase
from itsm.knowledge.choices import ArticleAudience, ArticleStatus
from itsm.knowledge.tests.factories import article_in

SUGGEST = reverse("portal:article_suggest")
TITLE = {"title": "打印机不出纸"}


class PortalArticleSuggestionTests(UITestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.public = article_in(
            ArticleStatus.PUBLISHED,
            author=cls.agent,
            reviewer=cls.manager,
            title="打印机不出纸：自己动手换纸",
        )
        cls.internal = article_in(
            ArticleStatus.PUBLISHED,
            author=cls.agent,
            reviewer=cls.manager,
            title="打印机不出纸：驱动重装步骤",
            audience=ArticleAudience.INTERNAL,
        )
        cls.draft = article_in(
            ArticleStatus.IN_REVIEW,
            author=cls.agent,
            reviewer=cls.manager,
            title="打印机不出纸：草稿",
        )
        cls.retired = article_in(
            ArticleStatus.RETIRED,
            author=cls.agent,
            reviewer=cls.manager,
            title="打印机不出纸：旧方法",
        )
        cls.others_incident = log(cls.agent, requester=cls.doctor, title="门诊打印机不出纸")
        cls.own_incident = log(cls.agent, requester=cls.nurse, title="护士站打印机不出纸")

    def test_the_report_form_asks_for_suggestions_as_she_types(self) -> None:
        self.login(self.nurse)
        response = self.client.get(reverse("portal:incident_create"))
        self.assertContains(response, 'hx-get="%s"' % SUGGEST)

    def test_a_requester_sees_public_published_articles_only(self) -> None:
        self.login(self.nurse)
        response = self.htmx("get", SUGGEST, TITLE)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, self.public.get_absolute_url())
        for hidden in (self.internal, self.draft, self.retired):
            self.assertNotContains(response, hidden.get_absolute_url())
        self.assertNotContains(response, "门诊打印机不出纸")
        self.assertNotContains(response, self.others_incident.get_absolute_url())
        self.assertNotContains(response, self.own_incident.get_absolute_url())

    def test_it_stays_public_for_it_staff_on_the_portal(self) -> None:
        for user in (self.agent, self.manager, self.admin):
            with self.subTest(user=user.username):
                self.login(user)
                response = self.htmx("get", SUGGEST, TITLE)
                self.assertContains(response, self.public.get_absolute_url())
                self.assertNotContains(response, self.internal.get_absolute_url())
                self.assertNotContains(response, "门诊打印机不出纸")

    def test_the_article_opens_for_the_requester(self) -> None:
        self.login(self.nurse)
        self.assertEqual(self.client.get(self.public.get_absolute_url()).status_code, 200)

    def test_nothing_is_suggested_for_an_empty_or_unknown_title(self) -> None:
        self.login(self.nurse)
        for title in ("", "？？", "完全无关的词语"):
            with self.subTest(title=title):
                response = self.htmx("get", SUGGEST, {"title": title})
                self.assertEqual(response.status_code, 200)
                self.assertNotContains(response, "portal-article-suggestions")

    def test_a_long_title_is_cut_not_refused(self) -> None:
        self.login(self.nurse)
        response = self.htmx("get", SUGGEST, {"title": "打印机不出纸" * 100})
        self.assertEqual(response.status_code, 200)

    def test_the_query_count_does_not_grow_with_the_articles(self) -> None:
        self.login(self.nurse)
        self.htmx("get", SUGGEST, TITLE)
        with CaptureQueriesContext(connection) as first:
            self.htmx("get", SUGGEST, TITLE)
        for number in range(5):
            article_in(
                ArticleStatus.PUBLISHED,
                author=self.agent,
                reviewer=self.manager,
                title="打印机不出纸 %d" % number,
            )
        with CaptureQueriesContext(connection) as second:
            self.htmx("get", SUGGEST, TITLE)
        self.assertEqual(len(first), len(second))

    def test_an_outsider_without_the_right_to_report_gets_403(self) -> None:
        self.login(self.outsider)
        self.assertEqual(self.htmx("get", SUGGEST, TITLE).status_code, 403)

    def test_an_anonymous_visitor_is_sent_to_sign_in(self) -> None:
        response = self.client.get(SUGGEST, TITLE)
        self.assertEqual(response.status_code, 302)

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.core.testing import BaseTestCase
from itsm.knowledge.choices import ArticleAudience, ArticleStatus
from itsm.knowledge.models import Article
from itsm.knowledge.tests.factories import article_in, write

ARTICLES = "/api/articles/"


class ArticleApiTests(BaseTestCase):
    def test_write_read_and_edit_with_version(self) -> None:
        api = self.api(self.engineer)
        response = api.post(
            ARTICLES,
            {"title": "HIS 登录失败", "body": "检查 **账号**", "services": [self.his.pk]},
            format="json",
        )
        self.assertEqual(response.status_code, 201, response.data)
        pk = response.data["id"]
        self.assertEqual(response.data["status"], "draft")
        self.assertIn("<strong>账号</strong>", response.data["body_html"])
        url = "%s%d/" % (ARTICLES, pk)
        response = api.patch(url, {"body": "新的", "version": 1}, format="json")
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.data["version"], 2)
        response = api.patch(url, {"body": "旧的", "version": 1}, format="json")
        self.assertEqual(response.status_code, 409)
        response = api.patch(url, {"body": "x"}, format="json")
        self.assertEqual(response.status_code, 400)
        self.assertIn("version", response.data)
        response = api.patch(url, {"status": "published", "version": 2}, format="json")
        self.assertEqual(response.status_code, 400)
        self.assertIn("status", response.data)
        response = api.patch(url, {"title": "", "version": 2}, format="json")
        self.assertEqual(response.status_code, 400)
        self.assertIn("title", response.data)
        versions = api.get(url + "versions/")
        self.assertEqual([v["number"] for v in versions.data], [2, 1])

    def test_requesters_read_public_articles_only_and_do_not_write(self) -> None:
        public = article_in(ArticleStatus.PUBLISHED, author=self.engineer, reviewer=self.manager)
        internal = article_in(
            ArticleStatus.PUBLISHED,
            author=self.engineer,
            reviewer=self.manager,
            audience=ArticleAudience.INTERNAL,
        )
        api = self.api(self.nurse)
        response = api.get(ARTICLES)
        self.assertEqual(response.status_code, 200)
        self.assertEqual([row["id"] for row in response.data["results"]], [public.pk])
        self.assertEqual(api.get("%s%d/" % (ARTICLES, internal.pk)).status_code, 404)
        self.assertEqual(api.post(ARTICLES, {"title": "x", "body": "y"}).status_code, 403)
        self.assertEqual(api.get("%s%d/versions/" % (ARTICLES, public.pk)).status_code, 403)
        self.assertEqual(self.api(None).get(ARTICLES).status_code, 401)

    def test_transitions(self) -> None:
        article = write(self.engineer)
        url = "%s%d/transitions/" % (ARTICLES, article.pk)
        menu = self.api(self.engineer).get(url)
        self.assertEqual([t["name"] for t in menu.data["transitions"]], ["submit"])
        response = self.api(self.engineer).post(url, {"name": "submit", "version": 1})
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.data["status"], "in_review")
        response = self.api(self.engineer).post(url, {"name": "approve"})
        self.assertEqual(response.status_code, 403)
        response = self.api(self.manager).post(url, {"name": "reject"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("note", response.data)
        response = self.api(self.manager).post(url, {"name": "retire", "reason": "x"})
        self.assertEqual(response.status_code, 409)
        response = self.api(self.manager).post(url, {"name": "approve", "version": 2})
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(Article.objects.get().status, ArticleStatus.PUBLISHED)

    def test_votes(self) -> None:
        article = article_in(ArticleStatus.PUBLISHED, author=self.engineer, reviewer=self.manager)
        url = "%s%d/vote/" % (ARTICLES, article.pk)
        response = self.api(self.nurse).post(url, {"helpful": True}, format="json")
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.data["helpful_count"], 1)
        response = self.api(self.nurse).post(url, {}, format="json")
        self.assertEqual(response.status_code, 400)
        draft = write(self.engineer)
        url = "%s%d/vote/" % (ARTICLES, draft.pk)
        self.assertEqual(self.api(self.engineer).post(url, {"helpful": True}).status_code, 409)

    def test_the_list_runs_the_same_queries_whatever_the_rows(self) -> None:
        api = self.api(self.engineer)
        article_in(ArticleStatus.PUBLISHED, author=self.engineer, reviewer=self.manager)
        api.get(ARTICLES)
        with CaptureQueriesContext(connection) as first:
            api.get(ARTICLES)
        for n in range(4):
            write(self.engineer, title="稿%d" % n, services=[self.his, self.pacs])
        with self.assertNumQueries(len(first.captured_queries)):
            response = api.get(ARTICLES)
        self.assertEqual(len(response.data["results"]), 5)

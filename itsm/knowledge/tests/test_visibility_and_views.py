from __future__ import annotations

from django.urls import reverse

from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.tests.factories import incident_in
from itsm.knowledge.choices import ArticleAudience, ArticleStatus
from itsm.knowledge.models import Article, ArticleLink, Category
from itsm.knowledge.tests.factories import article_in, write


class VisibilityTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.public = article_in(ArticleStatus.PUBLISHED, author=cls.engineer, reviewer=cls.manager)
        cls.internal = article_in(
            ArticleStatus.PUBLISHED,
            author=cls.engineer,
            reviewer=cls.manager,
            audience=ArticleAudience.INTERNAL,
            title="HIS 数据库主从切换步骤",
        )
        cls.draft = write(cls.engineer, title="草稿")
        cls.in_review = article_in(
            ArticleStatus.IN_REVIEW, author=cls.agent, reviewer=cls.manager, title="待审"
        )
        cls.retired = article_in(
            ArticleStatus.RETIRED, author=cls.engineer, reviewer=cls.manager, title="旧系统"
        )

    def visible(self, user: object) -> set[int]:
        return set(Article.objects.visible_to(user).values_list("pk", flat=True))

    def test_requesters_see_only_published_public_articles(self) -> None:
        self.assertEqual(self.visible(self.nurse), {self.public.pk})
        self.assertEqual(self.visible(self.outsider), {self.public.pk})

    def test_it_staff_see_published_retired_and_their_own_drafts(self) -> None:
        published = {self.public.pk, self.internal.pk, self.retired.pk}
        self.assertEqual(self.visible(self.engineer), published | {self.draft.pk})
        self.assertEqual(self.visible(self.agent), published | {self.in_review.pk})
        self.assertEqual(self.visible(self.vendor), published)

    def test_reviewers_also_see_what_waits_for_review(self) -> None:
        published = {self.public.pk, self.internal.pk, self.retired.pk}
        self.assertEqual(self.visible(self.manager), published | {self.in_review.pk})

    def test_requester_pages(self) -> None:
        self.login(self.nurse)
        response = self.client.get(reverse("knowledge:article_list"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, self.public.title)
        self.assertNotContains(response, self.internal.title)
        self.assertEqual(self.client.get(self.public.get_absolute_url()).status_code, 200)
        for hidden in (self.internal, self.draft, self.in_review, self.retired):
            self.assertEqual(self.client.get(hidden.get_absolute_url()).status_code, 404)
        self.assertEqual(self.client.get(reverse("knowledge:article_create")).status_code, 403)
        compare = reverse("knowledge:article_compare", args=[self.public.pk])
        self.assertEqual(self.client.get(compare + "?a=1&b=1").status_code, 403)

    def test_anonymous_visitors_are_sent_to_sign_in(self) -> None:
        response = self.client.get(reverse("knowledge:article_list"))
        self.assertEqual(response.status_code, 302)

    def test_the_list_filters_and_searches(self) -> None:
        self.login(self.engineer)
        url = reverse("knowledge:article_list")
        response = self.client.get(url, {"q": "主从切换"})
        self.assertEqual([a.pk for a in response.context["object_list"]], [self.internal.pk])
        response = self.client.get(url, {"status": "draft"})
        self.assertEqual([a.pk for a in response.context["object_list"]], [self.draft.pk])
        response = self.client.get(url, {"audience": "public", "status": "published"})
        self.assertEqual([a.pk for a in response.context["object_list"]], [self.public.pk])
        self.assertEqual(self.client.get(url, {"status": "nonsense"}).status_code, 400)

    def test_the_list_runs_the_same_queries_whatever_the_rows(self) -> None:
        self.login(self.engineer)
        url = reverse("knowledge:article_list")
        self.client.get(url)
        with self.assertNumQueries(7) as few:
            self.client.get(url)
        category = Category.objects.create(name="HIS")
        for n in range(5):
            article_in(
                ArticleStatus.PUBLISHED,
                author=self.engineer,
                reviewer=self.manager,
                title="文章%d" % n,
                category=category,
            )
        with self.assertNumQueries(len(few.captured_queries)):
            self.client.get(url)


class ArticlePageTests(BaseTestCase):
    def test_reading_counts_a_view_and_renders_safe_markdown(self) -> None:
        article = article_in(
            ArticleStatus.PUBLISHED,
            author=self.engineer,
            reviewer=self.manager,
            body="**重新装纸** <script>alert(1)</script>",
        )
        self.login(self.nurse)
        response = self.client.get(article.get_absolute_url())
        self.assertContains(response, "<strong>重新装纸</strong>", html=False)
        self.assertNotContains(response, "<script>alert(1)</script>")
        self.assertNotContains(response, "data-article-versions")
        self.assertEqual(Article.objects.get(pk=article.pk).view_count, 1)

    def test_voting(self) -> None:
        article = article_in(ArticleStatus.PUBLISHED, author=self.engineer, reviewer=self.manager)
        self.login(self.nurse)
        url = reverse("knowledge:article_vote", args=[article.pk])
        self.assertEqual(self.client.post(url, {"helpful": "1"}).status_code, 302)
        self.assertEqual(Article.objects.get(pk=article.pk).helpful_count, 1)
        self.assertEqual(self.client.post(url, {"helpful": "maybe"}).status_code, 400)
        draft = write(self.engineer)
        url = reverse("knowledge:article_vote", args=[draft.pk])
        self.assertEqual(self.client.post(url, {"helpful": "1"}).status_code, 404)

    def test_write_edit_and_stale_edit(self) -> None:
        self.login(self.engineer)
        response = self.client.post(reverse("knowledge:article_create"), {"title": "", "body": ""})
        self.assertEqual(response.status_code, 400)
        self.assertLessEqual({"title", "body"}, set(response.context["form"].errors))
        response = self.client.post(
            reverse("knowledge:article_create"),
            {"title": "PACS 影像调阅慢", "body": "清理缓存", "audience": "internal"},
        )
        article = Article.objects.get()
        self.assertRedirects(response, article.get_absolute_url())
        edit = reverse("knowledge:article_edit", args=[article.pk])
        self.assertEqual(self.client.get(edit).status_code, 200)
        data = {"title": "PACS 影像调阅慢", "body": "清理本地缓存", "audience": "internal"}
        response = self.client.post(edit, {**data, "version": 1})
        self.assertEqual(response.status_code, 302)
        response = self.client.post(edit, {**data, "body": "旧页面", "version": 1})
        self.assertEqual(response.status_code, 409)
        self.assertEqual(Article.objects.get().body, "清理本地缓存")
        self.login(self.agent)
        self.assertEqual(self.client.get(edit).status_code, 404)

    def test_a_published_article_is_not_edited_in_place(self) -> None:
        article = article_in(ArticleStatus.PUBLISHED, author=self.engineer, reviewer=self.manager)
        self.login(self.engineer)
        edit = reverse("knowledge:article_edit", args=[article.pk])
        self.assertEqual(self.client.get(edit).status_code, 409)

    def test_transitions_through_the_page(self) -> None:
        article = write(self.engineer)
        self.login(self.engineer)
        page = self.client.get(article.get_absolute_url())
        self.assertContains(page, 'data-transition="submit"')
        url = reverse("knowledge:article_transition", args=[article.pk, "submit"])
        self.assertEqual(self.client.post(url, {"version": 1}).status_code, 302)
        self.assertEqual(self.client.post(url, {"version": 2}).status_code, 409)
        self.login(self.manager)
        reject = reverse("knowledge:article_transition", args=[article.pk, "reject"])
        self.assertEqual(self.client.get(reject).status_code, 200)
        response = self.client.post(reject, {"version": 2, "note": ""})
        self.assertEqual(response.status_code, 400)
        approve = reverse("knowledge:article_transition", args=[article.pk, "approve"])
        self.assertEqual(self.client.post(approve, {"version": 2}).status_code, 302)
        self.assertEqual(Article.objects.get().status, ArticleStatus.PUBLISHED)
        self.login(self.engineer)
        retire = reverse("knowledge:article_transition", args=[article.pk, "retire"])
        self.assertEqual(self.client.post(retire, {"reason": "x"}).status_code, 403)

    def test_revisions_are_listed_and_compared(self) -> None:
        from itsm.knowledge.services import update_article

        article = write(self.engineer, body="第一行")
        update_article(article, {"body": "第一行\n<b>新</b>"}, actor=self.engineer, version=1)
        self.login(self.engineer)
        page = self.client.get(article.get_absolute_url())
        self.assertContains(page, "data-article-versions")
        url = reverse("knowledge:article_compare", args=[article.pk])
        response = self.client.get(url, {"a": 1, "b": 2})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "&lt;b&gt;新&lt;/b&gt;")
        self.assertNotContains(response, "&amp;lt;")
        self.assertEqual(self.client.get(url, {"a": 1, "b": 9}).status_code, 404)
        self.assertEqual(self.client.get(url, {"a": "x"}).status_code, 400)


class DraftFromIncidentTests(BaseTestCase):
    def test_a_resolved_incident_becomes_a_linked_draft(self) -> None:
        incident = incident_in(self, IncidentStatus.RESOLVED, description="打印腕带时无反应")
        self.login(self.engineer)
        page = self.client.get(incident.get_absolute_url())
        self.assertContains(page, "data-incident-knowledge")
        response = self.client.post(reverse("incidents:incident_knowledge", args=[incident.pk]))
        article = Article.objects.get()
        self.assertRedirects(response, reverse("knowledge:article_edit", args=[article.pk]))
        self.assertEqual(article.status, ArticleStatus.DRAFT)
        self.assertEqual(article.author, self.engineer)
        self.assertEqual(article.title, incident.title)
        self.assertIn("打印腕带时无反应", article.body)
        self.assertIn("更换打印头后恢复正常", article.body)
        link = ArticleLink.objects.get(article=article)
        self.assertEqual(link.target, incident)
        detail = self.client.get(article.get_absolute_url())
        self.assertContains(detail, incident.get_absolute_url())

    def test_only_resolved_incidents_and_only_writers(self) -> None:
        open_incident = incident_in(self, IncidentStatus.IN_PROGRESS)
        self.login(self.engineer)
        self.assertNotContains(
            self.client.get(open_incident.get_absolute_url()), "data-incident-knowledge"
        )
        url = reverse("incidents:incident_knowledge", args=[open_incident.pk])
        self.assertEqual(self.client.post(url).status_code, 409)
        closed = incident_in(self, IncidentStatus.CLOSED)
        self.login(self.nurse)
        url = reverse("incidents:incident_knowledge", args=[closed.pk])
        self.assertEqual(self.client.post(url).status_code, 403)
        self.assertFalse(Article.objects.exists())

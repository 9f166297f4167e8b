"""Solved by the knowledge base at first contact over the API
(POST /api/incidents/solve-by-article/): the same service as the console's "solve with
this article" button, with bad input refused field by field and nothing written."""

from __future__ import annotations

from typing import Any

from itsm.api.tests.support import ApiTestCase
from itsm.core.models import AuditEntry, NumberSequence
from itsm.incidents.choices import IncidentChannel, IncidentResolutionCode, IncidentStatus
from itsm.incidents.models import Incident, IncidentCategory
from itsm.knowledge.choices import ArticleAudience, ArticleStatus
from itsm.knowledge.models import Article, ArticleLink
from itsm.knowledge.tests.factories import article_in

URL = "/api/incidents/solve-by-article/"


class SolveByArticleApiTests(ApiTestCase):
    def setUp(self) -> None:
        self.article = article_in(ArticleStatus.PUBLISHED, author=self.agent, reviewer=self.manager)

    def call(self, **fields: Any) -> dict[str, Any]:
        return {
            "title": "急诊分诊台条码打印机不出纸",
            "description": "打印腕带时无反应",
            "article": self.article.pk,
            **fields,
        }

    def written(self) -> tuple[int, int, int, int]:
        last = NumberSequence.objects.filter(prefix="INC").values_list("last", flat=True)
        return (
            Incident.objects.count(),
            AuditEntry.objects.count(),
            ArticleLink.objects.count(),
            next(iter(last), 0),
        )

    def test_the_desk_logs_and_resolves_a_call_with_a_published_article(self) -> None:
        printers = IncidentCategory.objects.get(code="printer")
        response = self.api(self.agent).post(
            URL,
            self.call(requester=self.nurse.pk, service=self.his.pk, category=printers.pk),
            format="json",
        )
        self.assertEqual(response.status_code, 201, response.data)
        incident = Incident.objects.get(pk=response.data["id"])
        self.assertEqual(response["Location"], response.data["url"])
        self.assertEqual(incident.status, IncidentStatus.RESOLVED)
        self.assertEqual(incident.resolution_code, IncidentResolutionCode.SOLVED_BY_KB)
        self.assertIn(self.article.number, incident.resolution_notes)
        self.assertEqual(incident.solved_by_article, self.article)
        self.assertTrue(incident.first_contact)
        self.assertEqual(incident.assignee, self.agent)
        self.assertEqual(incident.requester, self.nurse)
        self.assertEqual(incident.channel, IncidentChannel.API)
        self.assertEqual(incident.category, printers)
        self.assertEqual(response.data["status"], IncidentStatus.RESOLVED)
        self.assertEqual(response.data["solved_by_article"], self.article.pk)
        self.assertTrue(response.data["first_contact"])
        self.assertEqual(response.data["display"]["category"], "硬件 › 打印机")
        self.assertTrue(
            ArticleLink.objects.filter(
                article=self.article, content_type__model="incident", object_id=incident.pk
            ).exists()
        )
        self.assertTrue(
            AuditEntry.objects.filter(
                object_id=incident.pk, content_type__model="incident", action="link"
            ).exists()
        )

    def test_only_the_desk_and_it_staff_who_may_resolve_solve_calls(self) -> None:
        # Vendors' engineers may resolve only what was routed to their groups (403).
        self.assert_statuses(
            lambda client, role: client.post(URL, self.call(), format="json"),
            {
                "nurse": 403,
                "doctor": 403,
                "agent": 201,
                "engineer": 201,
                "vendor": 403,
                "other_vendor": 403,
                "manager": 201,
                "admin": 201,
                "outsider": 403,
                "anonymous": 401,
            },
        )

    def test_a_requester_is_refused_and_nothing_is_written(self) -> None:
        before = self.written()
        response = self.api(self.nurse).post(URL, self.call(), format="json")
        self.assertEqual(response.status_code, 403, response.data)
        self.assertIn("detail", response.data)
        self.assertEqual(self.written(), before)

    def test_an_agent_without_log_for_others_cannot_name_another_requester(self) -> None:
        response = self.api(self.vendor).post(
            URL, self.call(requester=self.nurse.pk), format="json"
        )
        self.assertEqual(response.status_code, 403, response.data)

    def test_missing_fields_are_named_one_by_one(self) -> None:
        before = self.written()
        response = self.api(self.agent).post(URL, {}, format="json")
        self.assert_error_fields(response, "title", "article")
        self.assertEqual(self.written(), before)

    def test_an_unknown_article_is_refused(self) -> None:
        response = self.api(self.agent).post(URL, self.call(article=999999), format="json")
        self.assert_error_fields(response, "article")

    def test_an_article_that_is_not_published_is_refused_under_article(self) -> None:
        before = self.written()
        for status in (ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW, ArticleStatus.RETIRED):
            with self.subTest(status=status):
                article = article_in(status, author=self.agent, reviewer=self.manager)
                response = self.api(self.agent).post(
                    URL, self.call(article=article.pk), format="json"
                )
                self.assert_error_fields(response, "article")
        self.assertEqual(self.written()[0], before[0])
        self.assertFalse(Incident.objects.filter(solved_by_article__isnull=False).exists())

    def test_an_article_the_user_may_not_read_is_refused_as_unknown(self) -> None:
        # Someone else's draft: the agent may not read it, and is not told it exists.
        draft = article_in(ArticleStatus.DRAFT, author=self.engineer, reviewer=self.manager)
        response = self.api(self.agent).post(URL, self.call(article=draft.pk), format="json")
        self.assert_error_fields(response, "article")
        unknown = self.api(self.agent).post(URL, self.call(article=999999), format="json")
        self.assertEqual(
            [m.code for m in response.data["article"]], [m.code for m in unknown.data["article"]]
        )

    def test_an_internal_article_is_refused_to_a_requester_who_may_not_read_it(self) -> None:
        internal = article_in(
            ArticleStatus.PUBLISHED,
            author=self.agent,
            reviewer=self.manager,
            audience=ArticleAudience.INTERNAL,
        )
        self.assertFalse(Article.objects.visible_to(self.nurse).filter(pk=internal.pk).exists())
        response = self.api(self.nurse).post(URL, self.call(article=internal.pk), format="json")
        self.assert_error_fields(response, "article")

    def test_routing_and_read_only_fields_are_refused(self) -> None:
        response = self.api(self.agent).post(
            URL,
            self.call(assignment_group=self.front_group.pk, status=IncidentStatus.CLOSED),
            format="json",
        )
        self.assert_error_fields(response, "assignment_group", "status")

    def test_bad_values_are_refused_per_field(self) -> None:
        response = self.api(self.agent).post(
            URL,
            self.call(title="", impact=9, category=999999, requester=999999),
            format="json",
        )
        self.assert_error_fields(response, "title", "impact", "category", "requester")

    def test_the_schema_documents_the_endpoint_and_its_errors(self) -> None:
        response = self.api(self.admin).get("/api/schema/", {"format": "json"})
        self.assertEqual(response.status_code, 200)
        operation = response.json()["paths"][URL]["post"]
        self.assertEqual(
            # 413: a body over the upload limit; 422: an Idempotency-Key reused for a
            # different request.
            set(operation["responses"]),
            {"201", "400", "401", "403", "413", "422"},
            operation["responses"],
        )
        body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        name = body.rsplit("/", 1)[-1]
        schema = response.json()["components"]["schemas"][name]
        self.assertIn("article", schema["required"])
        self.assertNotIn("assignment_group", schema["properties"])

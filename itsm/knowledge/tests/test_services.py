from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from itsm.core.exceptions import StaleVersion, TransitionNotAllowed
from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase
from itsm.knowledge.choices import ArticleStatus
from itsm.knowledge.models import Article, ArticleVersion, ArticleVote
from itsm.knowledge.services import (
    compare_versions,
    record_view,
    transition_article,
    update_article,
    vote,
)
from itsm.knowledge.tests.factories import article_in, write


def audit_actions(article: Article) -> list[str]:
    return list(
        AuditEntry.objects.filter(content_type__model="article", object_id=article.pk)
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )


class CreateAndUpdateTests(BaseTestCase):
    def test_a_new_article_is_a_draft_with_revision_1_and_audited(self) -> None:
        article = write(self.engineer, services=[self.his])
        self.assertEqual(article.status, ArticleStatus.DRAFT)
        self.assertEqual(article.author, self.engineer)
        self.assertEqual(article.version, 1)
        self.assertEqual(list(article.services.all()), [self.his])
        self.assertEqual(list(article.versions.values_list("number", flat=True)), [1])
        self.assertEqual(audit_actions(article), ["create"])

    def test_requesters_may_not_write(self) -> None:
        with self.assertRaises(PermissionDenied):
            write(self.nurse)
        self.assertFalse(Article.objects.exists())

    def test_title_and_body_are_required(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            write(self.engineer, title=" ", body="")
        self.assertEqual(set(caught.exception.message_dict), {"title", "body"})

    def test_each_saved_text_change_is_a_new_revision(self) -> None:
        article = write(self.engineer)
        article = update_article(article, {"body": "新的步骤"}, actor=self.engineer, version=1)
        article = update_article(
            article, {"keywords": "打印机 腕带"}, actor=self.engineer, version=2
        )
        self.assertEqual(article.version, 3)
        self.assertEqual(list(article.versions.values_list("number", flat=True)), [2, 1])
        self.assertEqual(ArticleVersion.objects.get(article=article, number=2).body, "新的步骤")
        self.assertEqual(audit_actions(article), ["create", "update", "update"])

    def test_a_stale_version_is_refused_and_nothing_written(self) -> None:
        article = write(self.engineer)
        update_article(article, {"title": "新标题"}, actor=self.engineer, version=1)
        with self.assertRaises(StaleVersion):
            update_article(article, {"title": "覆盖"}, actor=self.engineer, version=1)
        self.assertEqual(Article.objects.get(pk=article.pk).title, "新标题")
        self.assertEqual(article.versions.count(), 2)

    def test_only_drafts_are_edited(self) -> None:
        article = article_in(ArticleStatus.PUBLISHED, author=self.engineer, reviewer=self.manager)
        with self.assertRaises(TransitionNotAllowed):
            update_article(article, {"title": "x"}, actor=self.engineer, version=article.version)

    def test_unknown_fields_are_refused(self) -> None:
        article = write(self.engineer)
        with self.assertRaises(ValidationError) as caught:
            update_article(article, {"status": "published"}, actor=self.engineer, version=1)
        self.assertIn("status", caught.exception.message_dict)


class WorkflowTests(BaseTestCase):
    def test_submit_approve_publishes_with_reviewer_and_time(self) -> None:
        article = article_in(ArticleStatus.PUBLISHED, author=self.engineer, reviewer=self.manager)
        self.assertEqual(article.status, ArticleStatus.PUBLISHED)
        self.assertEqual(article.reviewer, self.manager)
        self.assertIsNotNone(article.published_at)
        self.assertEqual(
            audit_actions(article), ["create", "transition:submit", "transition:approve"]
        )

    def test_reject_sends_back_to_draft_with_a_note(self) -> None:
        article = article_in(ArticleStatus.IN_REVIEW, author=self.engineer, reviewer=self.manager)
        with self.assertRaises(ValidationError) as caught:
            transition_article(article, "reject", actor=self.manager, data={})
        self.assertIn("note", caught.exception.message_dict)
        article = transition_article(
            article, "reject", actor=self.manager, data={"note": "请补充截图"}
        )
        self.assertEqual(article.status, ArticleStatus.DRAFT)
        self.assertEqual(article.review_note, "请补充截图")

    def test_authors_do_not_review_and_writers_do_not_publish(self) -> None:
        article = article_in(ArticleStatus.IN_REVIEW, author=self.manager, reviewer=self.admin)
        with self.assertRaises(PermissionDenied):
            transition_article(article, "approve", actor=self.manager)
        with self.assertRaises(PermissionDenied):
            transition_article(article, "approve", actor=self.engineer)
        transition_article(article, "approve", actor=self.admin)

    def test_retire_and_revise(self) -> None:
        article = article_in(ArticleStatus.PUBLISHED, author=self.engineer, reviewer=self.manager)
        with self.assertRaises(PermissionDenied):
            transition_article(article, "retire", actor=self.engineer, data={"reason": "旧"})
        revised = transition_article(article, "revise", actor=self.agent)
        self.assertEqual(revised.status, ArticleStatus.DRAFT)
        self.assertEqual(revised.author, self.agent)
        retired = article_in(ArticleStatus.RETIRED, author=self.engineer, reviewer=self.manager)
        self.assertIsNotNone(retired.retired_at)

    def test_a_transition_not_possible_now_is_409(self) -> None:
        article = write(self.engineer)
        with self.assertRaises(TransitionNotAllowed):
            transition_article(article, "approve", actor=self.manager)
        with self.assertRaises(StaleVersion):
            transition_article(article, "submit", actor=self.engineer, version=9)


class VoteAndViewTests(BaseTestCase):
    def test_one_vote_per_reader_which_he_may_change(self) -> None:
        article = article_in(ArticleStatus.PUBLISHED, author=self.engineer, reviewer=self.manager)
        vote(article, actor=self.nurse, helpful=True)
        vote(article, actor=self.nurse, helpful=True)
        article = vote(article, actor=self.doctor, helpful=True)
        self.assertEqual((article.helpful_count, article.unhelpful_count), (2, 0))
        article = vote(article, actor=self.nurse, helpful=False)
        self.assertEqual((article.helpful_count, article.unhelpful_count), (1, 1))
        self.assertEqual(ArticleVote.objects.count(), 2)

    def test_drafts_are_not_rated_or_counted(self) -> None:
        article = write(self.engineer)
        with self.assertRaises(TransitionNotAllowed):
            vote(article, actor=self.agent, helpful=True)
        record_view(article)
        self.assertEqual(Article.objects.get(pk=article.pk).view_count, 0)

    def test_views_are_counted_on_published_articles(self) -> None:
        article = article_in(ArticleStatus.PUBLISHED, author=self.engineer, reviewer=self.manager)
        record_view(article)
        record_view(article)
        self.assertEqual(Article.objects.get(pk=article.pk).view_count, 2)


class CompareTests(BaseTestCase):
    def test_the_diff_shows_changed_lines_escaped(self) -> None:
        article = write(self.engineer, body="第一行\n第二行")
        update_article(
            article, {"body": "第一行\n<script>alert(1)</script>"}, actor=self.engineer, version=1
        )
        old, new = article.versions.get(number=1), article.versions.get(number=2)
        lines = compare_versions(old, new)
        kinds = {(line.kind, str(line.text)) for line in lines}
        self.assertIn(("removed", "第二行"), kinds)
        self.assertIn(("added", "&lt;script&gt;alert(1)&lt;/script&gt;"), kinds)
        self.assertIn(("same", "第一行"), kinds)


class ArticleSearchTests(BaseTestCase):
    """Published articles are found by the shared search; drafts and retired ones not."""

    def test_a_published_article_is_found_and_a_retired_one_no_longer(self) -> None:
        from itsm.core.search import search

        def found(user: Any) -> list[int]:
            return [hit.object.pk for hit in search("打印机 卡纸", user=user).hits]

        draft = write(self.engineer, title="HIS 挂号打印机卡纸处理", body="打开前盖，取出卡纸。")
        self.assertEqual(found(self.engineer), [])
        article = article_in(
            ArticleStatus.PUBLISHED,
            author=self.engineer,
            reviewer=self.manager,
            title="HIS 挂号打印机卡纸处理",
            body="打开前盖，取出卡纸。",
        )
        self.assertEqual(found(self.nurse), [article.pk])
        self.assertNotIn(draft.pk, found(self.engineer))
        transition_article(article, "retire", actor=self.manager, data={"reason": "过时"})
        self.assertEqual(found(self.nurse), [])

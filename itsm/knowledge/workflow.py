"""The article lifecycle: draft → in_review → published → retired; a reviewer rejects back
to draft with a note; a published article is revised as a new draft."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.core.services import notify
from itsm.core.workflow import Transition, Workflow
from itsm.knowledge.choices import ArticleStatus
from itsm.knowledge.forms import RejectForm, RetireForm, ReviewNoteForm
from itsm.knowledge.models import REVIEW_PERMISSION, Article

S = ArticleStatus


# Guards: who may (403).


def is_author_or_reviewer(article: Article, actor: Any) -> str | None:
    if article.author_id == actor.pk or actor.has_perm(REVIEW_PERMISSION):
        return None
    return _("Only the author or a reviewer can do this.")


def is_not_author(article: Article, actor: Any) -> str | None:
    """Four eyes: nobody publishes his own text."""
    if article.author_id != actor.pk:
        return None
    return _("Someone other than the author reviews an article.")


# Actions: run inside the transaction, before the status is set.


def record_review(article: Article, *, actor: Any, data: dict[str, Any]) -> None:
    article.reviewer = actor if getattr(actor, "pk", None) else None
    article.review_note = data.get("note", "")


def take_over_draft(article: Article, *, actor: Any, data: dict[str, Any]) -> None:
    """Whoever revises a published article owns the new draft."""
    if getattr(actor, "pk", None):
        article.author = actor
    article.review_note = ""
    article.retired_at = None


# Effects: run inside the transaction, after the status is saved.


def tell_author(message: Any) -> Any:
    def effect(article: Article, *, actor: Any, data: dict[str, Any]) -> None:
        if article.author_id != getattr(actor, "pk", None):
            notify([article.author], article, message, params={"title": article.title})

    return effect


ARTICLE_WORKFLOW: Workflow[Any] = Workflow(
    initial=S.DRAFT,
    timestamps={S.PUBLISHED: "published_at", S.RETIRED: "retired_at"},
    transitions=(
        Transition(
            "submit",
            gettext_lazy("Submit for review"),
            (S.DRAFT,),
            S.IN_REVIEW,
            "knowledge.change_article",
            guards=(is_author_or_reviewer,),
            style="primary",
        ),
        Transition(
            "approve",
            gettext_lazy("Approve and publish"),
            (S.IN_REVIEW,),
            S.PUBLISHED,
            REVIEW_PERMISSION,
            form=ReviewNoteForm,
            guards=(is_not_author,),
            action=record_review,
            effects=(tell_author(gettext_lazy("Your article “%(title)s” is published.")),),
            style="success",
        ),
        Transition(
            "reject",
            gettext_lazy("Send back to the author"),
            (S.IN_REVIEW,),
            S.DRAFT,
            REVIEW_PERMISSION,
            form=RejectForm,
            action=record_review,
            effects=(tell_author(gettext_lazy("Your article “%(title)s” needs changes.")),),
            style="warning",
        ),
        Transition(
            "revise",
            gettext_lazy("Revise"),
            (S.PUBLISHED, S.RETIRED),
            S.DRAFT,
            "knowledge.change_article",
            action=take_over_draft,
        ),
        Transition(
            "retire",
            gettext_lazy("Retire"),
            (S.PUBLISHED,),
            S.RETIRED,
            REVIEW_PERMISSION,
            form=RetireForm,
            style="danger",
        ),
    ),
)

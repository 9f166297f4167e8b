"""Service verbs of the knowledge base: every write to an article goes through here, for
the pages and the API alike, atomic and audited."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from itsm.core.exceptions import StaleVersion, TransitionNotAllowed
from itsm.core.services import diff, write_audit
from itsm.core.workflow import apply_transition
from itsm.knowledge.choices import ArticleAudience, ArticleStatus
from itsm.knowledge.models import (
    WRITE_PERMISSION,
    Article,
    ArticleLink,
    ArticleVersion,
    ArticleVote,
)
from itsm.knowledge.search import index_article
from itsm.knowledge.workflow import ARTICLE_WORKFLOW

TEXT_FIELDS = ("title", "body", "category", "keywords", "audience")
RELATION_FIELDS = ("services", "ci_classes", "configuration_items")
EDITABLE_FIELDS = (*TEXT_FIELDS, *RELATION_FIELDS)


def _check_fields(fields: Mapping[str, Any]) -> None:
    """The service's own checks, whatever the caller validated: 400 per field."""
    errors: dict[str, str] = {}
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    for name in unknown:
        errors[name] = _("This field cannot be written here.")
    for name in ("title", "body"):
        if name in fields and not str(fields[name] or "").strip():
            errors[name] = _("This field is required.")
    if "title" in fields and len(str(fields["title"] or "")) > 200:
        errors["title"] = _("At most 200 characters.")
    if "audience" in fields and fields["audience"] not in ArticleAudience.values:
        errors["audience"] = _("Choose everyone or IT staff only.")
    if errors:
        raise ValidationError(errors)


def _relations(article: Article) -> dict[str, list[int]]:
    return {
        name: sorted(getattr(article, name).values_list("pk", flat=True))
        for name in RELATION_FIELDS
    }


def _save_revision(article: Article, *, actor: Any) -> ArticleVersion:
    last = article.versions.aggregate(n=models.Max("number"))["n"] or 0
    return ArticleVersion.objects.create(
        article=article,
        number=last + 1,
        title=article.title,
        body=article.body,
        author=actor,
        created_at=article.updated_at,
    )


@transaction.atomic
def create_article(fields: Mapping[str, Any], *, actor: Any) -> Article:
    """A new draft by the actor, saved as its revision 1."""
    if not actor.has_perm(WRITE_PERMISSION):
        raise PermissionDenied(_("You do not have permission to write articles."))
    _check_fields({"title": "", "body": "", **fields})
    values = {k: v for k, v in fields.items() if k in TEXT_FIELDS}
    article = Article.objects.create(author=actor, status=ARTICLE_WORKFLOW.initial, **values)
    for name in RELATION_FIELDS:
        if fields.get(name):
            getattr(article, name).set(fields[name])
    _save_revision(article, actor=actor)
    after = {**article.field_snapshot(), **_relations(article)}
    write_audit(article, actor=actor, action="create", changes=diff({}, after))
    return article


def may_edit(article: Article, actor: Any) -> bool:
    """Drafts are edited by whoever may see them and write articles: the author, and a
    reviewer on a draft sent back."""
    return article.status == ArticleStatus.DRAFT and actor.has_perm("knowledge.change_article")


@transaction.atomic
def update_article(
    article: Article, fields: Mapping[str, Any], *, actor: Any, version: int | None
) -> Article:
    """Edit a draft. The version read is required: if someone saved since, StaleVersion
    (409) and nothing is written. A changed title or text is saved as a new revision."""
    if not actor.has_perm("knowledge.change_article"):
        raise PermissionDenied(_("You do not have permission to edit articles."))
    _check_fields(fields)
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if version is None or version != locked.version:
        raise StaleVersion()
    if locked.status != ArticleStatus.DRAFT:
        raise TransitionNotAllowed(
            _("Only a draft can be edited: revise the article to change it.")
        )
    before = {**locked.field_snapshot(), **_relations(locked)}
    for name in TEXT_FIELDS:
        if name in fields:
            setattr(locked, name, fields[name])
    for name in RELATION_FIELDS:
        if name in fields:
            getattr(locked, name).set(fields[name] or [])
    after = {**locked.field_snapshot(), **_relations(locked)}
    changes = diff(before, after)
    if not changes:
        return locked
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save()
    if "title" in changes or "body" in changes:
        _save_revision(locked, actor=actor)
    changes = diff(before, {**locked.field_snapshot(), **_relations(locked)})
    write_audit(locked, actor=actor, action="update", changes=changes)
    return locked


def transition_article(
    article: Article,
    name: str,
    *,
    actor: Any,
    data: dict[str, Any] | None = None,
    version: int | None = None,
) -> Article:
    """Take one workflow transition (knowledge.workflow): submit, approve, reject, revise,
    retire."""
    with transaction.atomic():
        saved: Article = apply_transition(
            article, ARTICLE_WORKFLOW, name, actor=actor, data=data, version=version
        )
        # Published, it is found; revised or retired, it is not.
        index_article(saved)
    return saved


@transaction.atomic
def vote(article: Article, *, actor: Any, helpful: bool) -> Article:
    """One vote per reader on a published article; voting again changes his vote."""
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if locked.status != ArticleStatus.PUBLISHED:
        raise TransitionNotAllowed(_("Only published articles can be rated."))
    previous = ArticleVote.objects.filter(article=locked, user=actor).first()
    if previous is not None and previous.helpful == helpful:
        return locked
    ArticleVote.objects.update_or_create(
        article=locked, user=actor, defaults={"helpful": helpful, "created_at": timezone.now()}
    )
    counts = ArticleVote.objects.filter(article=locked).aggregate(
        helpful_votes=models.Count("pk", filter=models.Q(helpful=True)),
        unhelpful_votes=models.Count("pk", filter=models.Q(helpful=False)),
    )
    before = locked.field_snapshot()
    locked.helpful_count = counts["helpful_votes"]
    locked.unhelpful_count = counts["unhelpful_votes"]
    locked.save(update_fields=["helpful_count", "unhelpful_count"])
    write_audit(
        locked,
        actor=actor,
        action="vote:%s" % ("helpful" if helpful else "unhelpful"),
        changes=diff(before, locked.field_snapshot()),
    )
    index_article(locked)
    return locked


def record_view(article: Article) -> None:
    """Count one reading of a published article (a counter, not audited)."""
    if article.status == ArticleStatus.PUBLISHED:
        Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)
        article.view_count += 1


@transaction.atomic
def link_article(article: Article, target: models.Model, *, actor: Any) -> ArticleLink:
    """Link an article to a record of another process (an incident, a problem)."""
    link, created = ArticleLink.objects.get_or_create(
        article=article,
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        defaults={"created_by": actor if getattr(actor, "pk", None) else None},
    )
    if created:
        write_audit(
            article,
            actor=actor,
            action="link",
            changes={"link": [None, "%s:%s" % (link.content_type.model, target.pk)]},
        )
    return link


@transaction.atomic
def draft_from_incident(
    *, actor: Any, title: str, symptoms: str, resolution: str, source: models.Model
) -> Article:
    """A draft written from a resolved record (an incident, a problem): its symptoms and
    resolution under headings, linked back to the record."""
    body = "## %s\n\n%s\n\n## %s\n\n%s\n" % (
        _("Symptoms"),
        symptoms.strip() or "…",
        _("Resolution"),
        resolution.strip() or "…",
    )
    article = create_article({"title": title[:200] or str(source), "body": body}, actor=actor)
    link_article(article, source, actor=actor)
    return article


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed", "skip"
    text: str


def compare_versions(old: ArticleVersion, new: ArticleVersion) -> list[DiffLine]:
    """The lines that changed from one revision to another, with three lines of context;
    the text is HTML-escaped here, so templates show it as it is."""
    old_lines = ("# %s\n\n%s" % (old.title, old.body)).splitlines()
    new_lines = ("# %s\n\n%s" % (new.title, new.body)).splitlines()
    lines: list[DiffLine] = []
    for group in difflib.SequenceMatcher(None, old_lines, new_lines).get_grouped_opcodes(3):
        if lines:
            lines.append(DiffLine("skip", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(DiffLine("same", escape(t)) for t in old_lines[i1:i2])
                continue
            if tag in ("replace", "delete"):
                lines.extend(DiffLine("removed", escape(t)) for t in old_lines[i1:i2])
            if tag in ("replace", "insert"):
                lines.extend(DiffLine("added", escape(t)) for t in new_lines[j1:j2])
    return lines

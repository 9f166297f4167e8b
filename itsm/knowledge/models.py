"""The knowledge base: articles in a category tree, written in Markdown, reviewed before
they are published, with every saved revision kept and links to the incidents and problems
they came from."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.knowledge.choices import ArticleAudience, ArticleStatus

# IT staff read every published and retired article, internal ones included.
VIEW_PERMISSION = "knowledge.view_article"
WRITE_PERMISSION = "knowledge.add_article"
REVIEW_PERMISSION = "knowledge.review_article"


class Category(models.Model):
    """A shelf of the knowledge base; categories nest (HIS › 门诊 › 挂号)."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        ordering = ("name", "id")
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = (
            models.UniqueConstraint(fields=("parent", "name"), name="unique_kb_category_name"),
        )

    def __str__(self) -> str:
        return "%s › %s" % (self.parent, self.name) if self.parent_id else self.name

    def get_absolute_url(self) -> str:
        return "%s?category=%d" % (reverse("knowledge:article_list"), self.pk)


class ArticleQuerySet(models.QuerySet["Article"]):
    def visible_to(self, user: Any) -> ArticleQuerySet:
        """Requesters read published articles meant for everyone. IT staff read every
        published and retired article, their own drafts, and — when they review — what
        waits for review. Nobody sees someone else's unfinished draft."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        if not user.has_perm(VIEW_PERMISSION):
            return self.filter(status=ArticleStatus.PUBLISHED, audience=ArticleAudience.PUBLIC)
        condition = Q(status__in=(ArticleStatus.PUBLISHED, ArticleStatus.RETIRED)) | Q(author=user)
        if user.has_perm(REVIEW_PERMISSION):
            condition |= Q(status=ArticleStatus.IN_REVIEW)
        return self.filter(condition)

    def published(self) -> ArticleQuerySet:
        return self.filter(status=ArticleStatus.PUBLISHED)


class Article(models.Model):
    """One piece of knowledge: a fix, a workaround, a how-to."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=100000, help_text=_("Markdown."))
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="articles",
    )
    keywords = models.CharField(
        _("keywords"),
        max_length=300,
        blank=True,
        help_text=_("Words people search with, separated by spaces or commas."),
    )
    services = models.ManyToManyField(
        "cmdb.Service", verbose_name=_("services"), blank=True, related_name="articles"
    )
    ci_classes = models.ManyToManyField(
        "cmdb.CIClass", verbose_name=_("CI classes"), blank=True, related_name="articles"
    )
    configuration_items = models.ManyToManyField(
        "cmdb.ConfigurationItem",
        verbose_name=_("configuration items"),
        blank=True,
        related_name="articles",
    )
    audience = models.CharField(
        _("audience"),
        max_length=16,
        choices=ArticleAudience.choices,
        default=ArticleAudience.INTERNAL,
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ArticleStatus.choices,
        default=ArticleStatus.DRAFT,
        editable=False,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="articles",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewed_articles",
        editable=False,
    )
    review_note = models.TextField(_("review note"), blank=True, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True, editable=False)
    view_count = models.PositiveIntegerField(_("views"), default=0, editable=False)
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0, editable=False)
    unhelpful_count = models.PositiveIntegerField(_("not helpful"), default=0, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ("-updated_at", "-id")
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        permissions = (("review_article", _("Can review, publish and retire articles")),)
        indexes = (models.Index(fields=("status", "audience", "updated_at")),)

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledge:article_detail", args=[self.pk])

    @property
    def number(self) -> str:
        """How messages name the article ("KB12")."""
        return "KB%d" % self.pk

    def field_snapshot(self) -> dict[str, Any]:
        """Concrete field values, keyed by attribute name, for audit diffs."""
        return {f.attname: getattr(self, f.attname) for f in self._meta.concrete_fields}

    @property
    def revision(self) -> int:
        """The number of the latest saved revision of the text."""
        return int(self.versions.aggregate(n=models.Max("number"))["n"] or 0)


class ArticleVersion(models.Model):
    """One saved revision of an article's title and text, never changed afterwards."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ("-number",)
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")
        constraints = (
            models.UniqueConstraint(fields=("article", "number"), name="unique_article_revision"),
        )

    def __str__(self) -> str:
        return "%s r%d" % (self.article_id, self.number)


class ArticleVote(models.Model):
    """One reader's answer to "was this helpful?"; he may change it, not repeat it."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="votes"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = (
            models.UniqueConstraint(fields=("article", "user"), name="unique_article_vote"),
        )

    def __str__(self) -> str:
        return "%s %s %s" % (self.article_id, self.user_id, self.helpful)


class ArticleLink(models.Model):
    """An article's link to a record of another process (the incident or problem it was
    written from, or one it helped with)."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="links"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("linked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("article link")
        verbose_name_plural = _("article links")
        constraints = (
            models.UniqueConstraint(
                fields=("article", "content_type", "object_id"), name="unique_article_link"
            ),
        )
        indexes = (models.Index(fields=("content_type", "object_id")),)

    def __str__(self) -> str:
        return "%s → %s" % (self.article_id, self.target)

"""The knowledge base API: /api/articles/ with its transitions, revisions and votes. Every
write calls the same service verb as the pages. Everyone signed in may ask; what he sees is
`Article.objects.visible_to` (requesters: published articles meant for everyone), and the
services refuse what he may not do."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from itsm.cmdb.models import CIClass, ConfigurationItem, Service
from itsm.core.api.fields import PatternIdentityField, PrefetchingPrimaryKeyRelatedField
from itsm.core.api.transitions import TransitionsMixin
from itsm.core.api.viewsets import ObjectViewSet, StrictInputMixin
from itsm.knowledge.filters import ArticleFilterSet
from itsm.knowledge.markdown import render_markdown
from itsm.knowledge.models import VIEW_PERMISSION, Article, ArticleVersion
from itsm.knowledge.services import (
    EDITABLE_FIELDS,
    create_article,
    transition_article,
    update_article,
    vote,
)
from itsm.knowledge.workflow import ARTICLE_WORKFLOW


class ArticleSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """An article as every endpoint reads it back; `body_html` is the text rendered and
    sanitised, as the pages show it."""

    serializer_related_field = PrefetchingPrimaryKeyRelatedField
    url = PatternIdentityField(view_name="api:article-detail")
    body_html = serializers.SerializerMethodField()

    def get_body_html(self, instance: Article) -> str:
        return render_markdown(instance.body)

    class Meta:
        model = Article
        fields = (
            "id",
            "url",
            "title",
            "body",
            "body_html",
            "category",
            "keywords",
            "audience",
            "status",
            "services",
            "ci_classes",
            "configuration_items",
            "author",
            "reviewer",
            "review_note",
            "published_at",
            "retired_at",
            "view_count",
            "helpful_count",
            "unhelpful_count",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class ArticleCreateSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Article
        fields = EDITABLE_FIELDS


class ArticleUpdateSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """A PATCH of a draft: any editable fields plus the `version` the client read. A stale
    version is refused with 409 and nothing is written."""

    version = serializers.IntegerField(
        min_value=1, help_text=_("The version read; the edit is refused with 409 if it changed.")
    )

    @property
    def partial(self) -> bool:
        return False

    @partial.setter
    def partial(self, value: bool) -> None:
        pass

    class Meta:
        model = Article
        fields = (*EDITABLE_FIELDS, "version")
        extra_kwargs = {name: {"required": False} for name in EDITABLE_FIELDS}


class ArticleVersionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = ArticleVersion
        fields = ("number", "title", "body", "author", "created_at")
        read_only_fields = fields


class VoteSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    helpful = serializers.BooleanField(help_text=_("Whether the article helped."))


class ArticleViewSet(TransitionsMixin, ObjectViewSet):
    """Knowledge articles: list (search and filters), write a draft, read, edit a draft
    with `version`, the workflow's transitions, the revisions and the reader's vote."""

    queryset = (
        Article.objects.select_related("category")
        .order_by("-updated_at", "-id")
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.only("id")),
            Prefetch("ci_classes", queryset=CIClass.objects.only("id")),
            Prefetch("configuration_items", queryset=ConfigurationItem.objects.only("id")),
        )
    )
    serializer_class = ArticleSerializer
    filterset_class = ArticleFilterSet
    permission_classes = [IsAuthenticated]
    action_serializers = {
        "create": ArticleCreateSerializer,
        "partial_update": ArticleUpdateSerializer,
        "vote": VoteSerializer,
    }
    record_actions = ("transitions", "versions", "vote")
    conflict_actions = ("partial_update", "transitions", "vote")
    workflow = ARTICLE_WORKFLOW
    transition_service = transition_article

    def get_permissions(self) -> list[Any]:
        return [IsAuthenticated()]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Write a new draft (create_article): 403 without the permission to write."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        article = create_article(serializer.validated_data, actor=request.user)
        data = self.read_back(article)
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Edit a draft (update_article). `version` is required; if someone saved since,
        409 and nothing is written."""
        article = self.get_object()
        serializer = self.get_serializer(article, data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version")
        article = update_article(article, changes, actor=request.user, version=version)
        return Response(self.read_back(article))

    @extend_schema(
        responses={200: ArticleVersionSerializer(many=True)},
        description=str(_("Every saved revision of the title and text, newest first.")),
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def versions(self, request: Request, pk: Any = None) -> Response:
        article = self.get_object()
        if not request.user.has_perm(VIEW_PERMISSION):
            raise PermissionDenied(_("You do not have permission to read revisions."))
        rows: QuerySet[ArticleVersion] = article.versions.all()
        return Response(ArticleVersionSerializer(rows, many=True).data)

    @extend_schema(
        request=VoteSerializer,
        responses={200: ArticleSerializer},
        description=str(_("Say whether a published article helped; one vote per reader.")),
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def vote(self, request: Request, pk: Any = None) -> Response:
        article = self.get_object()
        serializer = VoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        article = vote(article, actor=request.user, helpful=serializer.validated_data["helpful"])
        return Response(self.read_back(article))

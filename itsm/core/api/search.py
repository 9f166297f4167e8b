"""GET /api/search/: the search page's hits for scripts and integrations: the same
parameters, visibility and order."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from itsm.core.api.schema import ApiSchema, ValidationErrorSerializer
from itsm.core.api.viewsets import activate_user_language
from itsm.core.choices import SearchKind
from itsm.core.search import SearchForm, SearchHit, search

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class SearchHitSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(choices=SearchKind.choices)
    id = serializers.IntegerField(help_text=_("The record's id in its own API."))
    title = serializers.CharField()
    title_html = serializers.CharField(
        help_text=_("The title, HTML-escaped, with the words found in <mark>.")
    )
    snippet_html = serializers.CharField(
        help_text=_("Text around the first word found, HTML-escaped, words in <mark>.")
    )
    score = serializers.FloatField()
    updated_at = serializers.DateTimeField()
    url = serializers.CharField(help_text=_("The record's web page."))


class SearchResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    q = serializers.CharField()
    terms = serializers.ListField(child=serializers.CharField())
    count = serializers.IntegerField()
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text=_("Matches per type, before the type filter.")
    )
    results = SearchHitSerializer(many=True)


def hit_data(hit: SearchHit) -> dict[str, Any]:
    return {
        "kind": hit.kind,
        "id": hit.object.pk,
        "title": hit.plain_title,
        "title_html": str(hit.title),
        "snippet_html": str(hit.snippet),
        "score": hit.score,
        "updated_at": hit.updated_at,
        "url": hit.url,
    }


class SearchApiView(APIView):
    """GET /api/search/?q=…&type=…: articles, incidents and problems the user may see."""

    permission_classes = [IsAuthenticated]
    schema = ApiSchema()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        activate_user_language(request)

    @extend_schema(
        operation_id="search",
        tags=["search"],
        parameters=[
            OpenApiParameter("q", str, description=str(_("The words; at most 200 characters."))),
            OpenApiParameter("type", str, enum=SearchKind.values),
            OpenApiParameter("service", int, description=str(_("A service's id."))),
            OpenApiParameter("category", str),
            OpenApiParameter("since", str, description=str(_("Updated on or after, YYYY-MM-DD."))),
            OpenApiParameter("until", str, description=str(_("Updated on or before, YYYY-MM-DD."))),
            OpenApiParameter("limit", int, description=str(_("1–100, default 20."))),
            OpenApiParameter("offset", int),
        ],
        responses={
            200: SearchResultSerializer,
            400: OpenApiResponse(
                response=ValidationErrorSerializer,
                description=str(_("Invalid input: a message per field.")),
            ),
        },
        description=str(
            _(
                "Chinese is cut into words; English words and codes stay whole. Hits are "
                "ordered by the share of words found, title matches, age and helpful votes."
            )
        ),
    )
    def get(self, request: Request) -> Response:
        form = SearchForm(request.query_params)
        errors: dict[str, list[str]] = {}
        if not form.is_valid():
            errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
        limit, offset = PAGE_SIZE, 0
        for name in ("limit", "offset"):
            value = request.query_params.get(name, "")
            if value and not value.isdigit():
                errors[name] = [str(_("Enter a whole number."))]
        if not errors:
            limit = int(request.query_params.get("limit") or PAGE_SIZE)
            offset = int(request.query_params.get("offset") or 0)
            if not 1 <= limit <= MAX_PAGE_SIZE:
                errors["limit"] = [str(_("Enter a number from 1 to 100."))]
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        try:
            found = search(
                form.cleaned_data["q"],
                user=request.user,
                limit=limit,
                offset=offset,
                counts=True,
                **form.filters(),
            )
        except ValidationError as error:
            return Response(error.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {
                "q": found.query,
                "terms": found.terms,
                "count": found.total,
                "counts": found.counts,
                "results": [hit_data(hit) for hit in found.hits],
            }
        )

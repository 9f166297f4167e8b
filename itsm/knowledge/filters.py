"""The article list's filters, shared by /kb/ and /api/articles/."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from itsm.knowledge.choices import ArticleAudience, ArticleStatus
from itsm.knowledge.models import Article, Category


class ArticleFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=100)
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=Category.objects.select_related("parent")
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ArticleStatus.choices)
    audience = django_filters.ChoiceFilter(label=_("Audience"), choices=ArticleAudience.choices)

    class Meta:
        model = Article
        fields = ("q", "category", "status", "audience")

    def search(self, queryset: QuerySet[Article], name: str, value: str) -> QuerySet[Article]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value) | Q(keywords__icontains=value) | Q(body__icontains=value)
        )

"""The article list's filters, shared by /kb/ and /api/articles/."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from itsm.knowledge.choices import ArticleAudience, ArticleStatus
from itsm.knowledge.models import Article, Category


def category_and_below(category: Category) -> set[int]:
    """The ids of the category and of every category below it, read in one query (the
    knowledge base has tens of categories, not thousands)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found: set[int] = set()
    todo = [category.pk]
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo.extend(children.get(pk, []))
    return found


class ArticleFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=100)
    category = django_filters.ModelChoiceFilter(
        label=_("Category"),
        queryset=Category.objects.select_related("parent"),
        method="filter_category",
        help_text=_("Includes its subcategories."),
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ArticleStatus.choices)
    audience = django_filters.ChoiceFilter(label=_("Audience"), choices=ArticleAudience.choices)

    class Meta:
        model = Article
        fields = ("q", "category", "status", "audience")

    def filter_category(
        self, queryset: QuerySet[Article], name: str, value: Category | None
    ) -> QuerySet[Article]:
        """The category and every category below it: "HIS" lists the articles filed
        under HIS › 门诊 › 挂号 too."""
        if value is None:
            return queryset
        return queryset.filter(category_id__in=category_and_below(value))

    def search(self, queryset: QuerySet[Article], name: str, value: str) -> QuerySet[Article]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value) | Q(keywords__icontains=value) | Q(body__icontains=value)
        )

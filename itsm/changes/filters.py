"""The FilterSet of the change list; it serves the page and the API endpoint."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import SupportGroup
from itsm.changes.choices import OPEN_CHANGE_STATUSES, ChangeStatus, ChangeType, RiskLevel
from itsm.changes.models import Change
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.moments import MomentFilter


class ChangeFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(label=_("Number or title"), method="filter_q", max_length=100)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ChangeStatus.choices)
    open = django_filters.BooleanFilter(label=_("Open only"), method="filter_open")
    change_type = django_filters.ChoiceFilter(label=_("Type"), choices=ChangeType.choices)
    risk_level = django_filters.ChoiceFilter(label=_("Risk level"), choices=RiskLevel.choices)
    service = django_filters.ModelChoiceFilter(label=_("Service"), queryset=Service.objects.all())
    configuration_item = django_filters.ModelChoiceFilter(
        label=_("Configuration item"),
        queryset=ConfigurationItem.objects.all(),
        field_name="configuration_items",
    )
    assignment_group = django_filters.ModelChoiceFilter(
        label=_("Assignment group"), queryset=SupportGroup.objects.all()
    )
    starts_after = MomentFilter(
        label=_("Planned start from"), field_name="planned_start", lookup_expr="gte"
    )
    starts_before = MomentFilter(
        label=_("Planned start before"), field_name="planned_start", lookup_expr="lt"
    )

    class Meta:
        model = Change
        fields = (
            "q",
            "status",
            "open",
            "change_type",
            "risk_level",
            "service",
            "configuration_item",
            "assignment_group",
            "starts_after",
            "starts_before",
        )

    def filter_q(self, queryset: QuerySet[Change], name: str, value: str) -> QuerySet[Change]:
        for word in value.split():
            queryset = queryset.filter(Q(number__icontains=word) | Q(title__icontains=word))
        return queryset

    def filter_open(self, queryset: QuerySet[Any], name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        if value:
            return queryset.filter(status__in=OPEN_CHANGE_STATUSES)
        return queryset.exclude(status__in=OPEN_CHANGE_STATUSES)

"""The FilterSets of the release and deployment lists; each serves its page and its API
endpoint."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import SupportGroup
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.releases.choices import (
    OPEN_RELEASE_STATUSES,
    DeploymentEnvironment,
    DeploymentOutcome,
    ReleaseStatus,
    ReleaseType,
)
from itsm.releases.models import Deployment, Release


class ReleaseFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(
        label=_("Number, title or version"), method="filter_q", max_length=100
    )
    status = django_filters.ChoiceFilter(label=_("Stage"), choices=ReleaseStatus.choices)
    open = django_filters.BooleanFilter(label=_("Open only"), method="filter_open")
    release_type = django_filters.ChoiceFilter(label=_("Type"), choices=ReleaseType.choices)
    service = django_filters.ModelChoiceFilter(label=_("Service"), queryset=Service.objects.all())
    ci = django_filters.ModelChoiceFilter(
        label=_("Configuration item"),
        field_name="configuration_items",
        queryset=ConfigurationItem.objects.all(),
    )
    assignment_group = django_filters.ModelChoiceFilter(
        label=_("Assignment group"), queryset=SupportGroup.objects.all()
    )

    class Meta:
        model = Release
        fields = ("q", "status", "open", "release_type", "service", "ci", "assignment_group")

    def filter_q(self, queryset: QuerySet[Release], name: str, value: str) -> QuerySet[Release]:
        for word in value.split():
            queryset = queryset.filter(
                Q(number__icontains=word)
                | Q(title__icontains=word)
                | Q(release_version__icontains=word)
            )
        return queryset

    def filter_open(self, queryset: QuerySet[Any], name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        if value:
            return queryset.filter(status__in=OPEN_RELEASE_STATUSES)
        return queryset.exclude(status__in=OPEN_RELEASE_STATUSES)


class DeploymentFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    """What version went where and when: by item, environment, release, outcome."""

    ci = django_filters.ModelChoiceFilter(
        label=_("Configuration item"),
        field_name="configuration_item",
        queryset=ConfigurationItem.objects.all(),
    )
    environment = django_filters.ChoiceFilter(
        label=_("Environment"), choices=DeploymentEnvironment.choices
    )
    release = django_filters.ModelChoiceFilter(label=_("Release"), queryset=Release.objects.all())
    outcome = django_filters.ChoiceFilter(label=_("Outcome"), choices=DeploymentOutcome.choices)

    class Meta:
        model = Deployment
        fields = ("ci", "environment", "release", "outcome")

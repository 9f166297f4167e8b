"""The FilterSets of the problem lists; each serves its page and its API endpoint."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import SupportGroup
from itsm.cmdb.models import Service
from itsm.core.choices import TicketPriority
from itsm.problems.choices import OPEN_PROBLEM_STATUSES, ProblemStatus, ProposalStatus
from itsm.problems.models import Problem, ProposedProblem


class ProblemFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(label=_("Number or title"), method="filter_q", max_length=100)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ProblemStatus.choices)
    open = django_filters.BooleanFilter(label=_("Open only"), method="filter_open")
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=TicketPriority.choices)
    service = django_filters.ModelChoiceFilter(label=_("Service"), queryset=Service.objects.all())
    assignment_group = django_filters.ModelChoiceFilter(
        label=_("Assignment group"), queryset=SupportGroup.objects.all()
    )

    class Meta:
        model = Problem
        fields = ("q", "status", "open", "priority", "service", "assignment_group")

    def filter_q(self, queryset: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        for word in value.split():
            queryset = queryset.filter(Q(number__icontains=word) | Q(title__icontains=word))
        return queryset

    def filter_open(self, queryset: QuerySet[Any], name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        if value:
            return queryset.filter(status__in=OPEN_PROBLEM_STATUSES)
        return queryset.exclude(status__in=OPEN_PROBLEM_STATUSES)


class ProposedProblemFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ProposalStatus.choices)

    class Meta:
        model = ProposedProblem
        fields = ("status",)

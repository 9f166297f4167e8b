"""The FilterSets of the service level lists; each serves its page and its API endpoint."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import Department, SupportGroup, User, Vendor
from itsm.cmdb.choices import Criticality, ServiceStatus
from itsm.cmdb.models import Service
from itsm.core.moments import MomentFilter
from itsm.sla.choices import AgreementKind, CalendarDayKind
from itsm.sla.models import Agreement, BusinessCalendar, CalendarDay, DutyShift, StatutoryDay


def filter_words(queryset: QuerySet[Any], fields: tuple[str, ...], value: str) -> QuerySet[Any]:
    """Every word must appear in one of the fields."""
    for word in value.split():
        condition = Q()
        for field in fields:
            condition |= Q(**{"%s__icontains" % field: word})
        queryset = queryset.filter(condition)
    return queryset


class ServiceFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(label=_("Code or name"), method="filter_q")
    criticality = django_filters.ChoiceFilter(label=_("Criticality"), choices=Criticality.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ServiceStatus.choices)
    owner_group = django_filters.ModelChoiceFilter(
        label=_("Owner group"), queryset=SupportGroup.objects.all()
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department served"),
        queryset=Department.objects.all(),
        method="filter_department",
    )

    class Meta:
        model = Service
        fields = ("q", "criticality", "status", "owner_group", "department")

    def filter_q(self, queryset: QuerySet[Service], name: str, value: str) -> QuerySet[Service]:
        return filter_words(queryset, ("code", "name"), value)

    def filter_department(
        self, queryset: QuerySet[Service], name: str, value: Department | None
    ) -> QuerySet[Service]:
        """A department is served by the services naming it and by those serving the whole
        hospital (no departments)."""
        if value is None:
            return queryset
        return queryset.filter(Q(departments=value) | Q(departments__isnull=True)).distinct()


class AgreementFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(label=_("Name"), method="filter_q")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=AgreementKind.choices)
    active = django_filters.BooleanFilter(label=_("Active"))
    calendar = django_filters.ModelChoiceFilter(
        label=_("Calendar"), queryset=BusinessCalendar.objects.all()
    )
    service = django_filters.ModelChoiceFilter(
        label=_("Service"), field_name="services", queryset=Service.objects.all()
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), field_name="departments", queryset=Department.objects.all()
    )
    support_group = django_filters.ModelChoiceFilter(
        label=_("Support group"), queryset=SupportGroup.objects.all()
    )
    vendor = django_filters.ModelChoiceFilter(label=_("Vendor"), queryset=Vendor.objects.all())

    class Meta:
        model = Agreement
        fields = (
            "q",
            "kind",
            "active",
            "calendar",
            "service",
            "department",
            "support_group",
            "vendor",
        )

    def filter_q(self, queryset: QuerySet[Agreement], name: str, value: str) -> QuerySet[Agreement]:
        return filter_words(queryset, ("name", "description"), value)


class CalendarFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(label=_("Name"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = BusinessCalendar
        fields = ("q", "always_open", "statutory_holidays")


class YearFilter(django_filters.NumberFilter):  # type: ignore[misc]
    """A calendar year, a whole number from 1 to 9999 (a fraction or a year a date cannot
    have is a 400, not a failed lookup)."""

    field_class = forms.IntegerField

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 9999)
        super().__init__(field_name="date", lookup_expr="year", **kwargs)


class CalendarDayFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    calendar = django_filters.ModelChoiceFilter(
        label=_("Calendar"), queryset=BusinessCalendar.objects.all()
    )
    year = YearFilter(label=_("Year"))
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=CalendarDayKind.choices)

    class Meta:
        model = CalendarDay
        fields = ("calendar", "year", "kind")


class StatutoryDayFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    year = YearFilter(label=_("Year"))
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=CalendarDayKind.choices)

    class Meta:
        model = StatutoryDay
        fields = ("year", "kind")


class DutyShiftFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    user = django_filters.ModelChoiceFilter(
        label=_("On-duty manager"), queryset=User.objects.filter(is_active=True)
    )
    on = MomentFilter(label=_("On duty at"), method="filter_on")
    after = django_filters.DateFilter(
        label=_("Ending from"), field_name="ends_at", lookup_expr="date__gte"
    )

    class Meta:
        model = DutyShift
        fields = ("user", "on", "after")

    def filter_on(self, queryset: QuerySet[DutyShift], name: str, value: Any) -> Any:
        return queryset.filter(starts_at__lte=value, ends_at__gt=value)

"""The API's filter backend: django-filter's, with record choices that refuse a number no
database column can hold and moments no database can store (a 400 for that field) instead
of letting the query fail."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend, FilterSet

from itsm.core.moments import MomentFilter

BIGINT_MAX = 2**63 - 1


class RecordsField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Several records by id; an id outside a 64-bit integer is invalid, as a word is."""

    def _check_values(self, value: Any) -> Any:
        model = self.queryset.model  # type: ignore[union-attr]
        key = (
            model._meta.pk
            if self.to_field_name is None
            else model._meta.get_field(self.to_field_name)
        )
        if isinstance(key, models.IntegerField | models.AutoField):
            for item in value:
                try:
                    number = int(item)
                except (TypeError, ValueError):
                    continue  # Django's own check says it is not a valid choice.
                if not -BIGINT_MAX <= number <= BIGINT_MAX:
                    raise forms.ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": item},
                    )
        return super()._check_values(value)  # type: ignore[misc]


class RecordsFilter(django_filters.ModelMultipleChoiceFilter):  # type: ignore[misc]
    field_class = RecordsField


class BoundedFilterSet(FilterSet):  # type: ignore[misc]
    """The FilterSet behind `filterset_fields`: to-many relations filter through
    RecordsFilter."""

    FILTER_DEFAULTS = {
        **FilterSet.FILTER_DEFAULTS,
        **{
            field: {**FilterSet.FILTER_DEFAULTS[field], "filter_class": RecordsFilter}
            for field in (models.ManyToManyField, models.ManyToOneRel, models.ManyToManyRel)
        },
        models.DateTimeField: {"filter_class": MomentFilter},
    }


class FilterBackend(DjangoFilterBackend):  # type: ignore[misc]
    """Filters lists only: a record's own endpoints (`detail` routes: read, edit, its
    actions) take no filter parameters, and building the filter set and its form for them
    cost as much as the record's query."""

    filterset_base = BoundedFilterSet

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        if getattr(view, "detail", False):
            return queryset
        return super().filter_queryset(request, queryset, view)

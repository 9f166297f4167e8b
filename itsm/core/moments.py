"""Moments users and clients give (form fields, list filters, query parameters): read in
the current time zone and refused, as a field error, when no database can store them.

A moment may come with any UTC offset Python accepts (up to ±23:59), but PostgreSQL stores
offsets only up to ±15:59, and a moment in the year 1 or 9999 may leave the calendar once
moved to UTC: both were server errors. Before 1901 the current time zone (Asia/Shanghai)
keeps local mean time, an offset of +08:05:43 that ISO 8601 cannot write, so the API would
read such a moment back in a form its own schema refuses. Every moment is therefore moved
into the current time zone and must fall in the years 1901 to 9999, before any query sees
it; nothing a hospital's IT department records happened earlier."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from rest_framework import serializers

FIRST_YEAR = 1901
OUT_OF_RANGE = _("Give a moment between the years 1901 and 9999.")


def local_moment(value: datetime.datetime) -> datetime.datetime:
    """`value` (aware) in the current time zone; ValidationError (code "overflow") if it,
    or its UTC equivalent, falls outside the years 1901 to 9999."""
    try:
        local = timezone.localtime(value)
        local.astimezone(datetime.UTC)
    except OverflowError as exc:
        raise ValidationError(OUT_OF_RANGE, code="overflow") from exc
    if local.year < FIRST_YEAR:
        raise ValidationError(OUT_OF_RANGE, code="overflow")
    return local


class MomentFieldMixin:
    def to_python(self, value: Any) -> datetime.datetime | None:
        moment: datetime.datetime | None = super().to_python(value)  # type: ignore[misc]
        if moment is None or timezone.is_naive(moment):
            return moment
        return local_moment(moment)


class MomentField(MomentFieldMixin, forms.DateTimeField):
    """A form's date and time."""


# What a form's date and time accepts: the browser's datetime-local, and typed by hand.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]


class DateTimeInput(forms.DateTimeInput):
    """The browser's own date and time picker."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def datetime_field(label: Any, *, required: bool = False) -> MomentField:
    """A form's date and time, picked in the browser or typed."""
    return MomentField(
        label=label, required=required, widget=DateTimeInput(), input_formats=DATETIME_FORMATS
    )


class IsoMomentField(MomentFieldMixin, IsoDateTimeField):  # type: ignore[misc]
    """An API filter's ISO 8601 date and time."""


class MomentFilter(django_filters.IsoDateTimeFilter):  # type: ignore[misc]
    field_class = IsoMomentField


class MomentSerializerField(serializers.DateTimeField):
    """An API body's date and time (the writing serializers map model date-times to it)."""

    def to_internal_value(self, value: Any) -> datetime.datetime:
        moment: datetime.datetime = super().to_internal_value(value)
        if timezone.is_naive(moment):
            return moment
        try:
            return local_moment(moment)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages, code="overflow") from None

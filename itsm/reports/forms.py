"""The report's selection, read from the query string by the page, the exports and the
API alike: one set of rules and messages for all three."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from itsm.reports.choices import ReportDimension, ReportMetric
from itsm.reports.services import ReportQuery, parse_value
from itsm.sla.choices import AgreementKind

FIRST_YEAR = 2000
LAST_YEAR = 2100
FIELDS = ("year", "month", "dimension", "metric", "kind")


def month_choices() -> list[tuple[str, Any]]:
    return [("", _("Whole year, by month"))] + [(str(m), MONTHS[m]) for m in range(1, 13)]


class SlaReportForm(forms.Form):
    """Year, optional month, dimension, metric and agreement kind. Missing fields take
    their defaults (this year, by month, by service, both clocks, every kind)."""

    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    month = forms.TypedChoiceField(
        label=_("Month"), choices=month_choices, coerce=int, empty_value=None, required=False
    )
    dimension = forms.ChoiceField(label=_("Break down by"), choices=ReportDimension.choices)
    metric = forms.ChoiceField(label=_("Clock"), choices=ReportMetric.choices)
    kind = forms.ChoiceField(
        label=_("Agreement kind"),
        choices=[("", _("All kinds")), *AgreementKind.choices],
        required=False,
    )

    def __init__(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        defaults = {
            "year": str(timezone.localdate().year),
            "month": "",
            "dimension": ReportDimension.SERVICE,
            "metric": ReportMetric.BOTH,
            "kind": "",
        }
        given = {name: data[name] for name in FIELDS if name in data}
        super().__init__({**defaults, **given}, **kwargs)

    def report_query(self) -> ReportQuery:
        """The selection; call after is_valid()."""
        data = self.cleaned_data
        return ReportQuery(
            year=data["year"],
            month=data["month"],
            dimension=data["dimension"],
            metric=data["metric"],
            kind=data["kind"],
        )

    def errors_by_field(self) -> dict[str, list[str]]:
        return {name: [str(m) for m in messages] for name, messages in self.errors.items()}


class BreachedTicketsForm(SlaReportForm):
    """The drill-down: the report's selection narrowed to one month and, optionally, one
    dimension value ("none" for tickets without one)."""

    value = forms.CharField(label=_("Value"), required=False, max_length=40)

    def __init__(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.data = {**self.data, "value": data.get("value", "")}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("month") is None and "month" not in self.errors:
            self.add_error("month", _("Choose a month."))
        value = data.get("value", "")
        dimension = data.get("dimension")
        if value and dimension:
            try:
                parse_value(dimension, value)
            except ValueError:
                self.add_error("value", _("Not a value of this breakdown."))
        return data


class FirstContactReportForm(forms.Form):
    """The last month of the report's twelve; missing fields take this month."""

    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    month = forms.TypedChoiceField(
        label=_("Up to month"), choices=[(str(m), MONTHS[m]) for m in range(1, 13)], coerce=int
    )

    def __init__(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        today = timezone.localdate()
        defaults = {"year": str(today.year), "month": str(today.month)}
        given = {name: data[name] for name in ("year", "month") if name in data}
        super().__init__({**defaults, **given}, **kwargs)

    def errors_by_field(self) -> dict[str, list[str]]:
        return {name: [str(m) for m in messages] for name, messages in self.errors.items()}

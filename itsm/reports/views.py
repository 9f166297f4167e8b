"""Report pages for IT staff: the SLA compliance report (months × a breakdown, the two
clocks side by side), its CSV and Excel exports, and the breached tickets behind each
number. Only users with REPORT_PERMISSION open them (403 for everyone else)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.core.exports import audit_export
from itsm.core.views import ItsmView, error_response
from itsm.incidents.models import Incident
from itsm.reports.choices import ReportDimension, ReportMetric
from itsm.reports.exports import (
    csv_response,
    first_contact_file_name,
    first_contact_response,
    xlsx_response,
)
from itsm.reports.forms import BreachedTicketsForm, FirstContactReportForm, SlaReportForm
from itsm.reports.services import (
    DANGER_BELOW,
    REPORT_PERMISSION,
    WARNING_BELOW,
    ComplianceRow,
    ReportLine,
    ReportQuery,
    breached_tickets,
    compliance_rows,
    dimension_labels,
    first_contact_rows,
    grand_total,
    parse_value,
    pivot,
    share,
)
from itsm.sla.choices import AgreementKind
from itsm.sla.models import Agreement

# The drill-down page lists at most this many clocks; the Excel file's second sheet at
# most EXPORT_LIMIT (a month of one value rarely has more than a few dozen).
PAGE_LIMIT = 500
EXPORT_LIMIT = 20_000


def query_params(query: ReportQuery) -> dict[str, Any]:
    return {
        "year": query.year,
        "month": query.month or "",
        "dimension": query.dimension,
        "metric": query.metric,
        "kind": query.kind,
    }


def breached_url(query: ReportQuery, row: ComplianceRow, value: str) -> str:
    """The drill-down of one number: its month, its metric, and its value ("" for a
    month's total)."""
    params = {
        **query_params(query),
        "month": row.month.month,
        "metric": row.metric,
        "value": value,
    }
    return reverse("reports:sla_breached") + "?" + urlencode(params)


class ReportView(ItsmView):
    permission = REPORT_PERMISSION
    permission_message = _("Reports are open to IT staff who may see every incident.")
    nav: ClassVar[str] = "reports"


class SlaComplianceView(ReportView):
    """The report page: the selection as a GET form, the table, the export links."""

    template_name = "reports/sla_compliance.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = SlaReportForm(request.GET)
        context: dict[str, Any] = {
            "nav": self.nav,
            "form": form,
            "warning_below": WARNING_BELOW,
            "danger_below": DANGER_BELOW,
        }
        if not form.is_valid():
            return self.render(context, status=400)
        query = form.report_query()
        rows = compliance_rows(query)
        metrics = query.metrics
        months = pivot(rows, metrics)
        total = (
            grand_total(rows, metrics, gettext("Year total"))
            if query.month is None and len(months) > 1
            else None
        )
        params = urlencode(query_params(query))
        context.update(
            query=query,
            dimension_label=ReportDimension(query.dimension).label,
            metric_labels=[ReportMetric(m).label for m in metrics],
            months=[
                {
                    "month": month.month,
                    "lines": [self.line(query, line) for line in month.lines],
                    "total": self.line(query, month.total) if month.total else None,
                }
                for month in months
            ],
            total=self.line(query, total, link=False) if total else None,
            csv_url=reverse("reports:sla_export", args=["csv"]) + "?" + params,
            xlsx_url=reverse("reports:sla_export", args=["xlsx"]) + "?" + params,
            kind_label=AgreementKind(query.kind).label if query.kind else "",
            period_start=query.period()[0],
        )
        return self.render(context)

    @staticmethod
    def line(query: ReportQuery, line: ReportLine, *, link: bool = True) -> dict[str, Any]:
        return {
            "label": line.label,
            "total": line.total,
            "cells": [
                {
                    "row": cell,
                    "url": breached_url(query, cell, line.value)
                    if link and cell is not None and cell.breached
                    else "",
                }
                for cell in line.cells
            ],
        }


class SlaExportView(ReportView):
    """The report as CSV or Excel; the Excel file adds the breached tickets (those the user
    may see) on a second sheet."""

    def get(self, request: HttpRequest, fmt: str) -> HttpResponse:
        form = SlaReportForm(request.GET)
        if not form.is_valid():
            message = "; ".join(
                "%s: %s" % (form.fields[name].label, " ".join(errors))
                for name, errors in form.errors_by_field().items()
            )
            return error_response(request, 400, message)
        query = form.report_query()
        rows = compliance_rows(query)
        tickets = (
            breached_tickets(query, user=request.user, limit=EXPORT_LIMIT) if fmt != "csv" else []
        )
        audit_export(
            request.user,
            target=Agreement,
            name="sla-compliance.%s" % fmt,
            query=request.GET.urlencode(),
            rows=len(rows) + len(tickets),
        )
        if fmt == "csv":
            return csv_response(query, rows)
        return xlsx_response(query, rows, tickets)


class SlaBreachedView(ReportView):
    """The breached tickets behind one number of the report, as far as the user may see
    them."""

    template_name = "reports/sla_breached.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = BreachedTicketsForm(request.GET)
        context: dict[str, Any] = {"nav": self.nav, "form": form}
        if not form.is_valid():
            return self.render(context, status=400)
        query = form.report_query()
        value = form.cleaned_data["value"]
        tickets = breached_tickets(query, user=request.user, value=value, limit=PAGE_LIMIT)
        label = ""
        if value:
            key = parse_value(query.dimension, value)
            label = dimension_labels(query.dimension, [key]).get(key, "")
        context.update(
            query=query,
            tickets=tickets,
            limited=len(tickets) >= PAGE_LIMIT,
            limit=PAGE_LIMIT,
            dimension_label=ReportDimension(query.dimension).label,
            value_label=label,
            metric_label=ReportMetric(query.metric).label,
            kind_label=AgreementKind(query.kind).label if query.kind else "",
            month_start=query.period()[0],
            report_url=reverse("reports:sla_compliance") + "?" + urlencode(query_params(query)),
        )
        return self.render(context)


def form_error_message(form: Any) -> str:
    return "; ".join(
        "%s: %s" % (form.fields[name].label, " ".join(errors))
        for name, errors in form.errors_by_field().items()
    )


class FirstContactView(ReportView):
    """First-contact and knowledge-base resolution rates, month by month for a year."""

    template_name = "reports/first_contact.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = FirstContactReportForm(request.GET)
        context: dict[str, Any] = {"nav": self.nav, "form": form}
        if not form.is_valid():
            return self.render(context, status=400)
        year, month = form.cleaned_data["year"], form.cleaned_data["month"]
        rows = first_contact_rows(year, month)
        params = urlencode({"year": year, "month": month})
        logged = sum(row.logged for row in rows)
        first_contact = sum(row.first_contact for row in rows)
        resolved = sum(row.resolved for row in rows)
        kb_solved = sum(row.kb_solved for row in rows)
        context.update(
            rows=rows,
            period_first=rows[0].month,
            period_last=rows[-1].month,
            logged=logged,
            first_contact=first_contact,
            first_contact_rate=share(first_contact, logged),
            resolved=resolved,
            kb_solved=kb_solved,
            kb_rate=share(kb_solved, resolved),
            csv_url=reverse("reports:first_contact_export", args=["csv"]) + "?" + params,
            xlsx_url=reverse("reports:first_contact_export", args=["xlsx"]) + "?" + params,
        )
        return self.render(context)


class FirstContactExportView(ReportView):
    def get(self, request: HttpRequest, fmt: str) -> HttpResponseBase:
        form = FirstContactReportForm(request.GET)
        if not form.is_valid():
            return error_response(request, 400, form_error_message(form))
        rows = first_contact_rows(form.cleaned_data["year"], form.cleaned_data["month"])
        audit_export(
            request.user,
            target=Incident,
            name=first_contact_file_name(rows, fmt),
            query=request.GET.urlencode(),
            rows=len(rows),
        )
        return first_contact_response(rows, fmt)

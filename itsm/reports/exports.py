"""The SLA compliance report as files: CSV and Excel .xlsx (written by `itsm.core.exports`)
with the breached tickets on a second sheet. Both have the same columns and a header row in
the user's language."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils.formats import date_format
from django.utils.translation import gettext

from itsm.core.exports import (
    CSV_TYPE,
    XLSX_TYPE,
    Link,
    add_sheet,
    attachment,
    csv_chunks,
    workbook,
)
from itsm.core.exports import csv_response as core_csv_response
from itsm.core.exports import xlsx_response as core_xlsx_response
from itsm.reports.choices import ReportDimension, ReportMetric
from itsm.reports.services import BreachedTicket, ComplianceRow, FirstContactRow, ReportQuery


def month_label(row_month: Any) -> str:
    """ "2026年11月" in Chinese, "November 2026" in English."""
    return date_format(row_month, "YEAR_MONTH_FORMAT")


def header(query: ReportQuery) -> list[str]:
    return [
        gettext("Month"),
        str(ReportDimension(query.dimension).label),
        gettext("Clock"),
        gettext("Measured"),
        gettext("Met"),
        gettext("Breached"),
        gettext("Compliance (%)"),
    ]


def table(rows: Sequence[ComplianceRow]) -> list[list[Any]]:
    return [
        [
            month_label(row.month),
            row.label,
            str(ReportMetric(row.metric).label),
            row.measured,
            row.met,
            row.breached,
            row.compliance,
        ]
        for row in rows
    ]


def file_name(query: ReportQuery, extension: str) -> str:
    period = "%04d" % query.year if query.month is None else "%04d-%02d" % (query.year, query.month)
    return "sla-compliance-%s-%s.%s" % (period, query.dimension, extension)


def csv_response(query: ReportQuery, rows: Sequence[ComplianceRow]) -> HttpResponse:
    content = b"".join(csv_chunks(header(query), table(rows)))
    response = HttpResponse(content, content_type=CSV_TYPE)
    attachment(response, file_name(query, "csv"))
    return response


def detail_header() -> list[str]:
    return [
        gettext("Month"),
        gettext("Number"),
        gettext("Title"),
        gettext("Priority"),
        gettext("Clock"),
        gettext("Agreement kind"),
        gettext("Agreement"),
        gettext("Support group"),
        gettext("Service"),
        gettext("Department"),
        gettext("Due"),
        gettext("Stopped"),
        gettext("Late by (working time)"),
    ]


def detail_table(tickets: Sequence[BreachedTicket]) -> list[list[Any]]:
    base = settings.ITSM_BASE_URL
    return [
        [
            month_label(ticket.month),
            Link(ticket.incident.number, base + ticket.incident.get_absolute_url()),
            ticket.incident.title,
            ticket.clock.get_priority_display(),
            ticket.metric_label,
            ticket.clock.kind.upper(),
            ticket.clock.agreement.name,
            str(ticket.group or ""),
            str(ticket.incident.service or ""),
            str(ticket.incident.department or ""),
            ticket.due_at,
            ticket.clock.stopped_at,
            ticket.late,
        ]
        for ticket in tickets
    ]


def xlsx_response(
    query: ReportQuery, rows: Sequence[ComplianceRow], tickets: Sequence[BreachedTicket]
) -> HttpResponse:
    book = workbook()
    add_sheet(
        book, gettext("SLA compliance"), header(query), table(rows), number_formats={6: "0.0"}
    )
    add_sheet(book, gettext("Breached tickets"), detail_header(), detail_table(tickets))
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    attachment(response, file_name(query, "xlsx"))
    return response


# The first-contact and knowledge-base resolution report ----------------------------------


def first_contact_header() -> list[str]:
    return [
        gettext("Month"),
        gettext("Calls logged by the desk"),
        gettext("Resolved at first contact"),
        gettext("First-contact resolution rate (%)"),
        gettext("Incidents resolved"),
        gettext("Solved by the knowledge base"),
        gettext("Knowledge-base resolution rate (%)"),
    ]


def first_contact_table(rows: Sequence[FirstContactRow]) -> list[list[Any]]:
    return [
        [
            month_label(row.month),
            row.logged,
            row.first_contact,
            row.first_contact_rate,
            row.resolved,
            row.kb_solved,
            row.kb_rate,
        ]
        for row in rows
    ]


def first_contact_file_name(rows: Sequence[FirstContactRow], extension: str) -> str:
    return "first-contact-%s-%s.%s" % (
        rows[0].month.strftime("%Y-%m"),
        rows[-1].month.strftime("%Y-%m"),
        extension,
    )


def first_contact_response(rows: Sequence[FirstContactRow], fmt: str) -> HttpResponseBase:
    """The report as CSV or as an Excel file with one sheet."""
    name = first_contact_file_name(rows, fmt)
    if fmt == "csv":
        return core_csv_response(name, first_contact_header(), first_contact_table(rows))
    return core_xlsx_response(
        name,
        first_contact_header(),
        first_contact_table(rows),
        title=gettext("First-contact resolution"),
    )

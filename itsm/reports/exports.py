"""The SLA compliance report as files: CSV (UTF-8 with a byte-order mark, which Excel needs
to read Chinese correctly) and Excel .xlsx (openpyxl) with the breached tickets on a second
sheet. Both have the same columns and a header row in the user's language."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from itsm.reports.choices import ReportDimension, ReportMetric
from itsm.reports.services import BreachedTicket, ComplianceRow, ReportQuery

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


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


def _attachment(response: HttpResponse, name: str) -> HttpResponse:
    response["Content-Disposition"] = 'attachment; filename="%s"' % name
    return response


def csv_response(query: ReportQuery, rows: Sequence[ComplianceRow]) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header(query))
    for line in table(rows):
        writer.writerow(["" if value is None else value for value in line])
    response = HttpResponse(
        ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    return _attachment(response, file_name(query, "csv"))


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


def _local(value: Any) -> Any:
    """Excel has no time zones: the hospital's local time, without one."""
    if value is None:
        return None
    return timezone.localtime(value, ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)


def detail_table(tickets: Sequence[BreachedTicket]) -> list[list[Any]]:
    return [
        [
            month_label(ticket.month),
            ticket.incident.number,
            ticket.incident.title,
            ticket.clock.get_priority_display(),
            ticket.metric_label,
            ticket.clock.kind.upper(),
            ticket.clock.agreement.name,
            str(ticket.group or ""),
            str(ticket.incident.service or ""),
            str(ticket.incident.department or ""),
            _local(ticket.due_at),
            _local(ticket.clock.stopped_at),
            ticket.late,
        ]
        for ticket in tickets
    ]


def _write_sheet(sheet: Any, columns: list[str], lines: list[list[Any]]) -> None:
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E2E8F0")
        cell.alignment = Alignment(vertical="center")
    for line in lines:
        sheet.append(line)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(columns, start=1):
        values = [name, *(line[index - 1] for line in lines[:200])]
        width = max(_display_width(v) for v in values)
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, width + 2))


def _display_width(value: Any) -> int:
    """Characters as Excel shows them: a Chinese character takes two columns."""
    if value is None:
        return 0
    text = value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def xlsx_response(
    query: ReportQuery, rows: Sequence[ComplianceRow], tickets: Sequence[BreachedTicket]
) -> HttpResponse:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = gettext("SLA compliance")[:31]
    _write_sheet(summary, header(query), table(rows))
    for row in summary.iter_rows(min_row=2, min_col=7, max_col=7):
        for cell in row:
            cell.number_format = "0.0"
    detail = book.create_sheet(gettext("Breached tickets")[:31])
    _write_sheet(detail, detail_header(), detail_table(tickets))
    base = settings.ITSM_BASE_URL
    for row_index, ticket in enumerate(tickets, start=2):
        detail.cell(row=row_index, column=2).hyperlink = base + ticket.incident.get_absolute_url()
        for column in (11, 12):
            detail.cell(row=row_index, column=column).number_format = DATETIME_FORMAT
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    return _attachment(response, file_name(query, "xlsx"))

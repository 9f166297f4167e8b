"""Tables as files a user opens in Excel: CSV (UTF-8 with a byte-order mark, which Excel
needs to read Chinese correctly) and Excel .xlsx (openpyxl). Both take a header and an
iterable of rows and never hold more than a chunk of rows in memory: the CSV is streamed,
the workbook is written row by row to a temporary file (openpyxl's write-only mode).

Values are written as they are, except: None is an empty cell; an aware datetime becomes
the hospital's local time without a zone (Excel has none), shown as "yyyy-mm-dd hh:mm";
a text that Excel would run as a formula (a title typed as "=HYPERLINK(…)") stays text.

Every export is audited (`audit_export`): data leaving the product is a disclosure a
hospital's security officer must be able to trace, who took what, when, from where."""

from __future__ import annotations

import csv
import datetime
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from itsm.core.services import write_audit

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
CHUNK_SIZE = 2000
# Column widths are measured on the header and the first rows only.
WIDTH_SAMPLE = 200
# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an exported list: its header and how a row gives its value."""

    label: Any  # a lazy string, translated when the file is written
    value: Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Link:
    """A cell that shows `text` and opens `url` (a hyperlink in Excel, the text in CSV)."""

    text: str
    url: str


def local_datetime(value: datetime.datetime) -> datetime.datetime:
    """Excel has no time zones: the hospital's local time, without one."""
    if timezone.is_naive(value):
        return value
    return timezone.localtime(value, ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)


def display_width(value: Any) -> int:
    """Characters as Excel shows them: a Chinese character takes two columns."""
    if value is None:
        return 0
    if isinstance(value, Link):
        value = value.text
    if isinstance(value, datetime.datetime):
        return 16  # yyyy-mm-dd hh:mm
    text = value.isoformat() if isinstance(value, datetime.date) else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def attachment(response: HttpResponseBase, name: str) -> HttpResponseBase:
    """Offer the response as a download named `name`; a non-ASCII name is encoded as
    RFC 5987 says (`filename*=utf-8''…`)."""
    disposition = content_disposition_header(as_attachment=True, filename=name)
    assert disposition is not None
    response["Content-Disposition"] = disposition
    return response


def audit_export(
    user: Any,
    *,
    target: type[models.Model],
    name: str,
    query: str,
    rows: int,
) -> None:
    """Record an export before the file is sent: action "export" on the exported model
    (object 0: a list, not one record), the file's name, the filters (the list's query
    string) and the number of rows in the note."""
    note = "%s: %d rows; filters: %s" % (name, rows, query or "-")
    write_audit(target, actor=user, action="export", note=note)


# --------------------------------------------------------------------------------------
# CSV


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Link):
        value = value.text
    if isinstance(value, datetime.datetime):
        return local_datetime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The CSV file in pieces of `CHUNK_SIZE` rows, the byte-order mark first."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(label) for label in header])
    yield ("\ufeff" + out.getvalue()).encode("utf-8")
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK_SIZE)):
        out.seek(0)
        out.truncate()
        writer.writerows([_csv_value(value) for value in row] for row in chunk)
        yield out.getvalue().encode("utf-8")


def csv_response(
    name: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """The rows as a CSV download, streamed: rows are read as the file is sent."""
    response = StreamingHttpResponse(csv_chunks(header, rows), content_type=CSV_TYPE)
    attachment(response, name)
    return response


# --------------------------------------------------------------------------------------
# Excel


def _xlsx_cell(sheet: Any, value: Any, number_format: str | None) -> Any:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    elif isinstance(value, datetime.datetime):
        value, number_format = local_datetime(value), number_format or DATETIME_FORMAT
    link = None
    if isinstance(value, Link):
        value, link = ILLEGAL_CHARACTERS_RE.sub("", value.text), value.url
    if not (number_format or link or (isinstance(value, str) and value.startswith("="))):
        return value
    cell = WriteOnlyCell(sheet, value)
    if cell.data_type == "f":
        cell.data_type = "s"
    if number_format:
        cell.number_format = number_format
    if link:
        cell.hyperlink = link
    return cell


def add_sheet(
    book: Workbook,
    title: Any,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    number_formats: dict[int, str] | None = None,
) -> None:
    """A sheet with a bold header row that stays in view, columns as wide as their
    content, then the rows. `book` is write-only; `number_formats` maps a column index
    (from 0) to an Excel number format."""
    sheet = book.create_sheet(str(title)[:31])
    formats = number_formats or {}
    iterator = iter(rows)
    sample = list(islice(iterator, WIDTH_SAMPLE))
    labels = [str(label) for label in header]
    for index, label in enumerate(labels):
        width = max(display_width(v) for v in [label, *(row[index] for row in sample)])
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(60, max(8, width + 2))
    sheet.freeze_panes = "A2"
    heading = []
    for label in labels:
        cell = WriteOnlyCell(sheet, label)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E2E8F0")
        cell.alignment = Alignment(vertical="center")
        heading.append(cell)
    sheet.append(heading)
    for row in chain(sample, iterator):
        sheet.append([_xlsx_cell(sheet, v, formats.get(i)) for i, v in enumerate(row)])


def workbook() -> Workbook:
    """An empty write-only workbook for `add_sheet`."""
    return Workbook(write_only=True)


def workbook_response(book: Workbook, name: str) -> FileResponse:
    """The workbook as a download, saved to a temporary file that is sent from disk."""
    file = tempfile.TemporaryFile()
    book.save(file)
    file.seek(0)
    return FileResponse(file, as_attachment=True, filename=name, content_type=XLSX_TYPE)


def xlsx_response(
    name: str, header: Sequence[Any], rows: Iterable[Sequence[Any]], *, title: Any = ""
) -> FileResponse:
    """The rows as an Excel download with one sheet (named `title`, or "Sheet1")."""
    book = workbook()
    add_sheet(book, title or "Sheet1", header, rows)
    return workbook_response(book, name)

"""Reading the files: .xlsx workbooks (guarded against zip bombs) and CSV in UTF-8 or GBK,
and their headers, in Chinese or English."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from itsm.cmdb.importing.common import (
    ATTRIBUTE_PREFIX,
    MAX_UNPACKED_BYTES,
    MAX_ZIP_ENTRIES,
    RELATIONSHIP_COLUMNS,
    RELATIONSHIP_SHEETS,
    ImportFile,
    ImportFileError,
    RowError,
    field_label,
)
from itsm.cmdb.models import AttributeDefinition, ConfigurationItem, Contract, Relationship
from itsm.cmdb.services import EDITABLE_FIELDS


def _open_bytes(file: ImportFile) -> tuple[str, IO[bytes]]:
    if isinstance(file, str | Path):
        return Path(file).name, Path(file).open("rb")
    return str(getattr(file, "name", "") or ""), file


def _is_xlsx(stream: IO[bytes]) -> bool:
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    return head == b"PK\x03\x04"


def check_zip(stream: IO[bytes]) -> None:
    """Refuse an archive with too many entries or too much to unpack, before opening it."""
    try:
        with zipfile.ZipFile(stream) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        raise ImportFileError(_("The file is not a valid Excel workbook.")) from None
    finally:
        stream.seek(0)
    if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
        raise ImportFileError(_("The workbook is too large to open."))


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _rows_of(values: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """The rows as lists of cleaned cells, empty trailing rows dropped (their numbers kept
    by the caller: blank rows in the middle stay, as empty lists)."""
    rows = [[_cell(v) for v in row] for row in values]
    while rows and not any(v not in (None, "") for v in rows[-1]):
        rows.pop()
    return rows


def _decode(data: bytes) -> str:
    """UTF-8 (with or without the byte order mark Excel writes), else GB18030: Excel on a
    Chinese Windows saves "CSV" in the system code page, GBK, which GB18030 contains."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise ImportFileError(_("The file is neither UTF-8 nor GBK text.")) from None


def read_sheets(file: ImportFile) -> tuple[list[list[Any]], list[list[Any]] | None]:
    """The items sheet's rows and, for a workbook with a sheet named "relationships" or
    "关系", that sheet's rows (header first in both)."""
    name, stream = _open_bytes(file)
    try:
        if _is_xlsx(stream):
            return _read_workbook(stream)
        if name.lower().endswith((".xlsx", ".xlsm")):
            raise ImportFileError(_("The file is not a valid Excel workbook."))
        return _rows_of(csv.reader(io.StringIO(_decode(stream.read()), newline=""))), None
    finally:
        if isinstance(file, str | Path):
            stream.close()


def _read_workbook(stream: IO[bytes]) -> tuple[list[list[Any]], list[list[Any]] | None]:
    check_zip(stream)
    try:
        with zipfile.ZipFile(stream) as archive:
            reader = _WorkbookReader(archive)
            items: list[list[Any]] | None = None
            relationships: list[list[Any]] | None = None
            for title, path in reader.sheets:
                if title.strip().casefold() in RELATIONSHIP_SHEETS:
                    relationships = reader.rows(path)
                elif items is None:
                    items = reader.rows(path)
            return items or [], relationships
    except (KeyError, ValueError, ET.ParseError, zipfile.BadZipFile):
        raise ImportFileError(_("The file is not a valid Excel workbook.")) from None
    finally:
        stream.seek(0)


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATION = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_DATE_FORMAT_IDS = {14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47}


class _WorkbookReader:
    """The cell values of an .xlsx workbook, read straight from its XML with the C
    parser: openpyxl's read-only mode builds a cell object with its style for every cell,
    which takes 25 s for a 100,000-row sheet; this takes 3 s. openpyxl still tells which
    number formats are dates and converts Excel's day numbers."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        names = set(archive.namelist())
        book = ET.fromstring(archive.read("xl/workbook.xml"))
        relations = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in relations}
        self.sheets: list[tuple[str, str]] = []
        for sheet in book.iter(_MAIN + "sheet"):
            target = str(targets[sheet.get(_RELATION)])
            path = target.lstrip("/") if target.startswith("/") else "xl/" + target
            self.sheets.append((sheet.get("name", ""), path))
        properties = book.find(_MAIN + "workbookPr")
        self.epoch = (
            CALENDAR_MAC_1904
            if properties is not None and properties.get("date1904") in ("1", "true")
            else CALENDAR_WINDOWS_1900
        )
        self.strings = self._strings() if "xl/sharedStrings.xml" in names else []
        self.date_styles = self._date_styles() if "xl/styles.xml" in names else set()

    def _strings(self) -> list[str]:
        strings: list[str] = []
        with self.archive.open("xl/sharedStrings.xml") as data:
            for _event, element in ET.iterparse(data):
                if element.tag == _MAIN + "si":
                    plain = element.find(_MAIN + "t")
                    if plain is not None:
                        strings.append(plain.text or "")
                    else:  # rich text: the runs' texts (not the phonetic guides)
                        strings.append(
                            "".join(
                                t.text or "" for t in element.iterfind(_MAIN + "r/" + _MAIN + "t")
                            )
                        )
                    element.clear()
        return strings

    def _date_styles(self) -> set[int]:
        styles = ET.fromstring(self.archive.read("xl/styles.xml"))
        custom = {
            int(f.get("numFmtId", "0")): f.get("formatCode", "")
            for f in styles.iter(_MAIN + "numFmt")
        }
        found: set[int] = set()
        cell_formats = styles.find(_MAIN + "cellXfs")
        for index, xf in enumerate(cell_formats if cell_formats is not None else []):
            number_format = int(xf.get("numFmtId", "0"))
            if number_format in _DATE_FORMAT_IDS or (
                number_format in custom and is_date_format(custom[number_format])
            ):
                found.add(index)
        return found

    def rows(self, path: str) -> list[list[Any]]:
        """The sheet's rows, a blank row (missing from the XML) as an empty list, so that
        a row's position is its number in Excel minus one."""
        rows: list[list[Any]] = []
        columns: dict[str, int] = {}
        with self.archive.open(path) as data:
            for _event, element in ET.iterparse(data):
                if element.tag != _MAIN + "row":
                    continue
                number = int(element.get("r") or len(rows) + 1)
                while len(rows) < number - 1:
                    rows.append([])
                row: list[Any] = []
                for cell in element.iterfind(_MAIN + "c"):
                    reference = cell.get("r")
                    if reference:
                        letters = reference.rstrip("0123456789")
                        index = columns.get(letters)
                        if index is None:
                            index = columns[letters] = column_index_from_string(letters) - 1
                        while len(row) < index:
                            row.append(None)
                    row.append(self.value(cell))
                rows.append(row)
                element.clear()
        return _rows_of(rows)

    def value(self, cell: ET.Element) -> Any:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            return "".join(cell.itertext())
        raw = cell.findtext(_MAIN + "v")
        if raw is None:
            return None
        if kind == "s":
            return self.strings[int(raw)]
        if kind in ("str", "d"):
            return raw
        if kind == "b":
            return raw == "1"
        if kind == "e":
            return None
        number = float(raw)
        if int(cell.get("s", "0")) in self.date_styles:
            return from_excel(number, self.epoch)
        return int(number) if number.is_integer() else number


def normalise(text: Any) -> str:
    """Headers and labels compared without case, spaces and underscores: "Owner group",
    "owner_group" and "IP 地址" match "ownergroup" and "IP地址"."""
    return "".join(str(text or "").replace("_", " ").split()).casefold()


def _in_both_languages(label: Any) -> list[str]:
    names = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            names.append(normalise(str(label)))
    return names


def _field_aliases() -> dict[str, str]:
    """Normalised header → field name: the key ("owner_group"), and the field's label in
    Chinese and in English."""
    aliases: dict[str, str] = {}
    for name in (*EDITABLE_FIELDS, "services"):
        for alias in (normalise(name), *_in_both_languages(field_label(ConfigurationItem, name))):
            aliases.setdefault(alias, name)
    aliases.setdefault(normalise("class"), "ci_class")
    for alias in _in_both_languages(field_label(Contract, "number")):
        aliases.setdefault(alias, "contract")
    return aliases


def item_headers() -> list[tuple[str, str]]:
    """The items sheet's columns as (field, label in the active language)."""
    return [
        (name, str(field_label(ConfigurationItem, name))) for name in (*EDITABLE_FIELDS, "services")
    ]


def relationship_headers() -> list[tuple[str, str]]:
    return [(name, str(field_label(Relationship, name))) for name in RELATIONSHIP_COLUMNS]


def relationship_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for name in RELATIONSHIP_COLUMNS:
        for alias in (normalise(name), *_in_both_languages(field_label(Relationship, name))):
            aliases.setdefault(alias, name)
    return aliases


def choice_map(choices: Any) -> dict[str, Any]:
    """Normalised value or label (Chinese or English) → the choice's value."""
    found: dict[str, Any] = {}
    for value, label in choices.choices:
        found[normalise(value)] = value
        for alias in _in_both_languages(label):
            found.setdefault(alias, value)
    return found


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    field: str = ""  # a model field, or "services"
    attribute: str = ""  # an attribute's code or name, as headed
    key: str = ""  # the attribute's, normalised


def item_columns(
    header: list[Any], definitions: list[AttributeDefinition]
) -> tuple[list[Column], list[RowError]]:
    aliases = _field_aliases()
    attribute_names = {normalise(d.code) for d in definitions}
    attribute_names |= {normalise(d.name) for d in definitions}
    attribute_names |= {normalise(d.name_en) for d in definitions if d.name_en}
    columns: list[Column] = []
    errors: list[RowError] = []
    seen: dict[str, str] = {}
    for index, raw in enumerate(header):
        text = str(raw if raw is not None else "").strip()
        if not text:
            continue
        key = normalise(text)
        if key.startswith(ATTRIBUTE_PREFIX):
            attribute = text[len(ATTRIBUTE_PREFIX) :].strip()
            column = Column(index, text, attribute=attribute, key=normalise(attribute))
        elif key in aliases:
            column = Column(index, text, field=aliases[key])
        elif key in attribute_names:
            column = Column(index, text, attribute=text, key=key)
        else:
            errors.append(RowError("items", 1, text, _("Unknown column.")))
            continue
        name = column.field or "attr:" + column.key
        if name in seen:
            errors.append(
                RowError("items", 1, text, _("Same column as “%(other)s”.") % {"other": seen[name]})
            )
            continue
        seen[name] = text
        columns.append(column)
    if not any(c.field == "code" for c in columns):
        label = str(field_label(ConfigurationItem, "code"))
        errors.append(RowError("items", 1, label, _("The file has no code column.")))
    return columns, errors

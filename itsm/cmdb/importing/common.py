"""What the import's parts share: the plan, its errors and its result."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext as _

from itsm.cmdb.models import ConfigurationItem
from itsm.cmdb.services import CHANGE_PERMISSION

# An .xlsx file is a zip archive: these bound what opening one may unpack (a "zip bomb"
# is a few kilobytes that unpack to gigabytes). A 100,000-row sheet unpacks to ~60 MB.
MAX_ZIP_ENTRIES = 1000
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
# Rows (and keys) written per statement.
BATCH = 2000
# Codes per IN (...) list: below SQLite's 32,766 bound variables.
CHUNK = 10_000
RELATIONSHIP_SHEETS = ("relationships", "关系")
ATTRIBUTE_PREFIX = "attr:"
SERVICE_SEPARATORS = re.compile(r"[,，、;；\n]")
FOREIGN_KEYS = ("ci_class", "location", "department", "owner_group", "vendor", "contract")
RELATIONSHIP_COLUMNS = ("source", "type", "target", "note")

Progress = Callable[[int, int], None]
ImportFile = str | Path | IO[bytes]


class ImportFileError(Exception):
    """The file cannot be read at all (not a spreadsheet, too large when unpacked)."""


@dataclass(frozen=True)
class RowError:
    """One problem in the file: the sheet (items or relationships), the spreadsheet row
    (the header is row 1), the column as headed in the file, and the message."""

    sheet: str
    row: int
    column: str
    message: str


@dataclass
class Update:
    """An existing item with the values the file gives it (`item`), and what it was."""

    item: ConfigurationItem
    before: dict[str, Any]
    version: int
    services: list[int] | None
    old_services: list[int]


@dataclass(frozen=True)
class NewRelationship:
    """Its ends as keys: an existing item's id, or −(n+1) for the n-th item created."""

    source: int
    target: int
    type: str
    note: str


@dataclass
class ImportPlan:
    """What importing the files would do, and every error that prevents it."""

    errors: list[RowError] = field(default_factory=list)
    creates: list[ConfigurationItem] = field(default_factory=list)
    create_services: list[list[int]] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    unchanged: int = 0
    relationships: list[NewRelationship] = field(default_factory=list)
    existing_relationships: int = 0
    change_number: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total(self) -> int:
        return len(self.creates) + len(self.updates) + len(self.relationships)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    relationships: int


def check_permission(actor: Any) -> None:
    if not actor.has_perm(CHANGE_PERMISSION):
        raise PermissionDenied(_("You may not change configuration items."))


def field_label(model: type[models.Model], name: str) -> Any:
    """A field's verbose name (lazy: translated when used)."""
    return getattr(model._meta.get_field(name), "verbose_name", name)


def chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value).strip()

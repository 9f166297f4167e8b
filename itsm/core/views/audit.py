"""Audit entries told in words for timelines: "王芳 changed status from Assigned to In
progress", with related records named, not numbered."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext

from itsm.core.models import AuditEntry
from itsm.core.workflow import Workflow

# --------------------------------------------------------------------------------------
# Readable audit entries for timelines


@dataclass(frozen=True)
class AuditLine:
    """One field change of an audit entry, with values as the user reads them."""

    key: str
    field: str
    old: str
    new: str
    long_text: bool = False


# Bookkeeping fields that a person does not need to read in a timeline.
AUDIT_SKIPPED_FIELDS = frozenset(
    {
        "id",
        "number",
        "version",
        "created_at",
        "updated_at",
        "resolved_at",
        "closed_at",
        "reassignment_count",
    }
)


def _model_field(model: type[models.Model], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # a field renamed or removed since the entry was written
        return None


def _is_pk(model: Any, value: Any) -> bool:
    if value is None:
        return False
    try:
        model._meta.pk.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return False
    return True


def _display(field: Any, value: Any, related: Mapping[Any, Mapping[Any, Any]]) -> str:
    if value is None or value == "" or value == []:
        return ""
    if field is None:
        return str(value)
    if field.many_to_many:
        objects = related.get(field.related_model, {})
        # Translators: the separator between the items of a list ("、" in Chinese).
        return gettext(", ").join(
            str(objects.get(pk, pk if isinstance(pk, str) else "#%s" % pk)) for pk in value
        )
    if field.is_relation:
        return str(related.get(field.related_model, {}).get(value, "#%s" % value))
    if getattr(field, "flatchoices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return gettext("Yes") if value else gettext("No")
    if isinstance(field, models.DateTimeField):
        parsed = parse_datetime(str(value))
        if parsed is not None:
            if timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed, datetime.UTC)
            return date_format(timezone.localtime(parsed), "Y-m-d H:i")
    return str(value)


def describe_audit_entries(
    entries: Iterable[AuditEntry],
    model: type[models.Model],
    known: Iterable[models.Model | None] = (),
) -> dict[int, list[AuditLine]]:
    """For each audit entry (by id), its field changes as readable lines. Related records
    named in the changes are fetched with one query per related model, however many
    entries there are; records the caller has already loaded (`known`) are not fetched
    again, and a model whose records are all known costs no query."""
    entries = list(entries)
    loaded: dict[Any, dict[Any, Any]] = {}
    for obj in known:
        if obj is not None:
            loaded.setdefault(type(obj), {})[obj.pk] = obj
    wanted: dict[Any, set[Any]] = {}
    for entry in entries:
        for key, pair in (entry.changes or {}).items():
            field = _model_field(model, key)
            if field is None or not field.is_relation or key in AUDIT_SKIPPED_FIELDS:
                continue
            ids = wanted.setdefault(field.related_model, set())
            for value in pair:
                # Ids only: some entries name related records by number (INC…), shown as is.
                if isinstance(value, list):
                    ids.update(v for v in value if _is_pk(field.related_model, v))
                elif _is_pk(field.related_model, value):
                    ids.add(value)
    related: dict[Any, dict[Any, Any]] = {}
    for related_model, ids in wanted.items():
        objects = dict(loaded.get(related_model, {}))
        missing = ids - objects.keys()
        if missing:
            objects.update(related_model._default_manager.in_bulk(missing))
        related[related_model] = objects
    described: dict[int, list[AuditLine]] = {}
    for entry in entries:
        lines: list[AuditLine] = []
        if entry.action != "create":
            for key, pair in (entry.changes or {}).items():
                if key in AUDIT_SKIPPED_FIELDS or not isinstance(pair, list) or len(pair) != 2:
                    continue
                field = _model_field(model, key)
                if field is not None and field.name in AUDIT_SKIPPED_FIELDS:
                    continue
                label = str(getattr(field, "verbose_name", key))
                long_text = isinstance(field, models.TextField)
                lines.append(
                    AuditLine(
                        key=key,
                        field=label,
                        old="" if long_text else _display(field, pair[0], related),
                        new="" if long_text else _display(field, pair[1], related),
                        long_text=long_text,
                    )
                )
        described[entry.pk] = lines
    return described


def audit_headline(entry: AuditEntry, workflow: Workflow[Any] | None = None) -> str:
    """What the actor did, as a short phrase: "logged this record", "took action “Assign”"."""
    action = entry.action
    if action == "create":
        return gettext("logged this record")
    if action == "update":
        return gettext("edited this record")
    if action == "attach":
        return gettext("attached a file")
    if action == "link":
        return gettext("linked it with %(number)s") % {"number": entry.note}
    if action == "sla:escalation":
        return gettext("escalated by the service level rules: %(rule)s") % {"rule": entry.note}
    if action.startswith("transition:"):
        name = action.split(":", 1)[1]
        transition = workflow.get(name) if workflow is not None else None
        label = transition.label if transition is not None else name
        return gettext("took action “%(action)s”") % {"action": label}
    return action

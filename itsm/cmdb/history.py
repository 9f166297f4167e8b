"""A configuration item's history and the item as it was at a past date, both read from the
audit entries the services write (`create_ci`, `update_ci`, `relate_cis`, `unrelate_cis`)
and from the relationship tables.

The audit entry of a write holds {attname: [old, new]}, attributes one key each as
`attributes.<code>`, "services" as [old ids, new ids] and, for relationships,
"relationship" as [None, "SRC type TGT"] or the reverse; its note is the RFC number the
write was made under. The item as of a past instant is its current state with every
audited change after that instant undone, newest first; its relationships are the current
ones begun by then and the former ones that had begun and not yet ended."""

from __future__ import annotations

import datetime as dt
import decimal
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.cmdb.attributes import ClassTree
from itsm.cmdb.choices import AttributeType, RelationshipType
from itsm.cmdb.models import (
    AttributeDefinition,
    CIClass,
    ConfigurationItem,
    FormerRelationship,
    Relationship,
    Service,
)
from itsm.core.models import AuditEntry
from itsm.core.moments import local_moment

ACTION_LABELS = {
    "create": _("Created"),
    "update": _("Changed"),
    "relate": _("Relationship added"),
    "unrelate": _("Relationship removed"),
}
# Entries of these actions say how relationships changed; the relationship tables, not
# the entries, give an item's relationships at a past date.
RELATIONSHIP_ACTIONS = ("relate", "unrelate")
ATTRIBUTE_PREFIX = "attributes."
SERVICES = "services"
RELATIONSHIP = "relationship"
# Bookkeeping columns, not part of what an item is.
SKIPPED_FIELDS = frozenset({"id", "attributes", "version", "updated_at"})


@dataclass(frozen=True)
class FieldChange:
    """One changed field, attribute, service list or relationship of an audit entry: its
    key as audited ("location_id", "attributes.cpu_cores", "services", "relationship"),
    the name the API uses ("location"), its label in the active language, the stored old
    and new values and the same as the user reads them ("" for empty)."""

    key: str
    name: str
    label: str
    old_value: Any
    new_value: Any
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    """One audited write of an item: who (his display name, "" for the system), when, the
    action and its label, the RFC number it was made under ("" if none) and what changed."""

    id: int
    when: dt.datetime
    actor_id: int | None
    actor: str
    action: str
    action_label: str
    change_number: str
    changes: list[FieldChange]


@dataclass(frozen=True)
class SnapshotValue:
    """A field or attribute of an item as it was: its name (attribute code), label, stored
    value (JSON-ready) and the value as the user reads it ("" for empty)."""

    name: str
    label: str
    value: Any
    display: str


@dataclass(frozen=True)
class SnapshotItem:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class SnapshotRelationship:
    """A relationship an item had at the snapshot's instant, seen from the item: the other
    item (named by its current code and name), since when it existed and, for one removed
    since, when it ended (None while it still exists)."""

    type: str
    type_label: str
    other: SnapshotItem
    note: str
    since: dt.datetime
    until: dt.datetime | None


@dataclass
class Snapshot:
    """A configuration item as it was at `when`. `exists` is False when the item was
    recorded after `when` (the lists are then empty). `complete` is False when no audit
    entry records the item's creation (a bulk load, such as the demo's, writes none): its
    values before its first audited edit are then today's, whatever they were.
    `depends_on`: what the item relied on ("item <type> other"); `relied_on_by`: what
    relied on it ("other <type> item")."""

    ci: ConfigurationItem
    when: dt.datetime
    exists: bool
    complete: bool = True
    fields: list[SnapshotValue] = field(default_factory=list)
    attributes: list[SnapshotValue] = field(default_factory=list)
    services: list[SnapshotItem] = field(default_factory=list)
    depends_on: list[SnapshotRelationship] = field(default_factory=list)
    relied_on_by: list[SnapshotRelationship] = field(default_factory=list)


def _model_field(attname: str) -> Any:
    if attname in SKIPPED_FIELDS:
        return None
    try:
        found = ConfigurationItem._meta.get_field(attname)
    except FieldDoesNotExist:  # a field removed since the entry was written
        return None
    return found if getattr(found, "concrete", False) and not found.many_to_many else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _iso(moment: dt.datetime) -> str:
    """In the current time zone, as the API's serializers write date-times."""
    return timezone.localtime(moment).isoformat()


def _relationship_text(text: str) -> str:
    """ "SRV-01 runs_on VMH-01" (as audited) in words: "SRV-01 运行于 VMH-01"."""
    for value, label in RelationshipType.choices:
        marker = " %s " % value
        if marker in text:
            source, target = text.split(marker, 1)
            return "%s %s %s" % (source, label, target)
    return text


class _Names:
    """Labels of fields and attributes, and display values of the records values point to:
    every id wanted is noted first (`want`), then each model's records are read in one
    query (`load`), however many entries or values name them."""

    def __init__(self, tree: ClassTree) -> None:
        self.tree = tree
        self.definitions: dict[str, list[AttributeDefinition]] = defaultdict(list)
        self.wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
        self.loaded: dict[type[models.Model], dict[Any, models.Model]] = {}

    def load_definitions(self, codes: Iterable[str]) -> None:
        codes = set(codes)
        if codes:
            for definition in AttributeDefinition.objects.filter(code__in=codes):
                self.definitions[definition.code].append(definition)

    def definition(self, code: str, *classes: str | None) -> AttributeDefinition | None:
        """The attribute `code` of the first of these classes (or their ancestors) that has
        one; else any class's (the item's class may have changed since)."""
        candidates = self.definitions.get(code, [])
        for ci_class in classes:
            for lineage_code in self.tree.lineage(ci_class) if ci_class else ():
                class_pk = self.tree.classes[lineage_code].pk
                for definition in candidates:
                    if definition.ci_class_id == class_pk:
                        return definition
        return candidates[0] if candidates else None

    def rank(self, code: str, *classes: str | None) -> tuple[int, int]:
        """Where an attribute comes in its class's schema: ancestors' attributes first."""
        definition = self.definition(code, *classes)
        if definition is None:
            return (len(self.tree.classes) + 1, 0)
        lineage = self.tree.lineage(classes[0]) if classes and classes[0] else ()
        by_pk = {c.pk: c.code for c in self.tree.classes.values()}
        own = by_pk.get(definition.ci_class_id)
        depth = len(lineage) - lineage.index(own) if own in lineage else len(self.tree.classes)
        return (depth, definition.order)

    def label(self, key: str, *classes: str | None) -> str:
        if key.startswith(ATTRIBUTE_PREFIX):
            code = key[len(ATTRIBUTE_PREFIX) :]
            definition = self.definition(code, *classes)
            return definition.label if definition is not None else code
        if key == SERVICES:
            return str(capfirst(ConfigurationItem._meta.get_field("services").verbose_name))
        if key == RELATIONSHIP:
            return str(capfirst(Relationship._meta.verbose_name))
        model_field = _model_field(key)
        return str(capfirst(model_field.verbose_name)) if model_field is not None else key

    def want(self, key: str, value: Any, *classes: str | None) -> None:
        if value is None or value == "":
            return
        if key == SERVICES:
            self.wanted[Service].update(value if isinstance(value, list) else [value])
        elif key.startswith(ATTRIBUTE_PREFIX):
            definition = self.definition(key[len(ATTRIBUTE_PREFIX) :], *classes)
            if definition is not None and definition.type == AttributeType.REFERENCE:
                self.wanted[ConfigurationItem].add(value)
        else:
            model_field = _model_field(key)
            if model_field is not None and model_field.is_relation:
                related = model_field.related_model
                if related is not CIClass:  # the tree has every class already
                    self.wanted[related].add(value)

    def load(self) -> None:
        for model, ids in self.wanted.items():
            ids = {pk for pk in ids if isinstance(pk, int) and not isinstance(pk, bool)}
            if model is ConfigurationItem:
                queryset: Any = ConfigurationItem.objects.only("id", "code", "name")
            else:
                queryset = model._default_manager.all()
            self.loaded[model] = queryset.in_bulk(ids) if ids else {}

    def record(self, model: type[models.Model], pk: Any) -> str:
        found = self.loaded.get(model, {}).get(pk)
        return str(found) if found is not None else "#%s" % pk

    def display(self, key: str, value: Any, *classes: str | None) -> str:
        if value is None or value == "" or value == []:
            return ""
        if key == SERVICES:
            # Translators: the separator between the items of a list ("、" in Chinese).
            return gettext(", ").join(
                self.record(Service, pk) for pk in (value if isinstance(value, list) else [value])
            )
        if key == RELATIONSHIP:
            return _relationship_text(str(value))
        if key.startswith(ATTRIBUTE_PREFIX):
            definition = self.definition(key[len(ATTRIBUTE_PREFIX) :], *classes)
            if definition is not None and definition.type == AttributeType.REFERENCE:
                return self.record(ConfigurationItem, value)
            return str(value)
        model_field = _model_field(key)
        if model_field is None:
            return str(value)
        if key == "ci_class_id":
            ci_class = self.tree.classes.get(str(value))
            return ci_class.label if ci_class is not None else str(value)
        if model_field.is_relation:
            return self.record(model_field.related_model, value)
        if model_field.flatchoices:
            return str(dict(model_field.flatchoices).get(value, value))
        return str(_jsonable(value))


def _public_name(key: str) -> str:
    """The name the API gives an audited key: "location" for "location_id"."""
    model_field = _model_field(key)
    return model_field.name if model_field is not None else key


def _key_rank(
    names: _Names, entry_classes: tuple[str | None, ...]
) -> Callable[[str], tuple[int, tuple[int, int], str]]:
    """The order changes are listed in: fields in the model's order, then attributes in
    their schema's, then services, then relationships."""
    order = [f.attname for f in ConfigurationItem._meta.concrete_fields]

    def rank(key: str) -> tuple[int, tuple[int, int], str]:
        if key in order:
            return (0, (order.index(key), 0), key)
        if key.startswith(ATTRIBUTE_PREFIX):
            return (1, names.rank(key[len(ATTRIBUTE_PREFIX) :], *entry_classes), key)
        return (2 if key == SERVICES else 3, (0, 0), key)

    return rank


def _entries(ci: ConfigurationItem) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ConfigurationItem), object_id=ci.pk
    ).order_by("-created_at", "-id")


def history_of(ci: ConfigurationItem, *, limit: int = 200) -> list[HistoryEntry]:
    """The item's audited writes, newest first (at most `limit`), with field labels and
    values in the active language. Related records (location, department, services,
    referenced items, …) are named with one query per model, however many entries there
    are: a constant number of queries."""
    entries = list(_entries(ci).select_related("actor")[:limit])
    names = _Names(ClassTree.load())
    # The class each entry's item had after it (its attributes are that class's), walking
    # back from today's class.
    classes: list[tuple[str | None, str | None]] = []
    ci_class: str | None = ci.ci_class_id
    for entry in entries:
        pair = (entry.changes or {}).get("ci_class_id")
        before = pair[0] if isinstance(pair, list) and len(pair) == 2 and pair[0] else ci_class
        classes.append((ci_class, before))
        ci_class = before
    names.load_definitions(
        key[len(ATTRIBUTE_PREFIX) :]
        for entry in entries
        for key in (entry.changes or {})
        if key.startswith(ATTRIBUTE_PREFIX)
    )
    for entry, entry_classes in zip(entries, classes, strict=True):
        for key, pair in _pairs(entry.changes):
            for value in pair:
                names.want(key, value, *entry_classes)
    names.load()
    history: list[HistoryEntry] = []
    for entry, entry_classes in zip(entries, classes, strict=True):
        rank = _key_rank(names, entry_classes)
        changes = [
            FieldChange(
                key=key,
                name=_public_name(key),
                label=names.label(key, *entry_classes),
                old_value=old,
                new_value=new,
                old=names.display(key, old, *entry_classes),
                new=names.display(key, new, *entry_classes),
            )
            for key, (old, new) in sorted(_pairs(entry.changes), key=lambda kv: rank(kv[0]))
        ]
        label = ACTION_LABELS.get(entry.action)
        history.append(
            HistoryEntry(
                id=entry.pk,
                when=entry.created_at,
                actor_id=entry.actor_id,
                actor=str(entry.actor) if entry.actor is not None else "",
                action=entry.action,
                action_label=str(label) if label is not None else entry.action,
                change_number=entry.note if entry.action in ACTION_LABELS else "",
                changes=changes,
            )
        )
    return history


def _pairs(changes: Any) -> list[tuple[str, tuple[Any, Any]]]:
    """An entry's changes that have the audited [old, new] shape."""
    if not isinstance(changes, Mapping):
        return []
    return [
        (key, (pair[0], pair[1]))
        for key, pair in changes.items()
        if isinstance(pair, list) and len(pair) == 2 and key not in SKIPPED_FIELDS
    ]


def history_data(ci: ConfigurationItem, *, limit: int = 200) -> dict[str, Any]:
    """The item's history, JSON-ready, for `GET /api/cis/{id}/history/`:

    {"ci": {"id", "code", "name"}, "truncated": bool (older entries not listed),
     "entries": [{"id", "at" (ISO 8601), "actor": {"id", "name"} | null (the system),
                  "action" ("create", "update", "relate", "unrelate", …), "action_label",
                  "change_number" ("" if none),
                  "changes": [{"field" ("location", "attributes.cpu_cores", "services",
                               "relationship"), "label", "old", "new" (stored values),
                               "old_display", "new_display"}]}]}

    Newest first; labels in the active language."""
    entries = history_of(ci, limit=limit + 1)
    return {
        "ci": {"id": ci.pk, "code": ci.code, "name": ci.name},
        "truncated": len(entries) > limit,
        "entries": [
            {
                "id": entry.id,
                "at": _iso(entry.when),
                "actor": (
                    {"id": entry.actor_id, "name": entry.actor}
                    if entry.actor_id is not None
                    else None
                ),
                "action": entry.action,
                "action_label": entry.action_label,
                "change_number": entry.change_number,
                "changes": [
                    {
                        "field": change.name,
                        "label": change.label,
                        "old": change.old_value,
                        "new": change.new_value,
                        "old_display": change.old,
                        "new_display": change.new,
                    }
                    for change in entry.changes
                ],
            }
            for entry in entries[:limit]
        ],
    }


def parse_as_of(text: str) -> dt.datetime:
    """The instant an `as_of` parameter names: an ISO 8601 date-time (without an offset:
    in the current time zone), or a date, meaning the end of that day (so its changes are
    included). Raises ValidationError keyed "as_of"."""
    text = (text or "").strip()
    try:
        moment = parse_datetime(text) if "T" in text or " " in text else None
        day = None if moment is not None else parse_date(text)
    except ValueError:
        moment = day = None
    if day is not None:
        moment = dt.datetime.combine(day, dt.time.max)
    if moment is None:
        raise ValidationError(
            {"as_of": _("Give a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM).")}
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    try:
        return local_moment(moment)
    except ValidationError as exc:
        raise ValidationError({"as_of": exc.messages}) from None


def as_of(ci: ConfigurationItem, when: dt.datetime) -> Snapshot:
    """The item as it was at `when` (aware): today's fields, attributes and services with
    every audited change after `when` undone, newest first (a change at `when` itself
    counts as made), and the relationships it had then, both directions. An item recorded
    after `when` gives a snapshot with `exists` False. The query count does not depend on
    the number of changes or relationships."""
    later = list(_entries(ci).filter(created_at__gt=when).exclude(action__in=RELATIONSHIP_ACTIONS))
    if any(entry.action == "create" for entry in later):
        return Snapshot(ci=ci, when=when, exists=False)
    complete = _entries(ci).filter(action="create").exists()
    values: dict[str, Any] = ci.field_snapshot()
    values[SERVICES] = sorted(ci.services.values_list("pk", flat=True))
    for entry in later:
        for key, (old, _new) in _pairs(entry.changes):
            _undo(values, key, old)
    names = _Names(ClassTree.load())
    ci_class = values.get("ci_class_id")
    attribute_keys = sorted(k for k in values if k.startswith(ATTRIBUTE_PREFIX))
    names.load_definitions(k[len(ATTRIBUTE_PREFIX) :] for k in attribute_keys)
    for key, value in values.items():
        names.want(key, value, ci_class)
    names.load()
    field_keys = [
        f.attname
        for f in ConfigurationItem._meta.concrete_fields
        if f.attname not in SKIPPED_FIELDS
    ]
    rank = _key_rank(names, (ci_class,))
    depends_on, relied_on_by = _relationships_at(ci, when)
    return Snapshot(
        ci=ci,
        when=when,
        exists=True,
        complete=complete,
        fields=[
            SnapshotValue(
                name=_public_name(key),
                label=names.label(key, ci_class),
                value=_jsonable(values.get(key)),
                display=names.display(key, values.get(key), ci_class),
            )
            for key in field_keys
        ],
        attributes=[
            SnapshotValue(
                name=key[len(ATTRIBUTE_PREFIX) :],
                label=names.label(key, ci_class),
                value=_jsonable(values[key]),
                display=names.display(key, values[key], ci_class),
            )
            for key in sorted(attribute_keys, key=rank)
        ],
        services=[_service_item(names, pk) for pk in values[SERVICES]],
        depends_on=depends_on,
        relied_on_by=relied_on_by,
    )


def _service_item(names: _Names, pk: int) -> SnapshotItem:
    service = names.loaded.get(Service, {}).get(pk)
    if isinstance(service, Service):
        return SnapshotItem(id=pk, code=service.code, name=service.name)
    return SnapshotItem(id=pk, code="", name="#%s" % pk)


def _undo(values: dict[str, Any], key: str, old: Any) -> None:
    if key == SERVICES:
        values[SERVICES] = sorted(old or [])
    elif key.startswith(ATTRIBUTE_PREFIX):
        if old is None:  # the attribute had no value before
            values.pop(key, None)
        else:
            values[key] = old
    else:
        model_field = _model_field(key)
        if model_field is not None:
            values[key] = model_field.to_python(old)


def _relationships_at(
    ci: ConfigurationItem, when: dt.datetime
) -> tuple[list[SnapshotRelationship], list[SnapshotRelationship]]:
    either = Q(source=ci) | Q(target=ci)
    columns = (
        "type",
        "note",
        "created_at",
        "source__code",
        "source__name",
        "target__code",
        "target__name",
    )
    current = (
        Relationship.objects.filter(either, created_at__lte=when)
        .select_related("source", "target")
        .only(*columns)
        .order_by()
    )
    former = (
        FormerRelationship.objects.filter(either, created_at__lte=when, ended_at__gt=when)
        .select_related("source", "target")
        .only(*columns, "ended_at")
        .order_by()
    )
    depends_on: list[SnapshotRelationship] = []
    relied_on_by: list[SnapshotRelationship] = []
    labels = dict(RelationshipType.choices)
    rows: list[Relationship | FormerRelationship] = [*current, *former]
    for row in rows:
        outgoing = row.source_id == ci.pk
        other = row.target if outgoing else row.source
        (depends_on if outgoing else relied_on_by).append(
            SnapshotRelationship(
                type=row.type,
                type_label=str(labels.get(row.type, row.type)),
                other=SnapshotItem(id=other.pk, code=other.code, name=other.name),
                note=row.note,
                since=row.created_at,
                until=row.ended_at if isinstance(row, FormerRelationship) else None,
            )
        )
    for found in (depends_on, relied_on_by):
        found.sort(key=lambda r: (r.type, r.other.code))
    return depends_on, relied_on_by


def as_of_data(snapshot: Snapshot) -> dict[str, Any]:
    """A snapshot (`as_of`), JSON-ready, for `GET /api/cis/{id}/?as_of=`:

    {"ci": {"id", "code", "name"} (today's), "as_of" (ISO 8601), "exists" (False: the item
     was recorded later — answer 404), "complete" (False: no audit entry records its
     creation, so values before its first audited edit are today's),
     "fields": [{"name", "label", "value", "display"}] (every field, "location" as an id,
     "ci_class" as a code), "attributes": [{"code", "label", "value", "display"}],
     "services": [{"id", "code", "name"}],
     "depends_on" / "relied_on_by": [{"type", "type_label", "ci": {"id", "code", "name"},
                                      "note", "since", "until" (null: still exists)}]}"""
    ci = snapshot.ci

    def relationships(rows: list[SnapshotRelationship]) -> list[dict[str, Any]]:
        return [
            {
                "type": r.type,
                "type_label": r.type_label,
                "ci": {"id": r.other.id, "code": r.other.code, "name": r.other.name},
                "note": r.note,
                "since": _iso(r.since),
                "until": _iso(r.until) if r.until is not None else None,
            }
            for r in rows
        ]

    return {
        "ci": {"id": ci.pk, "code": ci.code, "name": ci.name},
        "as_of": _iso(snapshot.when),
        "exists": snapshot.exists,
        "complete": snapshot.complete,
        "fields": [
            {"name": v.name, "label": v.label, "value": v.value, "display": v.display}
            for v in snapshot.fields
        ],
        "attributes": [
            {"code": v.name, "label": v.label, "value": v.value, "display": v.display}
            for v in snapshot.attributes
        ],
        "services": [{"id": s.id, "code": s.code, "name": s.name} for s in snapshot.services],
        "depends_on": relationships(snapshot.depends_on),
        "relied_on_by": relationships(snapshot.relied_on_by),
    }

"""Configuration management verbs: recording and editing configuration items under their
class's attribute schema, relating them under the type rules, and the impact analysis
that walks those relationships."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import Department
from itsm.cmdb.attributes import ClassTree, clean_attributes, schema
from itsm.cmdb.choices import ConfigurationItemClass, RelationshipType
from itsm.cmdb.models import (
    ConfigurationItem,
    FormerRelationship,
    Relationship,
    Service,
    ServiceOutage,
)
from itsm.cmdb.relationships import family_types, is_allowed
from itsm.core.exceptions import StaleVersion
from itsm.core.services import diff, write_audit

CHANGE_PERMISSION = "cmdb.change_configurationitem"
# Deep enough for service → application → database → server → host → array → network and
# then some; a deeper chain is a modelling mistake, and the limit bounds the queries.
MAX_DEPTH = 10
# Ids per IN (...) list: below SQLite's 32,766 bound variables and PostgreSQL's 65,535.
CHUNK = 10_000


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


# The attribute of software items that says which version runs (set by deployments).
DEPLOYED_VERSION_ATTRIBUTE = "software_version"


def _check_permission(actor: Any) -> None:
    if not actor.has_perm(CHANGE_PERMISSION):
        raise PermissionDenied(_("You may not change configuration items."))


# Fields of an item a form, the API or an import may set (besides `attributes`, `services`).
EDITABLE_FIELDS = (
    "code",
    "name",
    "ci_class",
    "status",
    "criticality",
    "location",
    "position",
    "department",
    "owner_group",
    "vendor",
    "contract",
    "serial_number",
    "asset_tag",
    "ip_address",
    "purchased_on",
    "warranty_ends_on",
)


def check_item(
    item: ConfigurationItem,
    attributes: dict[str, Any] | None,
    *,
    tree: ClassTree,
    definitions: list[Any] | None = None,
    resolve: Any = None,
    unique: bool = True,
) -> None:
    """Validate an item before it is written — its fields (`full_clean`: lengths, choices,
    a duplicate code or asset tag), its attributes against its class's schema (stored
    converted on `item.attributes`), and the rules between fields: the location is a
    location item and not inside the item itself, the contract is the vendor's. Raises one
    ValidationError with every message, per field."""
    errors: dict[str, list[str]] = {}
    exclude = ["attributes"] if unique else ["attributes", "code", "asset_tag"]
    try:
        item.full_clean(exclude=exclude, validate_unique=unique, validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if unique and item.asset_tag:
        taken = ConfigurationItem.objects.filter(asset_tag=item.asset_tag).exclude(pk=item.pk)
        if taken.exists():
            errors["asset_tag"] = [str(_("Another item has this asset tag."))]
    if item.ci_class_id and item.ci_class_id in tree.classes:
        try:
            item.attributes = clean_attributes(
                definitions if definitions is not None else schema(item.ci_class_id, tree),
                attributes if attributes is not None else item.attributes,
                tree=tree,
                resolve=resolve,
            )
        except ValidationError as exc:
            errors.update(exc.message_dict)
    elif "ci_class" not in errors:
        errors["ci_class"] = [str(_("Unknown class."))]
    if item.location_id is not None:
        errors.update(_location_errors(item, tree))
    if item.contract is not None and item.vendor_id not in (None, item.contract.vendor_id):
        errors["contract"] = [str(OTHER_VENDOR)]
    if errors:
        raise ValidationError(errors)


def location_refusal(tree: ClassTree, location_class: str) -> str | None:
    """Why an item of class `location_class` cannot be another item's location, or None.
    With `location_loops`, the location rules the services and the import share."""
    if not tree.is_a(location_class, ConfigurationItemClass.LOCATION):
        return str(_("A location must be a location item (campus, building, floor or room)."))
    return None


def location_loops(item: Any, location: Any, parent_of: Callable[[Any], Any]) -> bool:
    """Whether putting `item` in `location` would place it inside itself. `parent_of`
    gives a location's own location, None at the top; items are named by any key (ids for
    the services, row keys for an import). A loop above that does not pass through the
    item is the loop's own members' error, not this item's."""
    seen = set()
    here = location
    while here is not None and here not in seen:
        if here == item:
            return True
        seen.add(here)
        here = parent_of(here)
    return False


INSIDE_ITSELF = _("A location cannot be inside itself.")
OTHER_VENDOR = _("The contract is with another vendor.")


def _location_errors(item: ConfigurationItem, tree: ClassTree) -> dict[str, list[str]]:
    location = item.location
    if location is None:
        return {}

    def parent_of(pk: int) -> int | None:
        return ConfigurationItem.objects.filter(pk=pk).values_list("location_id", flat=True).first()

    refusal = location_refusal(tree, location.ci_class_id)
    if refusal is None and item.pk is not None and location_loops(item.pk, location.pk, parent_of):
        refusal = str(INSIDE_ITSELF)
    return {"location": [refusal]} if refusal else {}


@transaction.atomic
def create_ci(
    *,
    actor: Any,
    fields: dict[str, Any],
    attributes: dict[str, Any] | None = None,
    services: Iterable[Service] | None = None,
    change_number: str = "",
) -> ConfigurationItem:
    """Record a configuration item. `fields` are model fields by name (objects for
    relations; `ci_class` may be a code); `change_number`: the RFC it was made under."""
    _check_permission(actor)
    item = ConfigurationItem()
    _assign(item, fields)
    check_item(item, attributes, tree=ClassTree.load())
    _save_unique(item, force_insert=True)
    if services is not None:
        item.services.set(services)
    after = item.field_snapshot()
    changes = diff({}, {k: v for k, v in after.items() if v not in (None, "")})
    if services:
        changes["services"] = [[], sorted(s.pk for s in services)]
    write_audit(item, actor=actor, action="create", changes=changes, note=change_number)
    return item


@transaction.atomic
def update_ci(
    item: ConfigurationItem,
    *,
    actor: Any,
    version: int,
    fields: dict[str, Any],
    attributes: dict[str, Any] | None = None,
    services: Iterable[Service] | None = None,
    change_number: str = "",
) -> ConfigurationItem:
    """Edit an item, if nobody changed it since `version` was read (409 otherwise).
    `attributes`, when given, replaces the item's attributes whole; fields not named keep
    their values. Every changed field and attribute is audited old → new, with the RFC
    (`change_number`) it was made under."""
    _check_permission(actor)
    locked = ConfigurationItem.objects.select_for_update().get(pk=item.pk)
    if locked.version != version:
        raise StaleVersion()
    return _apply_update(
        locked,
        actor=actor,
        fields=fields,
        attributes=attributes,
        services=services,
        change_number=change_number,
    )


@transaction.atomic
def set_deployed_version(
    item: ConfigurationItem, *, actor: Any, software_version: str, change_number: str
) -> ConfigurationItem:
    """Record the software version a deployment installed on `item`. The process that
    recorded the deployment (release management) has checked the deployer's right to
    deploy, which is what entitles him to this one attribute: no CMDB edit right is asked
    for. Audited old → new, with the release or change (`change_number`) as any edit."""
    locked = ConfigurationItem.objects.select_for_update().get(pk=item.pk)
    attributes = {**locked.attributes, DEPLOYED_VERSION_ATTRIBUTE: software_version}
    return _apply_update(
        locked,
        actor=actor,
        fields={},
        attributes=attributes,
        services=None,
        change_number=change_number,
    )


def _apply_update(
    locked: ConfigurationItem,
    *,
    actor: Any,
    fields: dict[str, Any],
    attributes: dict[str, Any] | None,
    services: Iterable[Service] | None,
    change_number: str,
) -> ConfigurationItem:
    """`update_ci` on the locked item, once the right to make the edit is settled."""
    before = locked.field_snapshot()
    _assign(locked, fields)
    check_item(locked, attributes, tree=ClassTree.load())
    # Attributes removed count as changed to None.
    changed = diff(before, {**dict.fromkeys(before), **locked.field_snapshot()})
    old_services = sorted(locked.services.values_list("pk", flat=True))
    if services is not None and sorted(s.pk for s in services) != old_services:
        locked.services.set(services)
        changed["services"] = [old_services, sorted(s.pk for s in services)]
    if not changed:
        return locked
    locked.version += 1
    locked.updated_at = timezone.now()
    _save_unique(locked)
    write_audit(locked, actor=actor, action="update", changes=changed, note=change_number)
    return locked


def _save_unique(item: ConfigurationItem, **kwargs: Any) -> None:
    """Save; a code or asset tag taken by a concurrent write since `check_item` looked is a
    400 on that field, not a database error."""
    try:
        with transaction.atomic():
            item.save(**kwargs)
    except IntegrityError:
        others = (
            ConfigurationItem.objects.exclude(pk=item.pk) if item.pk else ConfigurationItem.objects
        )
        if others.filter(code=item.code).exists():
            raise ValidationError({"code": _("Another item has this code.")}) from None
        if item.asset_tag and others.filter(asset_tag=item.asset_tag).exists():
            raise ValidationError({"asset_tag": _("Another item has this asset tag.")}) from None
        raise


def _assign(item: ConfigurationItem, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ValidationError({name: _("This field cannot be set.")})
        if name == "ci_class":
            item.ci_class_id = value.code if hasattr(value, "code") else str(value or "")
        elif name in ("position", "serial_number", "asset_tag") and value is None:
            setattr(item, name, "")
        else:
            setattr(item, name, value)


def _reaches(start: int, goal: int, types: frozenset[str]) -> bool:
    """Whether a path of edges of these types leads from `start` to `goal` (source to
    target), read breadth-first, one query per level."""
    seen = {start}
    frontier = [start]
    while frontier:
        following: list[int] = []
        for chunk in _chunks(frontier):
            for target in (
                Relationship.objects.filter(source_id__in=chunk, type__in=types)
                .order_by()
                .values_list("target_id", flat=True)
            ):
                if target == goal:
                    return True
                if target not in seen:
                    seen.add(target)
                    following.append(target)
        frontier = following
    return False


@transaction.atomic
def check_relationship(
    source: ConfigurationItem, target: ConfigurationItem, type: str, *, existing: Any = None
) -> None:
    """The rules a relationship obeys, however it is written (service, API, admin): a
    known type that may join these classes, not to itself, not twice, and no loop of a type
    family that may not loop. `existing`: the relationship being edited, if any. Raises
    ValidationError with a message per field."""
    if type not in RelationshipType.values:
        raise ValidationError({"type": _("Unknown relationship type.")})
    if source.pk == target.pk:
        raise ValidationError({"target": _("A configuration item cannot be related to itself.")})
    tree = ClassTree.load()
    if not is_allowed(type, tree.lineage(source.ci_class_id), tree.lineage(target.ci_class_id)):
        raise ValidationError(
            {
                "type": _("A relationship “%(type)s” cannot go from a %(source)s to a %(target)s.")
                % {
                    "source": tree.classes[source.ci_class_id].label,
                    "type": RelationshipType(type).label,
                    "target": tree.classes[target.ci_class_id].label,
                }
            }
        )
    same = Relationship.objects.filter(source=source, target=target, type=type)
    if existing is not None and existing.pk is not None:
        same = same.exclude(pk=existing.pk)
    if same.exists():
        raise ValidationError({"target": _("This relationship exists already.")})
    family = family_types(type)
    if family and _reaches(target.pk, source.pk, family):
        raise ValidationError(
            {
                "target": _(
                    "%(target)s already relies on %(source)s: this relationship would make a loop."
                )
                % {"target": target.code, "source": source.code}
            }
        )


@transaction.atomic
def relate_cis(
    source: ConfigurationItem,
    target: ConfigurationItem,
    type: str,
    *,
    actor: Any,
    note: str = "",
    change_number: str = "",
) -> Relationship:
    """Record that `source` relies on `target` ("source <type> target": the target's
    failure affects the source), if the rules allow it (`check_relationship`). Audited on
    both items, with the RFC (`change_number`) it was made under."""
    _check_permission(actor)
    check_relationship(source, target, type)
    relationship = Relationship.objects.create(source=source, target=target, type=type, note=note)
    _audit_relationship(relationship, "relate", actor=actor, change_number=change_number)
    return relationship


@transaction.atomic
def unrelate_cis(relationship: Relationship, *, actor: Any, change_number: str = "") -> None:
    """Remove a relationship. It is kept as a `FormerRelationship` (for the CMDB as of a
    past date) and audited on both items."""
    _check_permission(actor)
    FormerRelationship.objects.create(
        source_id=relationship.source_id,
        target_id=relationship.target_id,
        type=relationship.type,
        note=relationship.note,
        created_at=relationship.created_at,
        ended_at=timezone.now(),
    )
    _audit_relationship(relationship, "unrelate", actor=actor, change_number=change_number)
    relationship.delete()


def _audit_relationship(
    relationship: Relationship, action: str, *, actor: Any, change_number: str
) -> None:
    """One entry on each end: "SRV-01 runs_on SRV-VMH-01" as the new value (relate) or
    the old one (unrelate)."""
    described = relationship.describe()
    value = [None, described] if action == "relate" else [described, None]
    for item in (relationship.source, relationship.target):
        write_audit(
            item,
            actor=actor,
            action=action,
            changes={"relationship": value},
            note=change_number,
        )


@transaction.atomic
def record_planned_outage(
    service: Service,
    *,
    actor: Any,
    start: dt.datetime,
    end: dt.datetime,
    reason: str = "",
    change_number: str = "",
) -> ServiceOutage:
    """Record that `service` is down for planned work from `start` to `end`. Called by the
    process that agreed the downtime (a change, on implementation), which has authorised
    the work: the verb checks no permission of its own. Recorded again for the same RFC,
    the service's outage of that RFC is replaced, not doubled. Audited on the outage."""
    if end <= start:
        raise ValidationError({"end": _("An outage ends after it starts.")})
    outage = None
    if change_number:
        outage = (
            ServiceOutage.objects.select_for_update()
            .filter(service=service, planned=True, change_number=change_number)
            .first()
        )
    if outage is None:
        outage = ServiceOutage(service=service, planned=True, change_number=change_number)
        before: dict[str, Any] = {}
    else:
        before = {"start": outage.start, "end": outage.end, "reason": outage.reason}
    outage.start, outage.end, outage.reason = start, end, reason[:300]
    outage.save()
    changes = diff(before, {"start": start, "end": end, "reason": outage.reason})
    if not before:
        changes["service"] = [None, service.pk]
    write_audit(
        outage,
        actor=actor,
        action="create" if not before else "update",
        changes=changes,
        note=change_number,
    )
    return outage


class ItemRow(NamedTuple):
    """The columns of a reached configuration item the analysis shows."""

    id: int
    code: str
    name: str
    ci_class: str
    department_id: int | None


@dataclass(frozen=True, slots=True)
class Reached:
    """A configuration item found by the walk: how many edges away, and the types of the
    edges on the way (from the analysed item outwards)."""

    ci: ItemRow
    depth: int
    via: tuple[str, ...]


@dataclass
class Impact:
    """What a configuration item's failure affects (`affected`, upwards, with the business
    services and departments concerned) and what it relies on (`depends_on`, downwards)."""

    ci: ConfigurationItem
    affected: list[Reached] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)
    whole_hospital: bool = False
    depends_on: list[Reached] = field(default_factory=list)
    truncated: bool = False


def _select_in(sql: str, ids: list[int]) -> Iterator[tuple[Any, ...]]:
    """Rows of `sql`, whose `{ids}` is the condition "column is one of the ids". Raw SQL: at
    thousands of ids, the ORM's per-value lookup preparation and model instances cost more
    than the query itself (two thirds of a 9,000-item analysis). PostgreSQL takes the ids
    as one array (`= ANY(%s)`: a long IN list costs it more to parse and plan than to run,
    100 ms for 9,000 ids); SQLite takes an IN list, a CHUNK of ids at a time."""
    if not ids:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(sql.format(ids="= ANY(%s)"), [ids])
            yield from cursor.fetchall()
            return
        for chunk in _chunks(ids):
            cursor.execute(sql.format(ids="IN (%s)" % ", ".join(["%s"] * len(chunk))), chunk)
            yield from cursor.fetchall()


def _walk(start: int, *, upwards: bool) -> tuple[dict[int, tuple[str, ...]], dict[int, int], bool]:
    """Breadth-first over the relationships, one query per level (per CHUNK ids): upwards
    follows edges pointing to the frontier (who relies on it), downwards edges leaving it.
    A visited set keeps loops (connected_to rings) from repeating; MAX_DEPTH bounds the
    levels. Returns each reached item's path (the edge types from `start`), its depth, and
    whether the depth limit cut the walk."""
    near, far = ("target_id", "source_id") if upwards else ("source_id", "target_id")
    sql = "SELECT %s, %s, type FROM %s WHERE %s {ids}" % (
        near,
        far,
        Relationship._meta.db_table,
        near,
    )
    vias: dict[int, tuple[str, ...]] = {start: ()}
    depths: dict[int, int] = {start: 0}
    frontier = [start]
    depth = 0
    while frontier and depth < MAX_DEPTH:
        depth += 1
        following: list[int] = []
        for parent, child, type in _select_in(sql, frontier):
            if child not in depths:
                depths[child] = depth
                vias[child] = (*vias[parent], type)
                following.append(child)
        frontier = following
    del depths[start]
    truncated = bool(frontier) and _has_edges(frontier, near)
    return vias, depths, truncated


def _has_edges(ids: list[int], near: str) -> bool:
    return any(
        Relationship.objects.filter(**{near + "__in": chunk}).exists() for chunk in _chunks(ids)
    )


def _reached(vias: dict[int, tuple[str, ...]], depths: dict[int, int]) -> list[Reached]:
    sql = "SELECT id, code, name, ci_class, department_id FROM %s WHERE id {ids}" % (
        ConfigurationItem._meta.db_table
    )
    rows = sorted(
        map(ItemRow._make, _select_in(sql, list(depths))),
        key=lambda row: (depths[row.id], row.code),
    )
    return [Reached(ci=row, depth=depths[row.id], via=vias[row.id]) for row in rows]


def _services_of(ci_ids: Iterable[int]) -> list[Service]:
    sql = "SELECT DISTINCT service_id FROM %s WHERE configurationitem_id {ids}" % (
        ConfigurationItem.services.through._meta.db_table
    )
    service_ids = {service_id for (service_id,) in _select_in(sql, list(ci_ids))}
    if not service_ids:
        return []
    return list(Service.objects.filter(pk__in=service_ids).prefetch_related("departments"))


def impact_of(ci: ConfigurationItem) -> Impact:
    """What fails with `ci`: every item with a path of relationships pointing to it (up to
    MAX_DEPTH edges), the business services of those items and of `ci` itself, and the
    departments concerned — those the services serve (a service serving no department
    serves the whole hospital: `whole_hospital`) and the affected items' own. Also what
    `ci` relies on, downwards. The query count depends on the depth of the graph, not on
    its size."""
    vias, depths, truncated_up = _walk(ci.pk, upwards=True)
    affected = _reached(vias, depths)
    down_vias, down_depths, truncated_down = _walk(ci.pk, upwards=False)
    depends_on = _reached(down_vias, down_depths)
    services = _services_of([ci.pk, *depths])
    department_ids = {d.pk for s in services for d in s.departments.all()}
    whole_hospital = any(not s.departments.all() for s in services)
    department_ids.update(r.ci.department_id for r in affected if r.ci.department_id is not None)
    if ci.department_id is not None:
        department_ids.add(ci.department_id)
    departments = (
        list(Department.objects.filter(pk__in=department_ids).order_by("name"))
        if department_ids
        else []
    )
    return Impact(
        ci=ci,
        affected=affected,
        services=services,
        departments=departments,
        whole_hospital=whole_hospital,
        depends_on=depends_on,
        truncated=truncated_up or truncated_down,
    )

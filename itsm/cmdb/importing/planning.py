"""The dry run: every row checked, the related records looked up in bulk."""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.accounts.models import Department, SupportGroup, Vendor
from itsm.cmdb.attributes import ClassTree, clean_attributes, schema
from itsm.cmdb.choices import (
    AttributeType,
    ConfigurationItemClass,
    ConfigurationItemStatus,
    Criticality,
)
from itsm.cmdb.importing.common import (
    BATCH,
    FOREIGN_KEYS,
    SERVICE_SEPARATORS,
    ImportFile,
    ImportFileError,
    ImportPlan,
    Progress,
    RowError,
    Update,
    cell_text,
    check_permission,
    chunks,
)
from itsm.cmdb.importing.edges import plan_relationships
from itsm.cmdb.importing.reading import Column, choice_map, item_columns, normalise, read_sheets
from itsm.cmdb.models import AttributeDefinition, ConfigurationItem, Contract, Service
from itsm.cmdb.services import INSIDE_ITSELF, OTHER_VENDOR, location_loops, location_refusal
from itsm.core.services import diff


@dataclass
class _Lookups:
    """The records the file refers to, each table read once."""

    tree: ClassTree
    classes: dict[str, str]
    statuses: dict[str, Any]
    criticalities: dict[str, Any]
    departments: dict[str, int]
    groups: dict[str, int]
    vendors: dict[str, int]
    contracts: dict[str, tuple[int, int]]
    services: dict[str, int]
    existing: dict[str, ConfigurationItem]
    others: dict[str, tuple[int, str]]
    asset_tags: dict[str, str]
    location_parents: dict[int, int | None]
    definitions: dict[str, list[AttributeDefinition]] = field(default_factory=dict)

    lineages: dict[str, tuple[str, ...]] = field(default_factory=dict)
    names: dict[str, dict[str, str]] = field(default_factory=dict)

    def schema(self, ci_class: str) -> list[AttributeDefinition]:
        if ci_class not in self.definitions:
            self.definitions[ci_class] = schema(ci_class, self.tree)
        return self.definitions[ci_class]

    def attribute_names(self, ci_class: str) -> dict[str, str]:
        """Normalised code or name (Chinese, English) → code, of the class's attributes."""
        if ci_class not in self.names:
            names: dict[str, str] = {}
            for definition in self.schema(ci_class):
                for alias in (definition.code, definition.name, definition.name_en):
                    if alias:
                        names.setdefault(normalise(alias), definition.code)
            self.names[ci_class] = names
        return self.names[ci_class]

    def lineage(self, ci_class: str) -> tuple[str, ...]:
        if ci_class not in self.lineages:
            self.lineages[ci_class] = self.tree.lineage(ci_class)
        return self.lineages[ci_class]

    def is_a(self, ci_class: str, ancestor: str) -> bool:
        return ancestor in self.lineage(ci_class)


def _values(rows: list[list[Any]], columns: list[Column], name: str) -> set[str]:
    index = next((c.index for c in columns if c.field == name), None)
    if index is None:
        return set()
    return {cell_text(r[index]) for r in rows if index < len(r) and cell_text(r[index])}


def _load(
    rows: list[list[Any]],
    columns: list[Column],
    tree: ClassTree,
    referenced: set[str],
    reference_attributes: set[str],
) -> _Lookups:
    classes: dict[str, str] = {}
    for code, ci_class in tree.classes.items():
        for alias in (code, ci_class.name, ci_class.name_en):
            if alias:
                classes.setdefault(normalise(alias), code)
    names = _values(rows, columns, "department")
    departments: dict[str, int] = {}
    for pk, name, code in Department.objects.filter(
        Q(name__in=names) | Q(code__in=names)
    ).values_list("pk", "name", "code"):
        departments[code] = departments[name] = pk
    groups = dict(
        SupportGroup.objects.filter(name__in=_values(rows, columns, "owner_group")).values_list(
            "name", "pk"
        )
    )
    vendors = dict(
        Vendor.objects.filter(name__in=_values(rows, columns, "vendor")).values_list("name", "pk")
    )
    contracts = {
        number: (pk, vendor_id)
        for number, pk, vendor_id in Contract.objects.filter(
            number__in=_values(rows, columns, "contract")
        ).values_list("number", "pk", "vendor_id")
    }
    service_codes = {
        code.strip()
        for value in _values(rows, columns, "services")
        for code in SERVICE_SEPARATORS.split(value)
        if code.strip()
    }
    services = dict(Service.objects.filter(code__in=service_codes).values_list("code", "pk"))
    codes = sorted(_values(rows, columns, "code"))
    existing: dict[str, ConfigurationItem] = {}
    for chunk in chunks(codes):
        existing.update((i.code, i) for i in ConfigurationItem.objects.filter(code__in=chunk))
    others: dict[str, tuple[int, str]] = {}
    rest = sorted(referenced - existing.keys())
    for chunk in chunks(rest):
        others.update(
            (code, (pk, str(ci_class)))
            for pk, code, ci_class in ConfigurationItem.objects.filter(code__in=chunk).values_list(
                "pk", "code", "ci_class"
            )
        )
    # The items the existing items' references name (kept when the file leaves them).
    referenced_ids = sorted(
        {
            value
            for item in existing.values()
            for code, value in (item.attributes or {}).items()
            if code in reference_attributes and isinstance(value, int)
        }
    )
    for chunk in chunks(referenced_ids):
        others.update(
            (code, (pk, str(ci_class)))
            for pk, code, ci_class in ConfigurationItem.objects.filter(pk__in=chunk).values_list(
                "pk", "code", "ci_class"
            )
        )
    tags = sorted(_values(rows, columns, "asset_tag"))
    asset_tags: dict[str, str] = {}
    for chunk in chunks(tags):
        asset_tags.update(
            ConfigurationItem.objects.filter(asset_tag__in=chunk).values_list("asset_tag", "code")
        )
    location_parents: dict[int, int | None] = dict(
        ConfigurationItem.objects.filter(
            ci_class__code__in=tree.descendants(ConfigurationItemClass.LOCATION)
        ).values_list("pk", "location_id")
    )
    return _Lookups(
        tree=tree,
        classes=classes,
        statuses=choice_map(ConfigurationItemStatus),
        criticalities=choice_map(Criticality),
        departments=departments,
        groups=groups,
        vendors=vendors,
        contracts=contracts,
        services=services,
        existing=existing,
        others=others,
        asset_tags=asset_tags,
        location_parents=location_parents,
    )


def _reference_codes(
    rows: list[list[Any]],
    columns: list[Column],
    relationship_rows: list[list[Any]],
    definitions: list[AttributeDefinition],
) -> set[str]:
    """Every value that may name another item: locations, cells of the columns that may
    hold a reference (item codes), relationship ends."""
    references = {
        normalise(alias)
        for d in definitions
        if d.type == AttributeType.REFERENCE
        for alias in (d.code, d.name, d.name_en)
        if alias
    }
    codes = _values(rows, columns, "location")
    for column in columns:
        if column.attribute and column.key in references:
            codes |= {
                cell_text(r[column.index])
                for r in rows
                if column.index < len(r) and isinstance(r[column.index], str) and r[column.index]
            }
    for row in relationship_rows[1:]:
        codes |= {cell_text(v) for v in row[:3] if cell_text(v)}
    return codes


class Planner:
    """Builds an ImportPlan row by row. Item keys: an existing item's id, −(n+1) for the
    n-th item to create; `classes` holds each key's class after the import."""

    def __init__(self, lookups: _Lookups, columns: list[Column], plan: ImportPlan) -> None:
        self.lookups = lookups
        self.columns = columns
        self.plan = plan
        self.keys: dict[str, int] = {}
        self.classes: dict[int, str] = {}
        self.rows: dict[int, int] = {}
        self.locations: dict[int, int | None] = dict(lookups.location_parents)
        self.tags: dict[str, tuple[str, int]] = {}
        for code, (pk, ci_class) in lookups.others.items():
            self.keys[code] = pk
            self.classes[pk] = ci_class
        self.column_of = {c.field: c for c in columns if c.field}
        self.attribute_headers: dict[str, str] = {}
        # Fields the file does not set keep valid values (the stored ones, or defaults);
        # relations are checked against the looked-up records instead.
        checked = {*self.column_of, "code", "name"} - {*FOREIGN_KEYS, "services"}
        self.unchecked = [
            f.name for f in ConfigurationItem._meta.concrete_fields if f.name not in checked
        ]
        self.attribute_columns = [c for c in columns if c.attribute]
        self.field_labels = {
            f.name: str(f.verbose_name) for f in ConfigurationItem._meta.get_fields() if f.concrete
        }

    def code_of(self, key: int) -> str:
        if not hasattr(self, "_codes"):
            self._codes = {found: code for code, found in self.keys.items()}
        return self._codes.get(key, str(key))

    def error(self, row: int, column: str, message: str) -> None:
        self.plan.errors.append(RowError("items", row, column, message))

    def header(self, name: str) -> str:
        column = self.column_of.get(name)
        return column.header if column else self.field_labels.get(name, name)

    def assign_keys(self, rows: list[list[Any]]) -> list[str]:
        """Each row's code, with duplicates in the file reported; new items get their key."""
        code_column = self.column_of["code"]
        codes: list[str] = []
        first_row: dict[str, int] = {}
        created = 0
        for number, row in enumerate(rows, start=2):
            code = cell_text(row[code_column.index]) if code_column.index < len(row) else ""
            codes.append(code)
            if not code:
                continue
            if code in first_row:
                self.error(
                    number,
                    code_column.header,
                    _("The code “%(code)s” is in row %(row)d already.")
                    % {"code": code, "row": first_row[code]},
                )
                continue
            first_row[code] = number
            existing = self.lookups.existing.get(code)
            if existing is not None:
                key = existing.pk
                self.classes[key] = existing.ci_class_id
            else:
                created += 1
                key = -created
            self.keys[code] = key
            self.rows[key] = number
        return codes

    def resolve(self, value: Any) -> tuple[int, str] | None:
        """A reference attribute's value (an item code, or an id) as (key, class)."""
        if isinstance(value, int) and not isinstance(value, bool):
            return (value, self.classes[value]) if value in self.classes else None
        key = self.keys.get(cell_text(value))
        if key is None or key not in self.classes:
            return None
        return key, self.classes[key]

    def classify(self, rows: list[list[Any]], codes: list[str]) -> None:
        """Each row's class first: references between rows need the classes of both."""
        class_column = self.column_of.get("ci_class")
        for number, (row, code) in enumerate(zip(rows, codes, strict=True), start=2):
            key = self.keys.get(code)
            if key is None or self.rows.get(key) != number:
                continue
            if class_column is None:
                if key < 0:
                    self.error(number, self.header("ci_class"), _("This field cannot be blank."))
                continue
            raw = row[class_column.index] if class_column.index < len(row) else None
            value = cell_text(raw)
            if not value:
                if key < 0:
                    self.error(number, class_column.header, _("This field cannot be blank."))
                continue
            ci_class = self.lookups.classes.get(normalise(value))
            if ci_class is None:
                self.error(
                    number, class_column.header, _("Unknown class “%(value)s”.") % {"value": value}
                )
                self.classes.pop(key, None)
                continue
            self.classes[key] = ci_class

    def plan_rows(self, rows: list[list[Any]], codes: list[str], progress: Progress | None) -> None:
        for number, (row, code) in enumerate(zip(rows, codes, strict=True), start=2):
            if progress is not None and number % BATCH == 0:
                progress(number - 1, len(rows))
            key = self.keys.get(code)
            if not code:
                if any(v not in (None, "") for v in row):
                    self.error(number, self.header("code"), _("This field cannot be blank."))
                continue
            if key is None or self.rows.get(key) != number:
                continue
            self.plan_row(number, row, key)

    def plan_row(self, number: int, row: list[Any], key: int) -> None:
        existing = self.lookups.existing.get(cell_text(row[self.column_of["code"].index]))
        item = copy.copy(existing) if existing is not None else ConfigurationItem()
        if existing is not None:
            item.attributes = dict(existing.attributes or {})
        errors: dict[str, str] = {}
        cell: dict[str, Any] = {}
        for name, column in self.column_of.items():
            cell[name] = row[column.index] if column.index < len(row) else None
        item.code = cell_text(cell["code"])
        ci_class = self.classes.get(key)
        if ci_class is None:
            return  # reported by classify
        item.ci_class_id = ci_class
        for name in ("name", "position", "serial_number", "asset_tag"):
            if name in cell:
                setattr(item, name, cell_text(cell[name]))
        for name in ("ip_address", "purchased_on", "warranty_ends_on"):
            if name in cell:
                value = cell[name]
                setattr(item, name, None if value in (None, "") else value)
        for name, choices in (
            ("status", self.lookups.statuses),
            ("criticality", self.lookups.criticalities),
        ):
            text = cell_text(cell.get(name))
            if text:
                value = choices.get(normalise(text))
                if value is None:
                    errors[name] = _("“%(value)s” is not a valid choice.") % {"value": text}
                else:
                    setattr(item, name, value)
        self.relate_fields(item, cell, key, errors)
        try:
            item.clean_fields(exclude=[*self.unchecked, *errors])
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, messages[0])
        if item.asset_tag:
            self.check_asset_tag(item, number, errors)
        attributes = self.check_attributes(item, row, errors)
        services = self.services(cell, errors)
        for name, message in errors.items():
            self.error(number, self.column_for_error(name), message)
        if errors:
            return
        item.attributes = attributes
        self.add(item, existing, services)

    def column_for_error(self, name: str) -> str:
        if name.startswith("attributes."):
            return self.attribute_headers.get(name.split(".", 1)[1], name)
        return self.header(name)

    def relate_fields(
        self, item: ConfigurationItem, cell: dict[str, Any], key: int, errors: dict[str, str]
    ) -> None:
        lookups = self.lookups
        for name, table, message in (
            ("department", lookups.departments, gettext_lazy("No department “%(value)s”.")),
            ("owner_group", lookups.groups, gettext_lazy("No support group “%(value)s”.")),
            ("vendor", lookups.vendors, gettext_lazy("No vendor “%(value)s”.")),
        ):
            if name in cell:
                value = cell_text(cell[name])
                found = table.get(value) if value else None
                if value and found is None:
                    errors[name] = str(message) % {"value": value}
                setattr(item, name + "_id", found)
        if "contract" in cell:
            number = cell_text(cell["contract"])
            contract = lookups.contracts.get(number) if number else None
            if number and contract is None:
                errors["contract"] = _("No contract “%(value)s”.") % {"value": number}
            item.contract_id = contract[0] if contract else None
            if contract and item.vendor_id not in (None, contract[1]):
                errors["contract"] = str(OTHER_VENDOR)
        if "location" in cell:
            code = cell_text(cell["location"])
            location = self.keys.get(code) if code else None
            if code and (location is None or location not in self.classes):
                errors["location"] = _("No configuration item “%(value)s”.") % {"value": code}
                location = None
            elif location is not None and (
                refusal := location_refusal(lookups.tree, self.classes[location])
            ):
                errors["location"] = refusal
            elif location is not None and location == key:
                errors["location"] = str(INSIDE_ITSELF)
            item.location_id = location
            if lookups.is_a(item.ci_class_id, ConfigurationItemClass.LOCATION):
                self.locations[key] = location
            else:
                self.locations.pop(key, None)

    def check_asset_tag(self, item: ConfigurationItem, number: int, errors: dict[str, str]) -> None:
        holder = self.lookups.asset_tags.get(item.asset_tag)
        if holder is not None and holder != item.code:
            errors["asset_tag"] = _("The asset tag “%(tag)s” is on %(code)s already.") % {
                "tag": item.asset_tag,
                "code": holder,
            }
        elif item.asset_tag in self.tags and self.tags[item.asset_tag][0] != item.code:
            errors["asset_tag"] = _("The asset tag “%(tag)s” is in row %(row)d already.") % {
                "tag": item.asset_tag,
                "row": self.tags[item.asset_tag][1],
            }
        else:
            self.tags[item.asset_tag] = (item.code, number)

    def check_attributes(
        self, item: ConfigurationItem, row: list[Any], errors: dict[str, str]
    ) -> dict[str, Any]:
        """The item's attributes after the import: the file's columns over the item's
        current values (a column left out keeps its values; an empty cell removes one)."""
        definitions = self.lookups.schema(item.ci_class_id)
        by_name = self.lookups.attribute_names(item.ci_class_id)
        values = dict(item.attributes or {})
        self.attribute_headers = {}
        for column in self.attribute_columns:
            value = row[column.index] if column.index < len(row) else None
            code = by_name.get(column.key)
            if code is None:
                if value not in (None, ""):
                    values[column.attribute] = value
                    self.attribute_headers[column.attribute] = column.header
                continue
            self.attribute_headers[code] = column.header
            if value in (None, ""):
                values.pop(code, None)
            else:
                values[code] = value
        try:
            return clean_attributes(
                definitions, values, tree=self.lookups.tree, resolve=self.resolve
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, messages[0])
            return {}

    def services(self, cell: dict[str, Any], errors: dict[str, str]) -> list[int] | None:
        if "services" not in cell:
            return None
        found: list[int] = []
        for code in SERVICE_SEPARATORS.split(cell_text(cell["services"])):
            code = code.strip()
            if not code:
                continue
            pk = self.lookups.services.get(code)
            if pk is None:
                errors["services"] = _("No service “%(value)s”.") % {"value": code}
            elif pk not in found:
                found.append(pk)
        return sorted(found)

    def add(
        self, item: ConfigurationItem, existing: ConfigurationItem | None, services: Any
    ) -> None:
        plan = self.plan
        if existing is None:
            plan.creates.append(item)
            plan.create_services.append(services or [])
            return
        update = Update(
            item=item,
            before=existing.field_snapshot(),
            version=existing.version,
            services=services,
            old_services=[],
        )
        plan.updates.append(update)

    def check_locations(self) -> None:
        """No location inside itself, however far up: the chains after the import."""
        for key, number in self.rows.items():
            parent = self.locations.get(key)
            if parent is None or parent == key:
                continue
            if location_loops(key, parent, self.locations.get):
                self.error(number, self.header("location"), str(INSIDE_ITSELF))


def _separate_unchanged(plan: ImportPlan) -> None:
    """Updates whose item and services the file leaves as they are are no updates."""
    with_services = [u.item.pk for u in plan.updates if u.services is not None]
    current: dict[int, list[int]] = defaultdict(list)
    through = ConfigurationItem.services.through
    for chunk in chunks(with_services):
        for ci, service in through.objects.filter(configurationitem_id__in=chunk).values_list(
            "configurationitem_id", "service_id"
        ):
            current[ci].append(service)
    changed = []
    for update in plan.updates:
        update.old_services = sorted(current.get(update.item.pk, []))
        after = update.item.field_snapshot()
        same_services = update.services is None or update.services == update.old_services
        if same_services and not diff(update.before, {**dict.fromkeys(update.before), **after}):
            plan.unchanged += 1
        else:
            changed.append(update)
    plan.updates = changed


def plan_import(
    file: ImportFile,
    *,
    actor: Any,
    relationships: ImportFile | None = None,
    change_number: str = "",
    progress: Progress | None = None,
) -> ImportPlan:
    """Read the items file (and the relationships, from the workbook's "relationships"
    sheet or a file of their own) and check every row: what the import would create,
    update and leave unchanged, and every error, per row and column. Writes nothing."""
    check_permission(actor)
    plan = ImportPlan(change_number=change_number.strip())
    try:
        rows, relationship_rows = read_sheets(file)
        if relationships is not None:
            relationship_rows = read_sheets(relationships)[0]
    except ImportFileError as exc:
        plan.errors.append(RowError("items", 0, "", str(exc)))
        return plan
    if not rows:
        plan.errors.append(RowError("items", 1, "", _("The file is empty.")))
        return plan
    definitions = list(AttributeDefinition.objects.all())
    columns, header_errors = item_columns(rows[0], definitions)
    plan.errors.extend(header_errors)
    if header_errors:
        return plan
    body = rows[1:]
    tree = ClassTree.load()
    lookups = _load(
        body,
        columns,
        tree,
        _reference_codes(body, columns, relationship_rows or [], definitions),
        {d.code for d in definitions if d.type == AttributeType.REFERENCE},
    )
    planner = Planner(lookups, columns, plan)
    codes = planner.assign_keys(body)
    planner.classify(body, codes)
    planner.plan_rows(body, codes, progress)
    planner.check_locations()
    if relationship_rows:
        plan_relationships(relationship_rows, planner, plan)
    plan.errors.sort(key=lambda e: (e.sheet != "items", e.row))
    _separate_unchanged(plan)
    if progress is not None:
        progress(len(body), len(body))
    return plan

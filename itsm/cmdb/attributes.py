"""The class hierarchy and the typed attributes it gives items, and the validation every
write of an item's attributes goes through (form, API, import alike).

Values are stored in `ConfigurationItem.attributes` as JSON: text and choice as strings,
numbers as numbers, dates as "YYYY-MM-DD", IP addresses in their compressed form,
references as the referenced item's id. Errors are keyed `attributes.<code>`."""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from itsm.cmdb.choices import AttributeType
from itsm.cmdb.models import AttributeDefinition, CIClass, ConfigurationItem

TEXT_MAX = 500


def error_key(code: str) -> str:
    return "attributes.%s" % code


@dataclass(frozen=True)
class ClassTree:
    """Every class with its ancestors, read in one query: classes are few (tens)."""

    classes: dict[str, CIClass]

    @classmethod
    def load(cls) -> ClassTree:
        return cls({c.code: c for c in CIClass.objects.all()})

    def lineage(self, code: str) -> tuple[str, ...]:
        """The class and its ancestors, nearest first."""
        codes: list[str] = []
        by_id = {c.pk: c for c in self.classes.values()}
        here = self.classes.get(code)
        while here is not None and here.code not in codes:
            codes.append(here.code)
            here = by_id.get(here.parent_id) if here.parent_id is not None else None
        return tuple(codes)

    def is_a(self, code: str, ancestor: str) -> bool:
        return ancestor in self.lineage(code)

    def descendants(self, code: str) -> set[str]:
        """The class and every class below it."""
        return {c for c in self.classes if code in self.lineage(c)}


def schema(ci_class: str, tree: ClassTree | None = None) -> list[AttributeDefinition]:
    """The attributes items of this class carry: the ancestors' first, then its own."""
    tree = tree or ClassTree.load()
    lineage = tree.lineage(ci_class)
    rank = {code: len(lineage) - n for n, code in enumerate(lineage)}
    definitions = AttributeDefinition.objects.filter(ci_class__code__in=lineage).select_related(
        "ci_class", "reference_class"
    )
    return sorted(definitions, key=lambda d: (rank[d.ci_class.code], d.order, d.code))


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError
        return int(value) if value.is_integer() else value
    try:
        parsed = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError from None
    if not parsed.is_finite():
        raise ValueError
    return int(parsed) if parsed == parsed.to_integral_value() else float(parsed)


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return dt.date.fromisoformat(str(value).strip()[:10]).isoformat()


ReferenceResolver = Callable[[Any], tuple[int, str] | None]


def reference_resolver(values: Iterable[Any]) -> ReferenceResolver:
    """Look up, in one query, the items the given reference values name (an id, or a
    code), and return a function giving each value's (id, class code), None if unknown."""
    values = list(values)
    ids = {int(v) for v in values if isinstance(v, int) and not isinstance(v, bool)}
    codes = {str(v).strip() for v in values if isinstance(v, str) and v.strip()}
    ids |= {int(c) for c in codes if c.isdigit()}
    found: dict[Any, tuple[int, str]] = {}
    if ids or codes:
        rows = ConfigurationItem.objects.filter(Q(pk__in=ids) | Q(code__in=codes)).values_list(
            "pk", "code", "ci_class__code"
        )
        for pk, code, ci_class in rows:
            found[pk] = (pk, ci_class)
            found[code] = (pk, ci_class)

    def resolve(value: Any) -> tuple[int, str] | None:
        if isinstance(value, str):
            value = value.strip()
            return found.get(value) or (found.get(int(value)) if value.isdigit() else None)
        return found.get(value)

    return resolve


def clean_attributes(
    definitions: list[AttributeDefinition],
    values: Mapping[str, Any] | None,
    *,
    tree: ClassTree,
    resolve: ReferenceResolver | None = None,
) -> dict[str, Any]:
    """The values checked against the class's attributes and converted to their stored
    form; empty values are dropped. Raises ValidationError with a message per attribute
    (`attributes.<code>`): unknown attribute, missing required one, wrong type, a choice
    not offered, an unknown item or one of the wrong class."""
    values = dict(values or {})
    by_code = {d.code: d for d in definitions}
    errors: dict[str, str] = {}
    for code in values:
        if code not in by_code:
            errors[error_key(code)] = _("This class has no attribute “%(code)s”.") % {"code": code}
    if resolve is None:
        resolve = reference_resolver(
            v
            for code, v in values.items()
            if code in by_code and by_code[code].type == AttributeType.REFERENCE
        )
    cleaned: dict[str, Any] = {}
    for definition in definitions:
        value = values.get(definition.code)
        key = error_key(definition.code)
        if _is_empty(value):
            if definition.required:
                errors[key] = _("“%(name)s” is required.") % {"name": definition.label}
            continue
        try:
            cleaned[definition.code] = _convert(definition, value, tree, resolve)
        except ValidationError as exc:
            errors[key] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _convert(
    definition: AttributeDefinition, value: Any, tree: ClassTree, resolve: ReferenceResolver
) -> Any:
    name = definition.label
    kind = definition.type
    if kind == AttributeType.TEXT:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValidationError(_("“%(name)s” must be text.") % {"name": name})
        text = str(value).strip()
        if len(text) > TEXT_MAX:
            raise ValidationError(
                _("“%(name)s” is at most %(max)d characters.") % {"name": name, "max": TEXT_MAX}
            )
        return text
    if kind == AttributeType.NUMBER:
        try:
            return _number(value)
        except ValueError:
            raise ValidationError(
                _("“%(name)s” must be a number, not “%(value)s”.") % {"name": name, "value": value}
            ) from None
    if kind == AttributeType.DATE:
        try:
            return _date(value)
        except ValueError:
            raise ValidationError(
                _("“%(name)s” must be a date (YYYY-MM-DD), not “%(value)s”.")
                % {"name": name, "value": value}
            ) from None
    if kind == AttributeType.CHOICE:
        text = str(value).strip()
        if text not in definition.choices:
            raise ValidationError(
                _("“%(value)s” is not one of the choices of “%(name)s”: %(choices)s.")
                % {"value": text, "name": name, "choices": "、".join(definition.choices)}
            )
        return text
    if kind == AttributeType.IP:
        try:
            return str(ipaddress.ip_address(str(value).strip()))
        except ValueError:
            raise ValidationError(
                _("“%(value)s” is not an IP address.") % {"value": value}
            ) from None
    if kind == AttributeType.REFERENCE:
        found = resolve(value)
        if found is None:
            raise ValidationError(
                _("“%(name)s”: no configuration item “%(value)s”.") % {"name": name, "value": value}
            )
        pk, ci_class = found
        wanted = definition.reference_class
        if wanted is not None and not tree.is_a(ci_class, wanted.code):
            raise ValidationError(
                _("“%(name)s” must refer to a %(class)s.") % {"name": name, "class": wanted.label}
            )
        return pk
    raise ValidationError(_("Unknown attribute type."))

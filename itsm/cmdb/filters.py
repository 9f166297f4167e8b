"""The FilterSet of the configuration item list (`/cmdb/cis/`)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import Department, SupportGroup, Vendor
from itsm.cmdb.attributes import ClassTree, schema
from itsm.cmdb.choices import (
    AttributeType,
    ConfigurationItemClass,
    ConfigurationItemStatus,
    Criticality,
)
from itsm.cmdb.models import PLACE_DEPTH, AttributeDefinition, ConfigurationItem

# The filter bar's field for attribute `code` of the chosen class: `?attr_cpu_cores=32`.
ATTRIBUTE_PREFIX = "attr_"


def class_choices(tree: ClassTree) -> list[tuple[str, str]]:
    """Every class, each under its parent and indented by its depth, as a select shows them."""
    children: dict[int | None, list[Any]] = {}
    for ci_class in tree.classes.values():
        children.setdefault(ci_class.parent_id, []).append(ci_class)
    choices: list[tuple[str, str]] = []

    def add(parent: int | None, depth: int) -> None:
        for ci_class in sorted(children.get(parent, []), key=lambda c: c.code):
            choices.append((ci_class.code, "\u2003" * depth + ci_class.label))
            add(ci_class.pk, depth + 1)

    add(None, 0)
    return choices


def location_queryset(tree: ClassTree | None = None) -> QuerySet[ConfigurationItem]:
    """The location items (campus, building, floor, room), with the places above them."""
    tree = tree or ClassTree.load()
    return (
        ConfigurationItem.objects.filter(
            ci_class__code__in=tree.descendants(ConfigurationItemClass.LOCATION)
        )
        .with_place()
        .order_by("code")
    )


def location_label(item: ConfigurationItem) -> str:
    """A location as a path ("院本部 / 门诊楼 / 3层"), so that two "3层" are told apart."""
    names = [item.name]
    here = item.location if item.location_id is not None else None
    for _depth in range(PLACE_DEPTH - 1):
        if here is None:
            break
        names.append(here.name)
        here = here.location if here.location_id is not None else None
    return " / ".join(reversed(names))


class LocationChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return location_label(obj)


class LocationFilter(django_filters.ModelChoiceFilter):  # type: ignore[misc]
    field_class = LocationChoiceField


def _words(queryset: QuerySet[Any], fields: tuple[str, ...], value: str) -> QuerySet[Any]:
    """Every word must appear in one of the fields."""
    for word in value.split():
        condition = Q()
        for field in fields:
            condition |= Q(**{"%s__icontains" % field: word})
        queryset = queryset.filter(condition)
    return queryset


class ConfigurationItemFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    """Search and filter the CMDB. A class keeps its subclasses' items (servers include
    virtual machines), a location everything inside it (a building its floors' and rooms'
    items). With a class chosen, its attributes can be filtered too (`attr_<code>`)."""

    q = django_filters.CharFilter(
        label=_("Code, name, serial number, asset tag or IP"), method="filter_q"
    )
    ci_class = django_filters.ChoiceFilter(label=_("Class"), method="filter_class")
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=ConfigurationItemStatus.choices, distinct=False
    )
    criticality = django_filters.ChoiceFilter(label=_("Criticality"), choices=Criticality.choices)
    location = LocationFilter(
        label=_("Location"), queryset=ConfigurationItem.objects.none(), method="filter_location"
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), queryset=Department.objects.all()
    )
    owner_group = django_filters.ModelChoiceFilter(
        label=_("Owner group"), queryset=SupportGroup.objects.all()
    )
    vendor = django_filters.ModelChoiceFilter(label=_("Vendor"), queryset=Vendor.objects.all())

    class Meta:
        model = ConfigurationItem
        fields = (
            "q",
            "ci_class",
            "status",
            "criticality",
            "location",
            "department",
            "owner_group",
            "vendor",
        )

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet[ConfigurationItem] | None = None,
        *,
        request: HttpRequest | None = None,
        prefix: str | None = None,
    ) -> None:
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.filters["ci_class"].extra["choices"] = class_choices(self.tree)
        self.filters["location"].queryset = location_queryset(self.tree)
        for definition in self.attribute_definitions:
            self.filters[ATTRIBUTE_PREFIX + definition.code] = AttributeFilter(definition)

    @cached_property
    def tree(self) -> ClassTree:
        return ClassTree.load()

    @cached_property
    def attribute_definitions(self) -> list[AttributeDefinition]:
        """The attributes of the chosen class (none without one, or with an unknown one)."""
        code = (self.data or {}).get("ci_class") or ""
        if not isinstance(code, str) or code not in self.tree.classes:
            return []
        return schema(code, self.tree)

    @property
    def attribute_fields(self) -> list[forms.BoundField]:
        form = self.form
        return [form[ATTRIBUTE_PREFIX + d.code] for d in self.attribute_definitions]

    def filter_q(
        self, queryset: QuerySet[ConfigurationItem], name: str, value: str
    ) -> QuerySet[ConfigurationItem]:
        value = value.strip()
        if not value:
            return queryset
        try:
            address = str(ipaddress.ip_address(value))
        except ValueError:
            return _words(queryset, ("code", "name", "serial_number", "asset_tag"), value)
        return queryset.filter(ip_address=address)

    def filter_class(
        self, queryset: QuerySet[ConfigurationItem], name: str, value: str
    ) -> QuerySet[ConfigurationItem]:
        if not value:
            return queryset
        return queryset.filter(ci_class__code__in=self.tree.descendants(value))

    def filter_location(
        self, queryset: QuerySet[ConfigurationItem], name: str, value: ConfigurationItem | None
    ) -> QuerySet[ConfigurationItem]:
        """Items in the location or in a location inside it, found level by level over
        the location items only (a few queries, whatever the number of items)."""
        if value is None:
            return queryset
        location_classes = self.tree.descendants(ConfigurationItemClass.LOCATION)
        inside = {value.pk}
        frontier = [value.pk]
        for _depth in range(PLACE_DEPTH):
            frontier = list(
                ConfigurationItem.objects.filter(
                    location_id__in=frontier, ci_class__code__in=location_classes
                )
                .exclude(pk__in=inside)
                .values_list("pk", flat=True)
            )
            if not frontier:
                break
            inside.update(frontier)
        return queryset.filter(location_id__in=inside)


class AttributeFilter(django_filters.Filter):  # type: ignore[misc]
    """One attribute of the chosen class: a text contains the words, a choice is one of
    its values, anything else equals the value in its stored form."""

    def __init__(self, definition: AttributeDefinition) -> None:
        self.definition = definition
        kind = definition.type
        field_class: type[forms.Field] = forms.CharField
        extra: dict[str, Any] = {}
        if kind == AttributeType.NUMBER:
            field_class = forms.DecimalField
        elif kind == AttributeType.DATE:
            field_class = forms.DateField
        elif kind == AttributeType.CHOICE:
            field_class = forms.ChoiceField
            extra["choices"] = [("", _("All")), *((c, c) for c in definition.choices)]
        elif kind == AttributeType.IP:
            field_class = forms.GenericIPAddressField
        self.field_class = field_class
        super().__init__(
            field_name="attributes__%s" % definition.code, label=definition.label, **extra
        )

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value in (None, ""):
            return qs
        kind = self.definition.type
        if kind == AttributeType.TEXT:
            return qs.filter(**{"%s__icontains" % self.field_name: str(value).strip()})
        if kind == AttributeType.NUMBER:
            number = Decimal(value)
            stored: Any = int(number) if number == number.to_integral_value() else float(number)
        elif kind == AttributeType.DATE:
            stored = value.isoformat() if isinstance(value, dt.date) else str(value)
        elif kind == AttributeType.REFERENCE:
            stored = _reference_id(str(value))
            if stored is None:
                return qs.none()
        else:
            stored = str(value).strip()
        return qs.filter(**{self.field_name: stored})


def _reference_id(value: str) -> int | None:
    """A referenced item named by its code (or id)."""
    value = value.strip()
    found = ConfigurationItem.objects.filter(code=value).values_list("pk", flat=True).first()
    if found is None and value.isdigit():
        return int(value)
    return found

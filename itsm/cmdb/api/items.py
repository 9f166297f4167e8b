"""Configuration items over the API: recorded and edited through the same service verbs
as the pages (`create_ci`, `update_ci`), filtered, read as of a past moment, with their
history and impact."""

from __future__ import annotations

import datetime as dt
import ipaddress
from decimal import Decimal, InvalidOperation
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from itsm.cmdb.api.relationships import ImpactSerializer, impact_data
from itsm.cmdb.choices import AttributeType
from itsm.cmdb.filters import ConfigurationItemFilterSet
from itsm.cmdb.history import as_of, as_of_data, history_data, parse_as_of
from itsm.cmdb.models import AttributeDefinition, CIClass, ConfigurationItem, Contract, Service
from itsm.cmdb.services import EDITABLE_FIELDS, create_ci, impact_of, update_ci
from itsm.core.api.fields import PatternIdentityField, PrefetchingPrimaryKeyRelatedField
from itsm.core.api.viewsets import ObjectViewSet, StrictInputMixin

# `?attr.<code>=<value>` filters on an attribute; `__gte`, `__lte`, `__gt`, `__lt` compare.
ATTRIBUTE_PREFIX = "attr."
ATTRIBUTE_COMPARISONS = ("gte", "lte", "gt", "lt")


class ConfigurationItemApiFilterSet(ConfigurationItemFilterSet):
    """The list page's filters plus contract and service, and `attr.<code>=<value>` on any
    class's attribute (`filter_attributes`)."""

    contract = django_filters.ModelChoiceFilter(
        label=_("Contract"), queryset=Contract.objects.all()
    )
    services = django_filters.ModelChoiceFilter(
        label=_("Service"), queryset=Service.objects.all(), distinct=False
    )

    class Meta(ConfigurationItemFilterSet.Meta):
        fields = (*ConfigurationItemFilterSet.Meta.fields, "contract", "services")  # type: ignore[assignment]

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().filter_queryset(queryset)
        return filter_attributes(queryset, self.data)


def filter_attributes(queryset: QuerySet[Any], data: Any) -> QuerySet[Any]:
    """Apply the `attr.<code>[__<comparison>]=<value>` parameters: the value is read as the
    attribute's type (its definition on any class), so numbers compare as numbers. An
    attribute no class has, or a value its type cannot hold, is a 400 naming the
    parameter."""
    wanted = [
        (key, key[len(ATTRIBUTE_PREFIX) :], value)
        for key, value in data.items()
        if key.startswith(ATTRIBUTE_PREFIX)
    ]
    if not wanted:
        return queryset
    codes = {key.partition("__")[0] for _key, key, _value in wanted}
    types: dict[str, set[str]] = {}
    for code, kind in AttributeDefinition.objects.filter(code__in=codes).values_list(
        "code", "type"
    ):
        types.setdefault(code, set()).add(kind)
    errors: dict[str, str] = {}
    for key, spec, value in wanted:
        code, _sep, comparison = spec.partition("__")
        if code not in types:
            errors[key] = _("No class has an attribute “%(code)s”.") % {"code": code}
            continue
        if comparison and comparison not in ATTRIBUTE_COMPARISONS:
            errors[key] = _("Compare with one of: %(comparisons)s.") % {
                "comparisons": ", ".join(ATTRIBUTE_COMPARISONS)
            }
            continue
        try:
            converted = _attribute_value(types[code], value)
        except ValueError:
            errors[key] = _("“%(value)s” is not a value this attribute can hold.") % {
                "value": value
            }
            continue
        lookup = "attributes__%s" % code + ("__%s" % comparison if comparison else "")
        queryset = queryset.filter(**{lookup: converted})
    if errors:
        raise ValidationError(errors)
    return queryset


def _attribute_value(kinds: set[str], value: str) -> Any:
    """A query parameter as the stored JSON value of an attribute of these types."""
    value = value.strip()
    if kinds & {AttributeType.NUMBER, AttributeType.REFERENCE}:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError(value) from None
        if not number.is_finite():
            raise ValueError(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if AttributeType.DATE in kinds:
        return dt.date.fromisoformat(value).isoformat()
    if AttributeType.IP in kinds:
        return str(ipaddress.ip_address(value))
    return value


class ConfigurationItemSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A configuration item as every endpoint reads it back: its class by code and label,
    where it is (`place`, from the campus down to the position), its attributes and the
    `version` an edit must send."""

    serializer_related_field = PrefetchingPrimaryKeyRelatedField
    url = PatternIdentityField(view_name="api:configurationitem-detail")
    ci_class = serializers.CharField(source="ci_class_id")
    ci_class_label = serializers.CharField(source="ci_class.label")
    place = serializers.CharField(help_text=_("e.g. “门诊楼 / 3层 / 收费处 / 2号窗口”."))
    attributes = serializers.DictField(
        help_text=_("Attribute values by code, as the class's schema types them.")
    )

    class Meta:
        model = ConfigurationItem
        fields = (
            "id",
            "url",
            "code",
            "name",
            "ci_class",
            "ci_class_label",
            "status",
            "criticality",
            "location",
            "position",
            "place",
            "department",
            "owner_group",
            "vendor",
            "contract",
            "serial_number",
            "asset_tag",
            "ip_address",
            "purchased_on",
            "warranty_ends_on",
            "attributes",
            "services",
            "version",
            "updated_at",
        )
        read_only_fields = fields


class ConfigurationItemCreateSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """What a client sends to record an item. The service (`create_ci`) checks the rest:
    the attributes against the class's schema, the location, the contract's vendor."""

    ci_class = serializers.SlugRelatedField(
        slug_field="code", queryset=CIClass.objects.all(), help_text=_("A class code.")
    )
    location = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The id of the location item (room, floor, building, campus)."),
    )
    attributes = serializers.DictField(
        required=False,
        help_text=_(
            "Attribute values by code. On an edit they replace the item's attributes whole."
        ),
    )
    change_number = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=64,
        help_text=_("The change (RFC) the write was made under; kept with the audit entry."),
    )

    class Meta:
        model = ConfigurationItem
        fields: tuple[str, ...] = (*EDITABLE_FIELDS, "attributes", "services", "change_number")
        extra_kwargs = {"services": {"required": False}}
        # The asset tag's uniqueness (a conditional constraint) is the service's to check.
        validators: list[Any] = []


class ConfigurationItemUpdateSerializer(ConfigurationItemCreateSerializer):
    """A PATCH: any fields plus the `version` the client read (409 if it changed, nothing
    written). `attributes`, when sent, replace the item's attributes whole."""

    version = serializers.IntegerField(
        min_value=1, help_text=_("The version read; the edit is refused with 409 if it changed.")
    )

    # A PATCH body, yet never partial: `version` is always required.
    @property
    def partial(self) -> bool:
        return False

    @partial.setter
    def partial(self, value: bool) -> None:
        pass

    class Meta(ConfigurationItemCreateSerializer.Meta):
        fields = (*ConfigurationItemCreateSerializer.Meta.fields, "version")
        extra_kwargs = {name: {"required": False} for name in (*EDITABLE_FIELDS, "services")}

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields = super().get_fields()
        for name in EDITABLE_FIELDS:
            fields[name].required = False
        return fields


def split_item_input(data: dict[str, Any]) -> dict[str, Any]:
    """Validated input as the keyword arguments of `create_ci` / `update_ci`."""
    data = dict(data)
    services = data.pop("services", None)
    return {
        "attributes": data.pop("attributes", None),
        "services": list(services) if services is not None else None,
        "change_number": data.pop("change_number", ""),
        "fields": {k: v for k, v in data.items() if k in EDITABLE_FIELDS},
    }


def requested_moment(query: Any) -> dt.datetime:
    """`?date=YYYY-MM-DD` (the end of that day) or `?at=` an ISO 8601 date and time (in
    the current time zone without an offset), read by `history.parse_as_of`; a bad or
    missing one is a 400 naming the parameter."""
    name = "at" if query.get("at") else "date"
    try:
        return parse_as_of(query.get(name, ""))
    except ValidationError as exc:
        raise ValidationError({name: exc.message_dict["as_of"]}) from None


class ConfigurationItemViewSet(ObjectViewSet):
    """Configuration items (配置项): servers, workstations, printers, applications, the
    locations they stand in, … Recorded and edited through `create_ci` / `update_ci` (the
    attributes checked against the class's schema, every change audited, with the RFC
    given as `change_number`). Items are never deleted: they are retired by status."""

    queryset = (
        ConfigurationItem.objects.with_place()
        .select_related("ci_class")
        .prefetch_related(Prefetch("services", queryset=Service.objects.only("id")))
    )
    serializer_class = ConfigurationItemSerializer
    filterset_class = ConfigurationItemApiFilterSet
    action_serializers = {
        "create": ConfigurationItemCreateSerializer,
        "partial_update": ConfigurationItemUpdateSerializer,
    }
    conflict_actions = ("partial_update",)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record an item (create_ci)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = create_ci(actor=request.user, **split_item_input(serializer.validated_data))
        data = self.read_back(item)
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Edit an item (update_ci). `version` is required: if someone changed the item
        since, 409 and nothing is written."""
        item = self.get_object()
        serializer = self.get_serializer(item, data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version")
        item = update_ci(item, actor=request.user, version=version, **split_item_input(data))
        return Response(self.read_back(item))

    @extend_schema(
        responses={200: ImpactSerializer},
        description=str(
            _(
                "Impact analysis: every item whose relationships lead to this one (what "
                "fails with it), their business services and the departments concerned; "
                "and everything this item relies on."
            )
        ),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def impact(self, request: Request, pk: Any = None) -> Response:
        return Response(impact_data(impact_of(self.get_object())))

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        description=str(
            _("Every recorded change of the item and of its relationships, newest first.")
        ),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: Any = None) -> Response:
        return Response(history_data(self.get_object()))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "date", OpenApiTypes.DATE, description=str(_("At the end of this day."))
            ),
            OpenApiParameter("at", OpenApiTypes.DATETIME, description=str(_("At this moment."))),
        ],
        responses={200: OpenApiTypes.OBJECT},
        description=str(
            _("The item, its attributes and its relationships as they were at a past moment.")
        ),
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="as-of",
        pagination_class=None,
        filter_backends=[],
    )
    def as_of(self, request: Request, pk: Any = None) -> Response:
        item = self.get_object()
        snapshot = as_of(item, requested_moment(request.query_params))
        if not snapshot.exists:
            raise NotFound(_("The item was recorded after that moment."))
        return Response(as_of_data(snapshot))

"""Services and configuration items over the API, so incidents can name them;
administrators add and edit them."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import DjangoModelPermissions, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from itsm.accounts.models import Department
from itsm.cmdb.choices import RelationshipType
from itsm.cmdb.models import ConfigurationItem, Relationship, Service
from itsm.cmdb.services import Impact, Reached, impact_of, relate_cis, unrelate_cis
from itsm.core.api.viewsets import ObjectSerializer, ObjectViewSet


class ServiceSerializer(ObjectSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:service-detail")

    class Meta:
        model = Service
        fields = (
            "id",
            "url",
            "code",
            "name",
            "description",
            "criticality",
            "status",
            "owner_group",
            "service_hours",
            "departments",
            "availability_target",
        )
        extra_kwargs = {"departments": {"required": False}}


class ConfigurationItemSerializer(ObjectSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:configurationitem-detail")

    class Meta:
        model = ConfigurationItem
        fields = (
            "id",
            "url",
            "code",
            "name",
            "ci_class",
            "status",
            "criticality",
            "location",
            "department",
            "owner_group",
            "services",
        )
        extra_kwargs = {"services": {"required": False}}


class RelationshipSerializer(ObjectSerializer):
    """A relationship as read, and the input of a new one: "source <type> target" means
    the target's failure affects the source."""

    source_code = serializers.CharField(source="source.code", read_only=True)
    target_code = serializers.CharField(source="target.code", read_only=True)

    class Meta:
        model = Relationship
        fields = (
            "id",
            "source",
            "source_code",
            "type",
            "target",
            "target_code",
            "note",
            "created_at",
        )
        read_only_fields = ("created_at",)
        # The rules (classes, loops, duplicates) are the service's; the database's unique
        # constraint would otherwise answer first with a generic message.
        validators: list[Any] = []


class ReachedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A configuration item reached by the impact walk."""

    id = serializers.IntegerField(source="ci.id")
    code = serializers.CharField(source="ci.code")
    name = serializers.CharField(source="ci.name")
    ci_class = serializers.CharField(source="ci.ci_class")
    depth = serializers.IntegerField(help_text=_("Relationships between it and the item."))
    via = serializers.ListField(
        child=serializers.ChoiceField(choices=RelationshipType.choices),
        help_text=_("The relationship types on the way, from the item outwards."),
    )


class NamedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class DepartmentRefSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    name = serializers.CharField()


class ImpactSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """What a configuration item's failure affects, and what it relies on."""

    ci = NamedSerializer()
    affected = ReachedSerializer(many=True)
    services = NamedSerializer(many=True)
    departments = DepartmentRefSerializer(many=True)
    whole_hospital = serializers.BooleanField(
        help_text=_("An affected service serves the whole hospital (no departments named).")
    )
    depends_on = ReachedSerializer(many=True)
    truncated = serializers.BooleanField(
        help_text=_("The walk stopped at its depth limit with relationships left to follow.")
    )


class ConfigurationItemPermissions(DjangoModelPermissions):
    """Relationships belong to the items they join: reading them needs
    view_configurationitem; the service checks change_configurationitem for writes."""

    perms_map = {
        method: ([] if method == "OPTIONS" else ["cmdb.view_configurationitem"])
        for method in DjangoModelPermissions.perms_map
    }


class RelationshipViewSet(mixins.DestroyModelMixin, ObjectViewSet):
    """Typed, directed relationships between configuration items (依赖, 运行于, 托管于,
    连接, 备份于, 使用). Create and delete go through the services' rules: a type not
    allowed between the classes, a loop, a duplicate or a self-relation answer 400."""

    http_method_names = ["get", "post", "delete", "head", "options"]
    permission_classes = [IsAuthenticated, ConfigurationItemPermissions]
    queryset = Relationship.objects.select_related("source", "target").only(
        "id", "type", "note", "created_at", "source__code", "target__code"
    )
    serializer_class = RelationshipSerializer
    filterset_fields = ("source", "target", "type")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        relationship = relate_cis(
            data["source"],
            data["target"],
            data["type"],
            actor=request.user,
            note=data.get("note", ""),
        )
        return Response(self.read_back(relationship), status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Relationship) -> None:
        unrelate_cis(instance, actor=self.request.user)


def impact_data(impact: Impact) -> dict[str, Any]:
    def reached(rows: list[Reached]) -> list[dict[str, Any]]:
        return [
            {
                "id": r.ci.id,
                "code": r.ci.code,
                "name": r.ci.name,
                "ci_class": r.ci.ci_class,
                "depth": r.depth,
                "via": list(r.via),
            }
            for r in rows
        ]

    ci = impact.ci
    return {
        "ci": {"id": ci.pk, "code": ci.code, "name": ci.name},
        "affected": reached(impact.affected),
        "services": [{"id": s.pk, "code": s.code, "name": s.name} for s in impact.services],
        "departments": [{"id": d.pk, "name": d.name} for d in impact.departments],
        "whole_hospital": impact.whole_hospital,
        "depends_on": reached(impact.depends_on),
        "truncated": impact.truncated,
    }


class ServiceViewSet(ObjectViewSet):
    """The business services clinical departments rely on (HIS, EMR, PACS, …)."""

    queryset = Service.objects.prefetch_related(
        Prefetch("departments", queryset=Department.objects.only("id"))
    )
    serializer_class = ServiceSerializer
    filterset_fields = ("status", "criticality", "owner_group", "departments")


class ConfigurationItemViewSet(ObjectViewSet):
    """Configuration items (配置项): servers, workstations, printers, applications, …"""

    queryset = ConfigurationItem.objects.prefetch_related(
        Prefetch("services", queryset=Service.objects.only("id"))
    )
    serializer_class = ConfigurationItemSerializer
    filterset_fields = (
        "ci_class",
        "status",
        "criticality",
        "department",
        "owner_group",
        "services",
    )

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
    @action(detail=True, methods=["get"])
    def impact(self, request: Request, pk: Any = None) -> Response:
        return Response(impact_data(impact_of(self.get_object())))

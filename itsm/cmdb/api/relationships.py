"""Relationships between configuration items and the impact analysis over the API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from itsm.cmdb.api.permissions import ConfigurationItemPermissions
from itsm.cmdb.choices import RelationshipType
from itsm.cmdb.models import Relationship
from itsm.cmdb.services import Impact, Reached, relate_cis, unrelate_cis
from itsm.core.api.viewsets import ObjectSerializer, ObjectViewSet


class RelationshipSerializer(ObjectSerializer):
    """A relationship as read, and the input of a new one: "source <type> target" means
    the target's failure affects the source."""

    source_code = serializers.CharField(source="source.code", read_only=True)
    target_code = serializers.CharField(source="target.code", read_only=True)
    change_number = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=64,
        help_text=_("The change (RFC) the write was made under; kept with the audit entry."),
    )

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
            "change_number",
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
            change_number=data.get("change_number", ""),
        )
        return Response(self.read_back(relationship), status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Relationship) -> None:
        unrelate_cis(
            instance,
            actor=self.request.user,
            change_number=self.request.query_params.get("change_number", "")[:64],
        )


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

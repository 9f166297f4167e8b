"""The release API: /api/releases/ with its transitions and its deployments, and
/api/deployments/ (what version went where and when; record one; roll one back). Every
write calls the same service verb as the release pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from itsm.accounts.models import SupportGroup, User
from itsm.changes.models import Change
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.api.transitions import TransitionsMixin
from itsm.core.api.viewsets import ObjectViewSet, StrictInputMixin
from itsm.core.moments import MomentSerializerField
from itsm.releases.choices import DeploymentEnvironment, DeploymentOutcome
from itsm.releases.filters import DeploymentFilterSet, ReleaseFilterSet
from itsm.releases.models import TEXT_LIMIT, VERSION_LENGTH, Deployment, Release
from itsm.releases.services import (
    EDITABLE_FIELDS,
    raise_release,
    record_deployment,
    rollback_deployment,
    transition_release,
    update_release,
)
from itsm.releases.workflow import RELEASE_WORKFLOW


@extend_schema_field(OpenApiTypes.INT)
class VisibleChangeField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A change named by id: only changes the user can see are accepted, so an id does
    not reveal that an invisible change exists."""

    def get_queryset(self) -> QuerySet[Change]:
        request = self.context.get("request")
        return Change.objects.visible_to(getattr(request, "user", None))


@extend_schema_field(OpenApiTypes.INT)
class VisibleReleaseField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    def get_queryset(self) -> QuerySet[Release]:
        request = self.context.get("request")
        return Release.objects.visible_to(getattr(request, "user", None))


def _related_fields() -> dict[str, serializers.Field]:  # type: ignore[type-arg]
    return {
        "service": serializers.PrimaryKeyRelatedField(
            queryset=Service.objects.all(), required=False, allow_null=True
        ),
        "configuration_items": serializers.PrimaryKeyRelatedField(
            queryset=ConfigurationItem.objects.all(), many=True, required=False
        ),
        "changes": VisibleChangeField(many=True, required=False),
        "assignment_group": serializers.PrimaryKeyRelatedField(
            queryset=SupportGroup.objects.all(), required=False, allow_null=True
        ),
        "assignee": serializers.PrimaryKeyRelatedField(
            queryset=User.objects.filter(is_active=True), required=False, allow_null=True
        ),
    }


class DeploymentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    release_number = serializers.CharField(source="release.number", read_only=True)
    ci_code = serializers.CharField(source="configuration_item.code", read_only=True)

    class Meta:
        model = Deployment
        fields = (
            "id",
            "release",
            "release_number",
            "configuration_item",
            "ci_code",
            "environment",
            "version_deployed",
            "previous_version",
            "deployed_at",
            "deployed_by",
            "outcome",
            "notes",
            "rollback_of",
            "created_at",
        )
        read_only_fields = fields


class ReleaseSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    changes = serializers.SerializerMethodField()
    deployments = DeploymentSerializer(many=True, read_only=True)

    class Meta:
        model = Release
        fields = (
            "id",
            "url",
            "number",
            "status",
            *EDITABLE_FIELDS,
            "configuration_items",
            "changes",
            "requester",
            "version",
            "created_at",
            "updated_at",
            "closed_at",
            "deployments",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_changes(self, instance: Release) -> list[str]:
        return [c.number for c in instance.changes.all()]


class ReleaseCreateSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Release
        fields = (*EDITABLE_FIELDS, "configuration_items", "changes")

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields: dict[str, serializers.Field] = super().get_fields()  # type: ignore[type-arg]
        fields.update(_related_fields())
        return fields


class ReleaseUpdateSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    version = serializers.IntegerField(
        min_value=1, help_text=_("The version read; the edit is refused with 409 if it changed.")
    )

    class Meta:
        model = Release
        fields = (*EDITABLE_FIELDS, "configuration_items", "changes", "version")
        extra_kwargs = {name: {"required": False} for name in EDITABLE_FIELDS}

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields: dict[str, serializers.Field] = super().get_fields()  # type: ignore[type-arg]
        fields.update(_related_fields())
        return fields


class DeploymentCreateSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    release = VisibleReleaseField()
    configuration_item = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all()
    )
    environment = serializers.CharField(max_length=16)
    version_deployed = serializers.CharField(max_length=VERSION_LENGTH)
    outcome = serializers.CharField(max_length=16, required=False)
    deployed_at = MomentSerializerField(required=False)
    notes = serializers.CharField(max_length=TEXT_LIMIT, required=False, allow_blank=True)

    def validate_environment(self, value: str) -> str:
        if value not in DeploymentEnvironment.values:
            raise serializers.ValidationError(
                _("Choose one of: %(values)s.")
                % {"values": ", ".join(DeploymentEnvironment.values)}
            )
        return value

    def validate_outcome(self, value: str) -> str:
        if value not in DeploymentOutcome.values:
            raise serializers.ValidationError(
                _("Choose one of: %(values)s.") % {"values": ", ".join(DeploymentOutcome.values)}
            )
        return value


class RollbackSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    notes = serializers.CharField(max_length=TEXT_LIMIT, required=False, allow_blank=True)


DEPLOYMENT_ROWS = Deployment.objects.select_related("release", "configuration_item").order_by(
    "-deployed_at", "-pk"
)


class ReleaseViewSet(TransitionsMixin, ObjectViewSet):
    """Releases: list, plan, read (with their deployments), edit with `version`, and the
    workflow's stages through `…/transitions/`."""

    queryset = (
        Release.objects.select_related("service", "assignment_group")
        .prefetch_related(
            "configuration_items",
            "changes",
            "deployments__release",
            "deployments__configuration_item",
        )
        .order_by("-created_at", "-pk")
    )
    serializer_class = ReleaseSerializer
    filterset_class = ReleaseFilterSet
    action_serializers = {
        "create": ReleaseCreateSerializer,
        "partial_update": ReleaseUpdateSerializer,
    }
    record_actions = ("transitions",)
    conflict_actions = ("partial_update", "transitions")
    workflow = RELEASE_WORKFLOW
    transition_service = transition_release

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        release = raise_release(dict(serializer.validated_data), actor=request.user)
        return Response(self.read_back(release), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        release = self.get_object()
        serializer = self.get_serializer(release, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version", None)
        if version is None:
            raise serializers.ValidationError({"version": [_("This field is required.")]})
        release = update_release(release, changes, actor=request.user, version=version)
        return Response(self.read_back(release))


class DeploymentViewSet(ObjectViewSet):
    """Deployments, newest first: filter by `ci`, `environment`, `release`, `outcome` to see
    what version went where and when. POST records one (releases.add_deployment);
    `POST …/{id}/rollback/` puts the item back on the version it replaced."""

    http_method_names = ["get", "post", "head", "options"]
    queryset = DEPLOYMENT_ROWS
    serializer_class = DeploymentSerializer
    filterset_class = DeploymentFilterSet
    action_serializers = {"create": DeploymentCreateSerializer, "rollback": RollbackSerializer}
    record_actions = ("rollback",)
    conflict_actions = ("create", "rollback")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        release = data.pop("release")
        deployment = record_deployment(release, data, actor=request.user)
        return Response(self.read_back(deployment), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=RollbackSerializer,
        responses={201: DeploymentSerializer},
        description=str(
            _(
                "Roll the item back to the version this deployment replaced: recorded as a "
                "new deployment linked to this one. 409 when it replaced no version or is not "
                "the latest successful deployment on that item and environment."
            )
        ),
    )
    @action(detail=True, methods=["post"])
    def rollback(self, request: Request, pk: Any = None) -> Response:
        deployment = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        back = rollback_deployment(
            deployment, actor=request.user, notes=serializer.validated_data.get("notes", "")
        )
        return Response(self.read_back(back), status=status.HTTP_201_CREATED)

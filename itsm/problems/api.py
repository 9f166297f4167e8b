"""The problem API: /api/problems/ with its transitions and linked incidents, and
/api/proposed-problems/ with accept and dismiss. Every write calls the same service verb
as the problem pages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from itsm.accounts.models import SupportGroup, User
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.api.schema import ApiSchema
from itsm.core.api.transitions import TransitionsMixin
from itsm.core.api.viewsets import (
    ModelPermissions,
    ObjectViewSet,
    RecordActionPermissions,
    StrictInputMixin,
)
from itsm.core.idempotency import IdempotentPostsMixin
from itsm.incidents.api import VisibleIncidentField
from itsm.problems.filters import ProblemFilterSet, ProposedProblemFilterSet
from itsm.problems.models import Problem, ProposedProblem
from itsm.problems.services import (
    EDITABLE_FIELDS,
    accept_proposal,
    dismiss_proposal,
    link_incidents_to_problem,
    raise_problem,
    transition_problem,
    unlink_incident,
    update_problem,
)
from itsm.problems.workflow import PROBLEM_WORKFLOW


def _related_fields() -> dict[str, serializers.Field]:  # type: ignore[type-arg]
    return {
        "service": serializers.PrimaryKeyRelatedField(
            queryset=Service.objects.all(), required=False, allow_null=True
        ),
        "affected_services": serializers.PrimaryKeyRelatedField(
            queryset=Service.objects.all(), many=True, required=False
        ),
        "configuration_items": serializers.PrimaryKeyRelatedField(
            queryset=ConfigurationItem.objects.all(), many=True, required=False
        ),
        "assignment_group": serializers.PrimaryKeyRelatedField(
            queryset=SupportGroup.objects.all(), required=False, allow_null=True
        ),
        "assignee": serializers.PrimaryKeyRelatedField(
            queryset=User.objects.filter(is_active=True), required=False, allow_null=True
        ),
    }


class ProblemSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    incidents = serializers.SerializerMethodField()
    incident_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Problem
        fields = (
            "id",
            "url",
            "number",
            "status",
            "priority",
            *EDITABLE_FIELDS,
            "affected_services",
            "configuration_items",
            "resolution_notes",
            "requester",
            "version",
            "created_at",
            "updated_at",
            "resolved_at",
            "closed_at",
            "incident_count",
            "incidents",
        )
        read_only_fields = fields

    def get_incidents(self, instance: Problem) -> list[str]:
        return [i.number for i in instance.incidents.all()]


class ProblemCreateSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    incidents = VisibleIncidentField(many=True, required=False)

    class Meta:
        model = Problem
        fields = (*EDITABLE_FIELDS, "affected_services", "configuration_items", "incidents")

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields: dict[str, serializers.Field] = super().get_fields()  # type: ignore[type-arg]
        fields.update(_related_fields())
        return fields


class ProblemUpdateSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    version = serializers.IntegerField(
        min_value=1, help_text=_("The version read; the edit is refused with 409 if it changed.")
    )

    @property
    def partial(self) -> bool:
        return False

    @partial.setter
    def partial(self, value: bool) -> None:
        pass

    class Meta:
        model = Problem
        fields = (*EDITABLE_FIELDS, "affected_services", "configuration_items", "version")
        extra_kwargs = {name: {"required": False} for name in EDITABLE_FIELDS}

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields: dict[str, serializers.Field] = super().get_fields()  # type: ignore[type-arg]
        fields.update(_related_fields())
        return fields


class IncidentLinkSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    incident = VisibleIncidentField()


class ProblemViewSet(TransitionsMixin, ObjectViewSet):
    """Problems: list, raise (optionally with incidents), read, edit with `version`, the
    workflow's transitions (resolve may resolve the linked open incidents) and links to
    incidents."""

    queryset = (
        Problem.objects.select_related("service", "assignment_group")
        .with_incident_count()
        .prefetch_related("affected_services", "configuration_items", "incidents")
        .order_by("priority", "created_at", "pk")
    )
    serializer_class = ProblemSerializer
    filterset_class = ProblemFilterSet
    action_serializers = {
        "create": ProblemCreateSerializer,
        "partial_update": ProblemUpdateSerializer,
        "link": IncidentLinkSerializer,
        "unlink": IncidentLinkSerializer,
    }
    record_actions = ("transitions", "link", "unlink")
    conflict_actions = ("partial_update", "transitions", "link")
    workflow = PROBLEM_WORKFLOW
    transition_service = transition_problem

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        incidents = data.pop("incidents", [])
        problem = raise_problem(data, actor=request.user, incidents=incidents)
        return Response(self.read_back(problem), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        problem = self.get_object()
        serializer = self.get_serializer(problem, data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version")
        problem = update_problem(problem, changes, actor=request.user, version=version)
        return Response(self.read_back(problem))

    @extend_schema(request=IncidentLinkSerializer, description=str(_("Link an incident.")))
    @action(detail=True, methods=["post"])
    def link(self, request: Request, pk: Any = None) -> Response:
        problem = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link_incidents_to_problem(
            problem, [serializer.validated_data["incident"]], actor=request.user
        )
        return Response(self.read_back(problem))

    @extend_schema(request=IncidentLinkSerializer, description=str(_("Unlink an incident.")))
    @action(detail=True, methods=["post"])
    def unlink(self, request: Request, pk: Any = None) -> Response:
        problem = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unlink_incident(problem, serializer.validated_data["incident"], actor=request.user)
        return Response(self.read_back(problem))


class ProposedProblemSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    incidents = serializers.SerializerMethodField()

    class Meta:
        model = ProposedProblem
        fields = (
            "id",
            "kind",
            "key",
            "label",
            "status",
            "problem",
            "created_at",
            "decided_at",
            "incidents",
        )
        read_only_fields = fields

    def get_incidents(self, instance: ProposedProblem) -> list[str]:
        return [i.number for i in instance.incidents.all()]


class DismissSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ProposedProblemViewSet(
    IdempotentPostsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Problems the trend detection proposes; a problem manager accepts (the problem is
    raised with the incidents linked) or dismisses them."""

    queryset = ProposedProblem.objects.prefetch_related("incidents").order_by("-created_at", "-pk")
    serializer_class = ProposedProblemSerializer
    filterset_class = ProposedProblemFilterSet
    permission_classes = [IsAuthenticated, ModelPermissions]
    schema = ApiSchema()

    # A proposal already decided cannot be decided again (409, documented in the schema).
    conflict_actions = ("accept", "dismiss")

    def get_permissions(self) -> list[BasePermission]:
        # Deciding needs manage_problem, which the service checks (403).
        if self.action in ("accept", "dismiss"):
            return [IsAuthenticated(), RecordActionPermissions()]
        return super().get_permissions()  # type: ignore[return-value]

    @extend_schema(request=None, responses={201: ProblemSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: Any = None) -> Response:
        problem = accept_proposal(self.get_object(), actor=request.user)
        problem = ProblemViewSet.queryset.get(pk=problem.pk)
        return Response(ProblemSerializer(problem).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DismissSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: Any = None) -> Response:
        serializer = DismissSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = dismiss_proposal(
            self.get_object(),
            actor=request.user,
            reason=serializer.validated_data.get("reason", ""),
        )
        return Response(self.get_serializer(proposal).data)

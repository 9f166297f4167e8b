"""The change API: /api/changes/ (RFCs with their transitions, approvals, risk answers,
tasks and links), /api/change-templates/ (standard changes raised from a template),
/api/risk-questions/ and /api/reports/changes/. Every write calls the same service verb as
the change pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from itsm.accounts.models import SupportGroup, User
from itsm.changes.calendar_api import ChangeCalendarMixin
from itsm.changes.choices import ChangeTaskStatus, CmdbUpdateKind
from itsm.changes.cmdb_updates import declare_cmdb_update, remove_cmdb_update
from itsm.changes.cmdb_updates import describe as describe_cmdb_update
from itsm.changes.filters import ChangeFilterSet
from itsm.changes.impact import impact_of_change
from itsm.changes.models import (
    Approval,
    ApprovalStep,
    Change,
    ChangeTask,
    ChangeTemplate,
    DeclaredCmdbUpdate,
    RiskChoice,
    RiskQuestion,
)
from itsm.changes.services import (
    EDITABLE_FIELDS,
    add_change_task,
    approve_change,
    assess_risk,
    change_report,
    finish_change_task,
    link_incident,
    link_problem,
    raise_change,
    raise_standard_change,
    reject_change,
    transition_change,
    unlink_incident,
    unlink_problem,
    update_change,
)
from itsm.changes.workflow import CHANGE_WORKFLOW
from itsm.cmdb.choices import RelationshipType
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.api.schema import ApiSchema
from itsm.core.api.transitions import TransitionsMixin
from itsm.core.api.viewsets import (
    ModelPermissions,
    ObjectSerializer,
    ObjectViewSet,
    StrictInputMixin,
    activate_user_language,
)
from itsm.core.moments import MomentSerializerField
from itsm.incidents.api import VisibleIncidentField
from itsm.problems.models import Problem


@extend_schema_field(OpenApiTypes.INT)
class VisibleProblemField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A problem named by id: only problems the user can see are accepted."""

    def get_queryset(self) -> QuerySet[Problem]:
        request = self.context.get("request")
        return Problem.objects.visible_to(getattr(request, "user", None))


def _related_fields() -> dict[str, serializers.Field]:  # type: ignore[type-arg]
    return {
        "service": serializers.PrimaryKeyRelatedField(
            queryset=Service.objects.all(), required=False, allow_null=True
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
        "implementer": serializers.PrimaryKeyRelatedField(
            queryset=User.objects.filter(is_active=True), required=False, allow_null=True
        ),
    }


class ApprovalSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Approval
        fields = ("approver", "decision", "comment", "decided_at")
        read_only_fields = fields


class ApprovalStepSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    approvals = ApprovalSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalStep
        fields = (
            "id",
            "position",
            "kind",
            "board",
            "approvers",
            "required",
            "status",
            "decided_at",
            "approvals",
        )
        read_only_fields = fields


class ChangeTaskSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = ChangeTask
        fields = (
            "id",
            "position",
            "title",
            "description",
            "assignee",
            "status",
            "notes",
            "done_at",
            "done_by",
        )
        read_only_fields = fields


class ChangeSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    approval_steps = ApprovalStepSerializer(many=True, read_only=True)
    tasks = ChangeTaskSerializer(many=True, read_only=True)
    problems = serializers.SerializerMethodField()
    induced_incidents = serializers.SerializerMethodField()
    risk_answers = serializers.SerializerMethodField()

    class Meta:
        model = Change
        fields = (
            "id",
            "url",
            "number",
            "status",
            "template",
            "impact",
            "priority",
            *EDITABLE_FIELDS,
            "configuration_items",
            "requester",
            "risk_score",
            "risk_level",
            "risk_answers",
            "submitted_at",
            "approved_at",
            "actual_start",
            "actual_end",
            "outcome",
            "outcome_notes",
            "review_notes",
            "blackout_override_by",
            "blackout_override_reason",
            "blackout_override_at",
            "version",
            "created_at",
            "updated_at",
            "closed_at",
            "approval_steps",
            "tasks",
            "problems",
            "induced_incidents",
        )
        read_only_fields = fields

    def get_problems(self, instance: Change) -> list[str]:
        return [p.number for p in instance.problems.all()]

    def get_induced_incidents(self, instance: Change) -> list[str]:
        return [link.incident.number for link in instance.incident_links.all()]

    def get_risk_answers(self, instance: Change) -> dict[str, int]:
        return {str(a.question_id): a.choice_id for a in instance.risk_answers.all()}


class ChangeCreateSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Change
        fields = (*EDITABLE_FIELDS, "configuration_items")
        extra_kwargs = {
            "change_type": {
                "help_text": _(
                    "normal or emergency; standard changes are raised from a template "
                    "(POST /api/change-templates/{id}/raise/)."
                )
            }
        }

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields: dict[str, serializers.Field] = super().get_fields()  # type: ignore[type-arg]
        fields.update(_related_fields())
        return fields


class ChangeUpdateSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    version = serializers.IntegerField(
        min_value=1, help_text=_("The version read; the edit is refused with 409 if it changed.")
    )

    class Meta:
        model = Change
        fields = (*EDITABLE_FIELDS, "configuration_items", "version")
        extra_kwargs = {name: {"required": False} for name in EDITABLE_FIELDS}

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields: dict[str, serializers.Field] = super().get_fields()  # type: ignore[type-arg]
        fields.update(_related_fields())
        return fields


class DecisionSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    comment = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class RiskAnswersSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    answers = serializers.DictField(
        child=serializers.IntegerField(),
        help_text=_("Each active question's id → the id of the chosen answer."),
    )
    version = serializers.IntegerField(min_value=1, required=False)


class TaskCreateSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )


class TaskFinishSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    task = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=[ChangeTaskStatus.DONE, ChangeTaskStatus.CANCELLED], default=ChangeTaskStatus.DONE
    )
    notes = serializers.CharField(max_length=20000, required=False, allow_blank=True)


class FixedProblemSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    problem = VisibleProblemField()


class InducedIncidentSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    incident = VisibleIncidentField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ChangeImpactSerializer(serializers.Serializer):  # type: ignore[type-arg]
    services = serializers.ListField(child=serializers.DictField())
    departments = serializers.ListField(child=serializers.DictField())
    whole_hospital = serializers.BooleanField()


class DeclaredCmdbUpdateSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    description = serializers.SerializerMethodField()

    class Meta:
        model = DeclaredCmdbUpdate
        fields = (
            "id",
            "position",
            "kind",
            "ci_code",
            "ci_class",
            "name",
            "fields",
            "attributes",
            "relationship_type",
            "other_code",
            "note",
            "description",
            "applied_at",
        )
        read_only_fields = fields

    def get_description(self, instance: DeclaredCmdbUpdate) -> str:
        return describe_cmdb_update(instance)


class CmdbUpdateInputSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(choices=CmdbUpdateKind.choices)
    ci_code = serializers.CharField(
        max_length=64,
        help_text=_("The item's code; for a relationship, the item that relies on the other."),
    )
    ci_class = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text=_("New item: its class code.")
    )
    name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text=_("New item: its name.")
    )
    # Popped by the serializer metaclass: it does not shadow `Serializer.fields`.
    fields = serializers.DictField(  # type: ignore[assignment]
        required=False,
        help_text=_(
            "New item: status, criticality, position, serial_number, asset_tag, ip_address."
        ),
    )
    attributes = serializers.DictField(
        required=False, help_text=_("Attribute values by code (new item or set_attributes).")
    )
    relationship_type = serializers.ChoiceField(
        choices=RelationshipType.choices, required=False, allow_blank=True
    )
    other_code = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text=_("Relationship: the code of the item relied on."),
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


CHANGE_QUERYSET = (
    Change.objects.select_related("service", "assignment_group", "implementer", "template")
    .prefetch_related(
        "configuration_items",
        "problems",
        "incident_links__incident",
        "risk_answers",
        "tasks",
        "approval_steps__approvers",
        "approval_steps__approvals",
    )
    .order_by("-created_at", "-pk")
)


class ChangeViewSet(ChangeCalendarMixin, TransitionsMixin, ObjectViewSet):
    """Requests for change: list, raise (normal or emergency), read, edit with `version`,
    the workflow's transitions, the approvers' decisions, the risk questionnaire's
    answers, implementation tasks, and links to the problems fixed and incidents caused."""

    queryset = CHANGE_QUERYSET
    serializer_class = ChangeSerializer
    filterset_class = ChangeFilterSet
    action_serializers = {
        "create": ChangeCreateSerializer,
        "partial_update": ChangeUpdateSerializer,
        "approve": DecisionSerializer,
        "reject": DecisionSerializer,
        "risk": RiskAnswersSerializer,
        "tasks": TaskCreateSerializer,
        "finish_task": TaskFinishSerializer,
        "link_problem": FixedProblemSerializer,
        "unlink_problem": FixedProblemSerializer,
        "link_incident": InducedIncidentSerializer,
        "unlink_incident": InducedIncidentSerializer,
        "cmdb_updates": CmdbUpdateInputSerializer,
    }
    record_actions = (
        "transitions",
        "approve",
        "reject",
        "risk",
        "tasks",
        "finish_task",
        "link_problem",
        "unlink_problem",
        "link_incident",
        "unlink_incident",
        "impact",
        "cmdb_updates",
        "remove_cmdb_update",
    )
    conflict_actions = (
        "partial_update",
        "transitions",
        "approve",
        "reject",
        "risk",
        "tasks",
        "finish_task",
        "link_problem",
        "link_incident",
        "cmdb_updates",
        "remove_cmdb_update",
    )
    workflow = CHANGE_WORKFLOW
    transition_service = transition_change

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = raise_change(dict(serializer.validated_data), actor=request.user)
        return Response(self.read_back(change), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        change = self.get_object()
        serializer = self.get_serializer(change, data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version")
        change = update_change(change, changes, actor=request.user, version=version)
        return Response(self.read_back(change))

    def _validated(self, request: Request) -> dict[str, Any]:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(
        request=DecisionSerializer,
        description=str(
            _(
                "Approve the change's current approval step as one of its approvers. Not an "
                "approver of the step: 403; decided already or not waiting: 409."
            )
        ),
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        change = self.get_object()
        data = self._validated(request)
        approve_change(change, actor=request.user, comment=data.get("comment", ""))
        return Response(self.read_back(change))

    @extend_schema(
        request=DecisionSerializer,
        description=str(_("Reject the change's current approval step; the comment is required.")),
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        change = self.get_object()
        data = self._validated(request)
        reject_change(change, actor=request.user, comment=data.get("comment", ""))
        return Response(self.read_back(change))

    @extend_schema(
        request=RiskAnswersSerializer,
        description=str(_("Answer the risk questionnaire; sets the risk score and level.")),
    )
    @action(detail=True, methods=["post"])
    def risk(self, request: Request, pk: Any = None) -> Response:
        change = self.get_object()
        data = self._validated(request)
        try:
            answers = {int(k): v for k, v in data["answers"].items()}
        except ValueError as exc:
            raise serializers.ValidationError(
                {"answers": [str(_("Questions are named by their ids."))]}
            ) from exc
        change = assess_risk(change, answers, actor=request.user, version=data.get("version"))
        return Response(self.read_back(change))

    @extend_schema(request=TaskCreateSerializer, responses={201: ChangeSerializer})
    @action(detail=True, methods=["post"])
    def tasks(self, request: Request, pk: Any = None) -> Response:
        change = self.get_object()
        add_change_task(change, self._validated(request), actor=request.user)
        return Response(self.read_back(change), status=status.HTTP_201_CREATED)

    @extend_schema(request=TaskFinishSerializer)
    @action(detail=True, methods=["post"], url_path="finish-task")
    def finish_task(self, request: Request, pk: Any = None) -> Response:
        change = self.get_object()
        data = self._validated(request)
        task = ChangeTask.objects.filter(change=change, pk=data["task"]).first()
        if task is None:
            raise serializers.ValidationError({"task": [str(_("This change has no such task."))]})
        finish_change_task(
            task, actor=request.user, status=data["status"], notes=data.get("notes", "")
        )
        return Response(self.read_back(change))

    @extend_schema(request=FixedProblemSerializer, description=str(_("Link a problem it fixes.")))
    @action(detail=True, methods=["post"], url_path="link-problem")
    def link_problem(self, request: Request, pk: Any = None) -> Response:
        change = self.get_object()
        link_problem(change, self._validated(request)["problem"], actor=request.user)
        return Response(self.read_back(change))

    @extend_schema(request=FixedProblemSerializer)
    @action(detail=True, methods=["post"], url_path="unlink-problem")
    def unlink_problem(self, request: Request, pk: Any = None) -> Response:
        change = self.get_object()
        unlink_problem(change, self._validated(request)["problem"], actor=request.user)
        return Response(self.read_back(change))

    @extend_schema(
        request=InducedIncidentSerializer,
        description=str(_("Record an incident the change caused.")),
    )
    @action(detail=True, methods=["post"], url_path="link-incident")
    def link_incident(self, request: Request, pk: Any = None) -> Response:
        change = self.get_object()
        data = self._validated(request)
        link_incident(change, data["incident"], actor=request.user, note=data.get("note", ""))
        return Response(self.read_back(change))

    @extend_schema(request=InducedIncidentSerializer)
    @action(detail=True, methods=["post"], url_path="unlink-incident")
    def unlink_incident(self, request: Request, pk: Any = None) -> Response:
        change = self.get_object()
        unlink_incident(change, self._validated(request)["incident"], actor=request.user)
        return Response(self.read_back(change))

    @extend_schema(
        request=None,
        responses={200: ChangeImpactSerializer},
        description=str(_("The business services and departments affected, from the CMDB.")),
    )
    @action(detail=True, methods=["get"])
    def impact(self, request: Request, pk: Any = None) -> Response:
        found = impact_of_change(self.get_object())
        return Response(
            {
                "services": [
                    {"id": s.pk, "code": s.code, "name": s.name, "criticality": s.criticality}
                    for s in found.services
                ],
                "departments": [{"id": d.pk, "name": d.name} for d in found.departments],
                "whole_hospital": found.whole_hospital,
            }
        )

    @extend_schema(
        methods=["GET"], request=None, responses={200: DeclaredCmdbUpdateSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        request=CmdbUpdateInputSerializer,
        responses={201: DeclaredCmdbUpdateSerializer},
        description=str(
            _(
                "Declare a CMDB update the change makes when it is implemented successfully: "
                "a new item (create), attribute values (set_attributes), a relationship "
                "added (relate) or removed (unrelate), an item retired (retire). Checked at "
                "once: an unknown or retired item, an attribute its class does not have or a "
                "relationship the rules refuse is a 400 per field; after the change is sent "
                "for approval, 409."
            )
        ),
    )
    # An unpaginated list: the schema must not describe it as a page.
    @action(detail=True, methods=["get", "post"], url_path="cmdb-updates", pagination_class=None)
    def cmdb_updates(self, request: Request, pk: Any = None) -> Response:
        change = self.get_object()
        if request.method == "POST":
            update = declare_cmdb_update(change, self._validated(request), actor=request.user)
            return Response(
                DeclaredCmdbUpdateSerializer(update).data, status=status.HTTP_201_CREATED
            )
        updates = DeclaredCmdbUpdate.objects.filter(change=change).order_by("position")
        return Response(DeclaredCmdbUpdateSerializer(updates, many=True).data)

    @extend_schema(
        request=None,
        responses={204: None},
        parameters=[OpenApiParameter("update", int, OpenApiParameter.PATH)],
        description=str(_("Withdraw a declared CMDB update while the change is planned.")),
    )
    @action(detail=True, methods=["post"], url_path=r"cmdb-updates/(?P<update>[0-9]+)/remove")
    def remove_cmdb_update(self, request: Request, pk: Any = None, update: str = "") -> Response:
        change = self.get_object()
        found = DeclaredCmdbUpdate.objects.filter(change=change, pk=int(update)).first()
        if found is None:
            raise NotFound(_("This change declares no such CMDB update."))
        remove_cmdb_update(found, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChangeTemplateSerializer(ObjectSerializer):
    class Meta:
        model = ChangeTemplate
        fields = (
            "id",
            "name",
            "description",
            "reason",
            "implementation_plan",
            "backout_plan",
            "test_plan",
            "duration_minutes",
            "downtime_expected",
            "downtime_minutes",
            "service",
            "configuration_items",
            "assignment_group",
            "active",
        )
        read_only_fields = ("id",)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        expected = attrs.get(
            "downtime_expected", getattr(self.instance, "downtime_expected", False)
        )
        minutes = attrs.get("downtime_minutes", getattr(self.instance, "downtime_minutes", None))
        if expected and not minutes:
            raise serializers.ValidationError(
                {"downtime_minutes": [str(_("Say how long the expected downtime lasts."))]}
            )
        return attrs


class RaiseFromTemplateSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    planned_start = MomentSerializerField()
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    implementer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    configuration_items = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), many=True, required=False
    )


class ChangeTemplateViewSet(ObjectViewSet):
    """Pre-approved standard change templates: administrators write them; engineers raise
    standard changes from them (POST …/{id}/raise/)."""

    queryset = ChangeTemplate.objects.prefetch_related("configuration_items").order_by("name")
    serializer_class = ChangeTemplateSerializer
    action_serializers = {"raise_change": RaiseFromTemplateSerializer}
    record_actions = ("raise_change",)

    @extend_schema(
        request=RaiseFromTemplateSerializer,
        responses={201: ChangeSerializer},
        description=str(_("Raise a standard change (a draft) from this template.")),
    )
    @action(detail=True, methods=["post"], url_path="raise")
    def raise_change(self, request: Request, pk: Any = None) -> Response:
        template = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = raise_standard_change(
            template, dict(serializer.validated_data), actor=request.user
        )
        data = ChangeSerializer(CHANGE_QUERYSET.get(pk=change.pk)).data
        return Response(data, status=status.HTTP_201_CREATED)


class RiskChoiceSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]

    class Meta:
        model = RiskChoice
        fields = ("id", "text", "text_en", "label", "score", "position")
        read_only_fields = fields


class RiskQuestionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    choices = RiskChoiceSerializer(many=True, read_only=True)

    class Meta:
        model = RiskQuestion
        fields = ("id", "text", "text_en", "label", "help_text", "position", "active", "choices")
        read_only_fields = fields


class RiskQuestionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """The risk questionnaire with each answer's score. Administrators edit it in the
    administration pages; the answers of a change go to POST /api/changes/{id}/risk/."""

    queryset = RiskQuestion.objects.prefetch_related("choices").order_by("position", "pk")
    serializer_class = RiskQuestionSerializer
    permission_classes = [IsAuthenticated, ModelPermissions]
    schema = ApiSchema()


class CanViewChanges(BasePermission):
    message = _("The change report is open to those who may see changes.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm("changes.view_change"))


class MonthRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    month = serializers.CharField(help_text=_("YYYY-MM"))
    finished = serializers.IntegerField()
    successful = serializers.IntegerField()
    failed = serializers.IntegerField()
    backed_out = serializers.IntegerField()
    success_rate = serializers.FloatField(allow_null=True)
    induced_incidents = serializers.IntegerField()
    changes_with_incidents = serializers.IntegerField()
    induced_rate = serializers.FloatField(allow_null=True)


class ChangeReportApiView(APIView):
    """Per month: changes finished, the success rate and the change-induced incident rate."""

    permission_classes = [IsAuthenticated, CanViewChanges]
    schema = ApiSchema()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        activate_user_language(request)

    @extend_schema(
        operation_id="reports_changes_retrieve",
        parameters=[OpenApiParameter("months", int, description=str(_("1 to 36; 12 by default.")))],
        responses={200: MonthRowSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("months", "12")
        if not raw.isdigit() or not 1 <= int(raw) <= 36:
            raise serializers.ValidationError({"months": [str(_("Give a number from 1 to 36."))]})
        rows = change_report(months=int(raw))
        return Response(
            [
                {
                    "month": row.month.strftime("%Y-%m"),
                    "finished": row.finished,
                    "successful": row.successful,
                    "failed": row.failed,
                    "backed_out": row.backed_out,
                    "success_rate": row.success_rate,
                    "induced_incidents": row.induced_incidents,
                    "changes_with_incidents": row.changes_with_incidents,
                    "induced_rate": row.induced_rate,
                }
                for row in rows
            ]
        )

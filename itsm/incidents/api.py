"""The incident API: /api/incidents/ with its transitions, comments and timeline. Every write
calls the same service verb as the desk console and the portal."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from itsm.accounts.models import SupportGroup, User
from itsm.cmdb.api import DepartmentRefSerializer, NamedSerializer
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.api.attachments import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    attachments_endpoint,
)
from itsm.core.api.fields import (
    ChoiceLabelField,
    PatternIdentityField,
    PrefetchingPrimaryKeyRelatedField,
    prefetch_attr,
    prefetched,
)
from itsm.core.api.schema import ErrorSerializer, ValidationErrorSerializer
from itsm.core.api.transitions import TransitionsMixin
from itsm.core.api.viewsets import FieldsBuiltOnce, ObjectViewSet, StrictInputMixin
from itsm.core.choices import TicketImpact, TicketPriority, TicketUrgency
from itsm.core.models import Comment
from itsm.incidents.choices import (
    IncidentChannel,
    IncidentKind,
    IncidentPendingReason,
    IncidentResolutionCode,
    IncidentStatus,
)
from itsm.incidents.filters import IncidentFilterSet
from itsm.incidents.models import Incident
from itsm.incidents.services import (
    EDITABLE_FIELDS,
    TimelineEntry,
    comment_on_incident,
    incident_clocks,
    incident_comments,
    incident_impact,
    incident_timeline,
    link_incidents,
    log_incident,
    set_major_incident,
    solve_incident_by_article,
    transition_incident,
    update_incident,
)
from itsm.incidents.workflow import INCIDENT_WORKFLOW
from itsm.knowledge.models import Article
from itsm.sla.choices import ClockMetric
from itsm.sla.services import sla_states


@extend_schema_field(OpenApiTypes.INT)
class VisibleIncidentField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """An incident named by id: only incidents the user can see are accepted, so an id
    does not reveal that an invisible incident exists."""

    def get_queryset(self) -> QuerySet[Incident]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return Incident.objects.visible_to(user)


def _related_fields() -> dict[str, serializers.Field]:  # type: ignore[type-arg]
    return {
        "requester": serializers.PrimaryKeyRelatedField(
            queryset=User.objects.filter(is_active=True),
            required=False,
            help_text=_("Defaults to the caller; only the service desk logs for others."),
        ),
        "service": serializers.PrimaryKeyRelatedField(
            queryset=Service.objects.all(), required=False, allow_null=True
        ),
        "configuration_items": serializers.PrimaryKeyRelatedField(
            queryset=ConfigurationItem.objects.all(), many=True, required=False
        ),
        "parent": VisibleIncidentField(required=False, allow_null=True),
    }


class IncidentDisplaySerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Labels for showing an incident without looking up its ids (in the user's language)."""

    kind = ChoiceLabelField(IncidentKind.choices)
    channel = ChoiceLabelField(IncidentChannel.choices)
    status = ChoiceLabelField(IncidentStatus.choices)
    impact = ChoiceLabelField(TicketImpact.choices)
    urgency = ChoiceLabelField(TicketUrgency.choices)
    priority = ChoiceLabelField(TicketPriority.choices)
    pending_reason = ChoiceLabelField(IncidentPendingReason.choices)
    resolution_code = ChoiceLabelField(IncidentResolutionCode.choices)
    requester = serializers.CharField(allow_null=True)
    department = serializers.CharField(allow_null=True)
    service = serializers.CharField(allow_null=True)
    category = serializers.CharField(allow_null=True, help_text=_("Its path: 硬件 › 打印机."))
    assignment_group = serializers.CharField(allow_null=True)
    assignee = serializers.CharField(allow_null=True)
    configuration_items = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_configuration_items(self, instance: Incident) -> list[str]:
        return [str(ci) for ci in prefetched(instance, "configuration_items")]

    def to_representation(self, instance: Incident) -> dict[str, Any]:
        """What DRF's loop over the fields gives (labels in the declared order, None for
        None, names as text), without its work per field and row, which was most of an
        API list's CPU: the labels as text once per language, not a gettext per row."""
        language = get_language()
        cached = getattr(self, "_labels", None)
        if cached is None or cached[0] != language:
            labels = {
                name: {value: str(label) for value, label in field.labels.items()}
                for name, field in self.fields.items()
                if isinstance(field, ChoiceLabelField)
            }
            cached = self._labels = (language, labels)
        data: dict[str, Any] = {}
        for name, strings in cached[1].items():
            value = getattr(instance, name)
            data[name] = None if value is None else strings.get(value, str(value))
        for name in DISPLAY_NAMES:
            related = getattr(instance, name)
            data[name] = None if related is None else str(related)
        data["configuration_items"] = self.get_configuration_items(instance)
        return data


# The records `display` names (as text); the labels of the coded fields come before them.
DISPLAY_NAMES = ("requester", "department", "service", "category", "assignment_group", "assignee")


class ClockSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One clock as read now: due time, working time left (negative once overdue), paused,
    stopped, breached."""

    kind = serializers.CharField(source="clock.kind")
    metric = serializers.CharField(source="clock.metric")
    agreement = serializers.CharField(source="clock.agreement.name")
    support_group = serializers.CharField(source="clock.support_group", allow_null=True)
    priority = serializers.IntegerField(source="clock.priority")
    target_seconds = serializers.IntegerField(source="clock.target_seconds")
    started_at = serializers.DateTimeField(source="clock.started_at")
    due_at = serializers.DateTimeField(allow_null=True, help_text=_("null while paused."))
    stopped_at = serializers.DateTimeField(source="clock.stopped_at", allow_null=True)
    remaining_seconds = serializers.IntegerField(
        help_text=_("Working seconds left; negative once overdue.")
    )
    percent = serializers.IntegerField(help_text=_("Share of the target elapsed."))
    paused = serializers.BooleanField()
    breached = serializers.BooleanField()


class IncidentSlaSerializer(serializers.Serializer):  # type: ignore[type-arg]
    response = ClockSerializer(allow_null=True)
    resolution = ClockSerializer(allow_null=True)


class IncidentListSerializer(serializers.ListSerializer):  # type: ignore[type-arg]
    """Reads the SLA clocks of a whole page in one query."""

    def to_representation(self, data: Any) -> list[Any]:
        items = list(data.all() if hasattr(data, "all") else data)
        self.child.context["sla_states"] = sla_states(items)  # type: ignore[union-attr,index]
        return [self.child.to_representation(item) for item in items]  # type: ignore[union-attr]


class IncidentSerializer(FieldsBuiltOnce, serializers.ModelSerializer):  # type: ignore[type-arg]
    """An incident as every endpoint reads it back. Related records are ids; `display`
    carries their names and the labels of the coded fields; `sla` the SLA's two clocks as
    they stand now."""

    # One reverse per list; the ids of many-to-many relations from the prefetch's cache.
    serializer_related_field = PrefetchingPrimaryKeyRelatedField
    url = PatternIdentityField(view_name="api:incident-detail")
    display = IncidentDisplaySerializer(source="*", read_only=True)
    sla = serializers.SerializerMethodField()

    @cached_property
    def _clock_serializer(self) -> ClockSerializer:
        """One ClockSerializer for every clock of the list: a new one per clock copies
        its fields each time."""
        return ClockSerializer()

    @extend_schema_field(IncidentSlaSerializer)
    def get_sla(self, instance: Incident) -> dict[str, Any]:
        states = self.context.get("sla_states")
        if states is None:
            states = sla_states([instance])
        mine = states.get(instance.pk, {})
        return {
            metric: self._clock_serializer.to_representation(mine[metric])
            if metric in mine
            else None
            for metric in (ClockMetric.RESPONSE, ClockMetric.RESOLUTION)
        }

    class Meta:
        model = Incident
        fields = (
            "id",
            "url",
            "number",
            "kind",
            "channel",
            "title",
            "description",
            "impact",
            "urgency",
            "priority",
            "status",
            "reported_at",
            "requester",
            "department",
            "service",
            "category",
            "configuration_items",
            "assignment_group",
            "assignee",
            "major",
            "parent",
            "related",
            "pending_reason",
            "resolution_code",
            "resolution_notes",
            "reassignment_count",
            "solved_by_article",
            "first_contact",
            "version",
            "created_at",
            "updated_at",
            "resolved_at",
            "closed_at",
            "responded_at",
            "response_due_at",
            "resolution_due_at",
            "sla_paused",
            "sla_breached",
            "sla",
            "display",
        )
        read_only_fields = fields
        list_serializer_class = IncidentListSerializer


class IncidentCreateSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """What a client sends to log an incident. With `assignment_group` (and optionally
    `assignee`) the incident is assigned in the same transaction."""

    channel = serializers.ChoiceField(choices=IncidentChannel.choices, default=IncidentChannel.API)
    assignment_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.filter(active=True), required=False, allow_null=True
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )

    class Meta:
        model = Incident
        fields = (
            "kind",
            "channel",
            "title",
            "description",
            "impact",
            "urgency",
            "reported_at",
            "requester",
            "department",
            "service",
            "category",
            "configuration_items",
            "assignment_group",
            "assignee",
            "parent",
        )

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields: dict[str, serializers.Field] = super().get_fields()  # type: ignore[type-arg]
        fields.update(_related_fields())
        fields["reported_at"].required = False
        return fields


# A call solved at first contact is not assigned.
ROUTING_FIELDS = ("assignment_group", "assignee")


@extend_schema_field(OpenApiTypes.INT)
class VisibleArticleField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A knowledge article named by id: only articles the user may read are accepted, so
    an id does not reveal that someone's draft exists."""

    def get_queryset(self) -> QuerySet[Article]:
        request = self.context.get("request")
        return Article.objects.visible_to(getattr(request, "user", None))


class SolveByArticleSerializer(IncidentCreateSerializer):
    """A call logged and resolved at once with a knowledge article: the fields of a new
    incident (without a group: a call solved at first contact is not assigned) plus the
    article that solved it."""

    assignment_group = None  # type: ignore[assignment]
    assignee = None  # type: ignore[assignment]
    article = VisibleArticleField(
        help_text=_("The published article that solved the call (KB number without KB).")
    )

    class Meta(IncidentCreateSerializer.Meta):
        fields: tuple[str, ...] = (  # type: ignore[assignment]
            *(f for f in IncidentCreateSerializer.Meta.fields if f not in ROUTING_FIELDS),
            "article",
        )


class IncidentUpdateSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """A PATCH: any editable fields plus the `version` the client read. A stale version is
    refused with 409 and nothing is written."""

    version = serializers.IntegerField(
        min_value=1, help_text=_("The version read; the edit is refused with 409 if it changed.")
    )

    # A PATCH body, yet never partial: `version` is always required. DRF and the schema
    # generator set `partial` for PATCH requests; here it stays False.
    @property
    def partial(self) -> bool:
        return False

    @partial.setter
    def partial(self, value: bool) -> None:
        pass

    class Meta:
        model = Incident
        fields = (*EDITABLE_FIELDS, "configuration_items", "version")
        extra_kwargs = {name: {"required": False} for name in EDITABLE_FIELDS}

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields: dict[str, serializers.Field] = super().get_fields()  # type: ignore[type-arg]
        fields.update(_related_fields())
        return fields


class CommentSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """A public reply or, for IT staff, an internal work note."""

    internal = serializers.BooleanField(
        write_only=True, default=False, help_text=_("An internal work note (IT staff only).")
    )
    author_name = serializers.CharField(source="author", read_only=True)

    class Meta:
        model = Comment
        fields = ("id", "author", "author_name", "visibility", "body", "created_at", "internal")
        read_only_fields = ("id", "author", "visibility", "created_at")


class ActorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(source="pk", allow_null=True)
    name = serializers.CharField(source="*")


class TimelineCommentSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    visibility = serializers.CharField()
    body = serializers.CharField()


class TimelineAuditSerializer(serializers.Serializer):  # type: ignore[type-arg]
    action = serializers.CharField()
    changes = serializers.DictField(
        child=serializers.ListField(allow_null=True),
        help_text=_("The fields that changed, as {field: [old, new]}."),
    )
    note = serializers.CharField(allow_blank=True)


class TimelineEntrySerializer(serializers.Serializer):  # type: ignore[type-arg]
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=("comment", "audit"))
    actor = ActorSerializer(allow_null=True, help_text=_("null for the system."))
    comment = TimelineCommentSerializer(allow_null=True)
    audit = TimelineAuditSerializer(allow_null=True)

    def to_representation(self, instance: TimelineEntry) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if instance.actor is None:
            data["actor"] = None
        return data


class MajorSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    major = serializers.BooleanField()
    reason = serializers.CharField(max_length=2000)


class LinkSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    related = VisibleIncidentField(help_text=_("The incident to mark as related."))


class IncidentImpactSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """What the incident's configuration items affect (CMDB impact analysis)."""

    services = NamedSerializer(many=True)
    departments = DepartmentRefSerializer(many=True)
    whole_hospital = serializers.BooleanField(
        help_text=_("A service serving every department is affected.")
    )
    truncated = serializers.BooleanField(
        help_text=_("The relationships go deeper than the analysis follows.")
    )


class IncidentViewSet(TransitionsMixin, ObjectViewSet):
    """Incidents, consultations and service requests: list (with the queue filters),
    log, read, edit with `version`, and the workflow's transitions."""

    # The queues' order, served by inc_queue_idx / inc_order_idx: most urgent, then oldest.
    queryset = (
        Incident.objects.select_related(
            "requester",
            "department",
            "service",
            "category__parent",
            "assignment_group",
            "assignee",
        )
        .order_by("priority", "reported_at", "pk")
        .prefetch_related(
            Prefetch(
                "configuration_items",
                queryset=ConfigurationItem.objects.only("id", "code", "name"),
                to_attr=prefetch_attr("configuration_items"),
            ),
            Prefetch(
                "related",
                queryset=Incident.objects.only("id"),
                to_attr=prefetch_attr("related"),
            ),
        )
    )
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    action_serializers = {
        "create": IncidentCreateSerializer,
        "partial_update": IncidentUpdateSerializer,
        "comments": CommentSerializer,
        "major": MajorSerializer,
        "link": LinkSerializer,
        "solve_by_article": SolveByArticleSerializer,
        "attachments": AttachmentUploadSerializer,
    }
    record_actions = (
        "transitions",
        "comments",
        "timeline",
        "clocks",
        "major",
        "link",
        "impact",
        "attachments",
    )
    action_permissions = {
        "major": ("incidents.set_major_incident", _("You may not declare major incidents.")),
        "link": ("incidents.link_incident", _("You may not link incidents.")),
    }
    conflict_actions = ("partial_update", "transitions")
    workflow = INCIDENT_WORKFLOW
    transition_service = transition_incident

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Log an incident (log_incident). The channel defaults to "api"; a requester may
        only log for himself (403 otherwise)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = log_incident(serializer.validated_data, actor=request.user)
        data = self.read_back(incident)
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})

    @extend_schema(
        request=SolveByArticleSerializer,
        responses={
            201: IncidentSerializer,
            400: OpenApiResponse(
                response=ValidationErrorSerializer,
                description=str(
                    _(
                        "Invalid input, a message per field: a missing title, an article that "
                        "does not exist or that the user may not read, an article that is not "
                        "published (under article)."
                    )
                ),
            ),
            403: OpenApiResponse(
                response=ErrorSerializer,
                description=str(
                    _(
                        "The user may not log incidents, may not resolve them, or may not log "
                        "for the requester given."
                    )
                ),
            ),
        },
        description=str(
            _(
                "Solved by the knowledge base at first contact: log a call and resolve it at "
                "once with a published article (solve_incident_by_article). The incident is "
                "resolved with the code solved_by_kb and a note naming the article, marked "
                "as solved at first contact, and linked to the article; all or nothing."
            )
        ),
    )
    @action(detail=False, methods=["post"], url_path="solve-by-article")
    def solve_by_article(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        article = data.pop("article")
        try:
            incident = solve_incident_by_article(data, article=article, actor=request.user)
        except DjangoValidationError as exc:
            # The service names the incident's field; here the client sent `article`.
            if hasattr(exc, "error_dict") and "solved_by_article" in exc.error_dict:
                exc.error_dict["article"] = exc.error_dict.pop("solved_by_article")
            raise
        data = self.read_back(incident)
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Edit the incident's own fields (update_incident). `version` is required; if
        someone changed the incident since, 409 and nothing is written."""
        incident = self.get_object()
        serializer = self.get_serializer(incident, data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version")
        incident = update_incident(incident, changes, actor=request.user, version=version)
        return Response(self.read_back(incident))

    @extend_schema(
        methods=["GET"],
        responses={200: CommentSerializer(many=True)},
        description=str(_("Replies and work notes, oldest first; requesters see replies only.")),
    )
    @extend_schema(
        methods=["POST"],
        request=CommentSerializer,
        responses={201: CommentSerializer},
        description=str(_("Add a public reply or (IT staff) an internal work note.")),
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def comments(self, request: Request, pk: Any = None) -> Response:
        incident = self.get_object()
        if request.method == "GET":
            comments = incident_comments(incident, viewer=request.user).select_related("author")
            page = self.paginate_queryset(comments)
            serializer = CommentSerializer(page, many=True, context=self.get_serializer_context())
            return self.get_paginated_response(serializer.data)
        serializer = CommentSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        comment = comment_on_incident(
            incident,
            actor=request.user,
            body=serializer.validated_data["body"],
            internal=serializer.validated_data["internal"],
        )
        return Response(
            CommentSerializer(comment, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        methods=["GET"],
        responses={200: AttachmentSerializer(many=True)},
        description=str(_("The incident's attachments, oldest first.")),
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer},
        description=str(
            _(
                "Attach a file (multipart, field “file”): pictures, PDF, Office documents or"
                " plain text up to the size limit; anything else is refused with 400."
            )
        ),
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def attachments(self, request: Request, pk: Any = None) -> Response:
        return attachments_endpoint(self.get_object(), request, self.get_serializer_context())

    @extend_schema(
        responses={200: TimelineEntrySerializer(many=True)},
        description=str(_("Replies, work notes and every audited change, oldest first.")),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request: Request, pk: Any = None) -> Response:
        incident = self.get_object()
        entries = incident_timeline(incident, viewer=request.user)
        return Response(TimelineEntrySerializer(entries, many=True).data)

    @extend_schema(
        responses={200: ClockSerializer(many=True)},
        description=str(
            _(
                "Every clock of the incident: the SLA's, and the OLA or underpinning contract "
                "of each group that held it. Requesters see the SLA's only."
            )
        ),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def clocks(self, request: Request, pk: Any = None) -> Response:
        incident = self.get_object()
        states = incident_clocks(incident, viewer=request.user)
        return Response(ClockSerializer(states, many=True).data)

    @extend_schema(
        request=MajorSerializer,
        description=str(_("Declare or stand down a major incident; declaring tells IT managers.")),
    )
    @action(detail=True, methods=["post"])
    def major(self, request: Request, pk: Any = None) -> Response:
        incident = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = set_major_incident(
            incident,
            actor=request.user,
            major=serializer.validated_data["major"],
            reason=serializer.validated_data["reason"],
        )
        return Response(self.read_back(incident))

    @extend_schema(
        request=LinkSerializer,
        description=str(_("Mark another incident as related (both ways).")),
    )
    @action(detail=True, methods=["post"])
    def link(self, request: Request, pk: Any = None) -> Response:
        incident = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link_incidents(incident, serializer.validated_data["related"], actor=request.user)
        return Response(self.read_back(incident))

    @extend_schema(
        responses={200: IncidentImpactSerializer},
        description=str(
            _(
                "The business services and departments the incident's configuration items "
                "affect, through the CMDB relationships (IT staff only). Empty lists when the "
                "incident names no item."
            )
        ),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def impact(self, request: Request, pk: Any = None) -> Response:
        incident = self.get_object()
        # Requesters follow their incidents on the portal; the CMDB is IT's.
        if not request.user.has_perm("incidents.work_incident"):
            raise PermissionDenied(_("Only IT staff see the impact of an incident."))
        found = incident_impact(incident)
        if found is None:
            return Response(
                {"services": [], "departments": [], "whole_hospital": False, "truncated": False}
            )
        return Response(
            {
                "services": [{"id": s.pk, "code": s.code, "name": s.name} for s in found.services],
                "departments": [{"id": d.pk, "name": d.name} for d in found.departments],
                "whole_hospital": found.whole_hospital,
                "truncated": found.truncated,
            }
        )

"""The change calendar's API: /api/blackout-windows/ (read by whoever sees changes, written
by change managers), and on /api/changes/: `GET calendar/?start=&end=` (the booked changes
and the blackout occurrences of a period) and `GET {id}/conflicts/`."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from itsm.changes.blackouts import save_blackout_window
from itsm.changes.calendar import (
    MAX_PERIOD,
    Conflict,
    blackout_occurrences,
    booked_changes,
    conflicts_for_viewer,
    local_zone,
)
from itsm.changes.models import BlackoutWindow, Change
from itsm.core.api.viewsets import ObjectSerializer, ObjectViewSet


class BlackoutPermissions(BasePermission):
    """Whoever may see changes reads the blackout windows; the change manager writes them."""

    message = _("Only the change manager may edit blackout windows.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if request.method in SAFE_METHODS:
            return bool(user.has_perm("changes.view_change"))
        return bool(user.has_perm("changes.manage_change"))


class BlackoutWindowSerializer(ObjectSerializer):
    class Meta:
        model = BlackoutWindow
        fields = (
            "id",
            "name",
            "reason",
            "kind",
            "service",
            "weekdays",
            "start_time",
            "end_time",
            "valid_from",
            "valid_until",
            "starts_at",
            "ends_at",
            "active",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "created_at", "updated_at")
        extra_kwargs = {
            "weekdays": {"help_text": _("ISO weekdays, 1 = Monday … 7 = Sunday: “1,2,3,4,5”.")},
            "start_time": {"help_text": _("Local time (Asia/Shanghai) of a recurring window.")},
        }

    version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text=_(
            "Required on PATCH: the version read; the edit is refused with 409 if it changed."
        ),
    )


class BlackoutWindowViewSet(ObjectViewSet):
    """Blackout windows: recurring (weekdays and local times, optionally between two
    dates) or dated (from one moment to another), hospital-wide or for one service. No
    DELETE: a window that no longer applies is set inactive."""

    queryset = BlackoutWindow.objects.select_related("service").order_by("kind", "name", "pk")
    serializer_class = BlackoutWindowSerializer
    permission_classes = [IsAuthenticated, BlackoutPermissions]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        window = save_blackout_window(None, data, actor=request.user)
        return Response(self.read_back(window), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        window = self.get_object()
        serializer = self.get_serializer(window, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        if version is None:
            raise serializers.ValidationError({"version": [_("This field is required.")]})
        window = save_blackout_window(window, data, actor=request.user, version=version)
        return Response(self.read_back(window))


def conflict_data(conflict: Conflict) -> dict[str, Any]:
    return {
        "kind": conflict.kind,
        "kind_label": conflict.get_kind_display(),
        "reason": conflict.reason,
        "blocks": conflict.blocks,
        "change": (
            {"id": conflict.change.pk, "number": conflict.change.number}
            if conflict.change is not None
            else None
        ),
        "window": (
            {"id": conflict.window.pk, "name": conflict.window.name}
            if conflict.window is not None
            else None
        ),
        "start": conflict.start.isoformat() if conflict.start else None,
        "end": conflict.end.isoformat() if conflict.end else None,
    }


class ConflictSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    reason = serializers.CharField()
    blocks = serializers.BooleanField(
        help_text=_("A blackout window: scheduling needs an override.")
    )
    change = serializers.DictField(allow_null=True)
    window = serializers.DictField(allow_null=True)
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)


class CalendarChangeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    change_type = serializers.CharField()
    planned_start = serializers.DateTimeField()
    planned_end = serializers.DateTimeField()
    service = serializers.IntegerField(allow_null=True)
    assignment_group = serializers.IntegerField(allow_null=True)
    implementer = serializers.IntegerField(allow_null=True)
    downtime_expected = serializers.BooleanField()
    blackout_override = serializers.BooleanField()
    url = serializers.CharField()


class BlackoutOccurrenceSerializer(serializers.Serializer):  # type: ignore[type-arg]
    window = serializers.IntegerField()
    name = serializers.CharField()
    reason = serializers.CharField()
    service = serializers.IntegerField(allow_null=True)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class ChangeCalendarSerializer(serializers.Serializer):  # type: ignore[type-arg]
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    changes = CalendarChangeSerializer(many=True)
    blackouts = BlackoutOccurrenceSerializer(many=True)


def parse_moment(raw: str, *, end: bool = False) -> datetime | None:
    """An ISO date (local midnight; for an end, the midnight after it) or datetime."""
    moment = parse_datetime(raw) if "T" in raw or " " in raw else None
    if moment is not None:
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment, local_zone())
    day = parse_date(raw) if raw else None
    if day is None:
        return None
    if end:
        day = date.fromordinal(day.toordinal() + 1)
    return datetime.combine(day, time(0), tzinfo=local_zone())


def parse_period(params: Any) -> tuple[datetime, datetime]:
    """`start` and `end` of a calendar request, or a 400 per field."""
    errors: dict[str, list[str]] = {}
    start = end = None
    for name in ("start", "end"):
        raw = str(params.get(name, "")).strip()
        try:
            value = parse_moment(raw, end=name == "end")
        except ValueError:
            value = None
        if value is None:
            errors[name] = [str(_("Give a date (YYYY-MM-DD) or a date and time."))]
        elif name == "start":
            start = value
        else:
            end = value
    if start is not None and end is not None:
        if end <= start:
            errors["end"] = [str(_("The end must be after the start."))]
        elif end - start > MAX_PERIOD:
            errors["end"] = [str(_("Ask for at most 400 days at a time."))]
    if errors:
        raise serializers.ValidationError(errors)
    assert start is not None and end is not None
    return start, end


def calendar_change_data(change: Change) -> dict[str, Any]:
    return {
        "id": change.pk,
        "number": change.number,
        "title": change.title,
        "status": change.status,
        "change_type": change.change_type,
        "planned_start": change.planned_start.isoformat() if change.planned_start else None,
        "planned_end": change.planned_end.isoformat() if change.planned_end else None,
        "service": change.service_id,
        "assignment_group": change.assignment_group_id,
        "implementer": change.implementer_id,
        "downtime_expected": change.downtime_expected,
        "blackout_override": change.blackout_override_at is not None,
        "url": change.get_absolute_url(),
    }


class ChangeCalendarMixin:
    """The calendar actions of the change viewset."""

    get_object: Any
    filter_queryset: Any
    get_queryset: Any

    @extend_schema(
        request=None,
        responses={200: ConflictSerializer(many=True)},
        description=str(
            _(
                "What the change's planned window collides with: blackout windows (which block "
                "scheduling without the change manager's override), booked changes on the same "
                "or a related configuration item, the implementer booked twice."
            )
        ),
    )
    # An unpaginated list: the schema must not describe it as a page.
    @action(detail=True, methods=["get"], pagination_class=None)
    def conflicts(self, request: Request, pk: Any = None) -> Response:
        change = self.get_object()
        return Response([conflict_data(c) for c in conflicts_for_viewer(change, request.user)])

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter(
                "start", str, required=True, description=str(_("YYYY-MM-DD or ISO date and time."))
            ),
            OpenApiParameter(
                "end",
                str,
                required=True,
                description=str(
                    _("YYYY-MM-DD (inclusive) or ISO date and time, at most 400 days later.")
                ),
            ),
        ],
        responses={200: ChangeCalendarSerializer},
        description=str(
            _(
                "The approved, scheduled and implementing changes whose planned window overlaps "
                "the period (filtered like the change list: service, configuration_item, "
                "assignment_group), and the occurrences of the active blackout windows."
            )
        ),
    )
    @action(detail=False, methods=["get"])
    def calendar(self, request: Request) -> Response:
        start, end = parse_period(request.query_params)
        visible = self.filter_queryset(self.get_queryset())
        changes = (
            booked_changes(start, end)
            .filter(pk__in=visible.values("pk"))
            .order_by("planned_start", "pk")
        )
        return Response(
            {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "changes": [calendar_change_data(c) for c in changes],
                "blackouts": [
                    {
                        "window": o.window.pk,
                        "name": o.window.name,
                        "reason": o.window.reason,
                        "service": o.window.service_id,
                        "start": o.start.isoformat(),
                        "end": o.end.isoformat(),
                    }
                    for o in blackout_occurrences(start, end)
                ],
            }
        )

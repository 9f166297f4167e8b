"""Service level settings over the API: calendars with their weekly periods, their extra days
and the national statutory table, agreements with their targets and escalation rules in one
request, and the duty roster. IT staff read; IT managers and administrators write. Every
write goes through a verb of `itsm.sla.configuration` or `itsm.sla.calendars`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from itsm.accounts.models import Department
from itsm.cmdb.models import Service
from itsm.core.api.fields import ChoiceLabelField
from itsm.core.api.viewsets import ObjectSerializer, ObjectViewSet, StrictInputMixin
from itsm.core.choices import TicketPendingReason, TicketPriority
from itsm.sla import configuration
from itsm.sla.choices import AgreementKind, CalendarDayKind, ClockMetric, Weekday
from itsm.sla.filters import (
    AgreementFilterSet,
    CalendarDayFilterSet,
    CalendarFilterSet,
    DutyShiftFilterSet,
    StatutoryDayFilterSet,
)
from itsm.sla.models import (
    Agreement,
    AgreementTarget,
    BusinessCalendar,
    CalendarDay,
    DutyShift,
    EscalationRule,
    StatutoryDay,
    WorkingPeriod,
)

VERSION_HELP = _("The version read; the edit is refused with 409 if it changed.")


class NeverPartialMixin:
    """A PATCH body in which `version` stays required: DRF sets `partial` for PATCH, which
    would make every field optional. The other fields are optional by themselves."""

    @property
    def partial(self) -> bool:
        return False

    @partial.setter
    def partial(self, value: bool) -> None:
        pass


def flat_errors(detail: Any) -> dict[str, list[str]]:
    """Serializer errors as {field: [messages]}, the shape of every 400 of the API: the
    errors of a nested row or a list item become messages that name the row ("Row 2,
    priority: …")."""
    flat: dict[str, list[str]] = {}
    for field, errors in detail.items():
        messages: list[str] = []
        items = errors.items() if isinstance(errors, dict) else enumerate(errors)
        for index, error in items:
            if isinstance(error, dict):
                for name, texts in error.items():
                    for text in texts if isinstance(texts, list) else [texts]:
                        messages.append(
                            gettext("Row %(row)d, %(field)s: %(message)s")
                            % {"row": int(index) + 1, "field": name, "message": text}
                        )
            elif isinstance(errors, dict):
                for text in error if isinstance(error, list) else [error]:
                    messages.append(
                        gettext("Item %(item)d: %(message)s")
                        % {"item": int(index) + 1, "message": text}
                    )
            else:
                messages.append(str(error))
        flat[field] = messages
    return flat


def validated(serializer: serializers.BaseSerializer) -> dict[str, Any]:  # type: ignore[type-arg]
    if not serializer.is_valid():
        raise serializers.ValidationError(flat_errors(serializer.errors))
    return dict(serializer.validated_data)


def version_field() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, help_text=VERSION_HELP)


# Calendars ----------------------------------------------------------------------------


class WorkingPeriodSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    weekday = serializers.ChoiceField(
        choices=Weekday.choices, help_text=_("0 = Monday … 6 = Sunday.")
    )

    class Meta:
        model = WorkingPeriod
        fields = ("weekday", "starts", "ends")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["starts"] >= attrs["ends"]:
            raise serializers.ValidationError({"ends": [_("The period must end after it starts.")]})
        return attrs


class CalendarSerializer(ObjectSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:businesscalendar-detail")
    periods = WorkingPeriodSerializer(
        many=True,
        required=False,
        help_text=_("The weekly working hours; written whole (they replace the current ones)."),
    )

    class Meta:
        model = BusinessCalendar
        fields = (
            "id",
            "url",
            "name",
            "time_zone",
            "always_open",
            "statutory_holidays",
            "description",
            "periods",
            "version",
            "updated_at",
        )
        read_only_fields: tuple[str, ...] = ("version", "updated_at")


class CalendarUpdateSerializer(NeverPartialMixin, CalendarSerializer):
    version = version_field()

    class Meta(CalendarSerializer.Meta):
        read_only_fields = ("updated_at",)
        extra_kwargs = {
            name: {"required": False}
            for name in ("name", "time_zone", "always_open", "statutory_holidays", "description")
        }


class CalendarViewSet(ObjectViewSet):
    """Business calendars: 7×24, or weekly working periods in a time zone, less the
    statutory holidays and this calendar's own days."""

    queryset = BusinessCalendar.objects.prefetch_related(
        Prefetch("periods", queryset=WorkingPeriod.objects.order_by("weekday", "starts"))
    )
    serializer_class = CalendarSerializer
    filterset_class = CalendarFilterSet
    action_serializers = {"partial_update": CalendarUpdateSerializer}
    conflict_actions = ("partial_update",)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        data = validated(serializer)
        periods = data.pop("periods", None)
        with transaction.atomic():
            calendar = configuration.save_calendar(None, data, actor=request.user)
            if periods is not None:
                configuration.replace_periods(calendar, periods, actor=request.user)
        return Response(self.read_back(calendar), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Edit the calendar's fields and, when given, its periods. `version` is required;
        if someone changed the calendar since, 409 and nothing is written."""
        calendar = self.get_object()
        serializer = self.get_serializer(calendar, data=request.data)
        data = validated(serializer)
        version = data.pop("version")
        periods = data.pop("periods", None)
        with transaction.atomic():
            calendar = configuration.save_calendar(
                calendar, data, actor=request.user, version=version
            )
            if periods is not None:
                configuration.replace_periods(calendar, periods, actor=request.user)
        return Response(self.read_back(calendar))


class DaysImportSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    csv = serializers.CharField(
        trim_whitespace=False,
        help_text=_("Lines of “date,kind,name”, e.g. “2027-02-05,holiday,春节”."),
    )


class CalendarDaysImportSerializer(DaysImportSerializer):
    calendar = serializers.PrimaryKeyRelatedField(queryset=BusinessCalendar.objects.all())


IMPORT_RESULT = inline_serializer("DaysImported", {"imported": serializers.IntegerField()})


class DeleteMixin(mixins.DestroyModelMixin):
    """DELETE for rows that are simply taken away (days, shifts); through a verb."""

    def perform_destroy(self, instance: Any) -> None:
        raise NotImplementedError


class CalendarDaySerializer(ObjectSerializer):
    kind_label = ChoiceLabelField(CalendarDayKind.choices, source="kind")

    class Meta:
        model = CalendarDay
        fields = ("id", "calendar", "date", "kind", "kind_label", "name")
        validators: list[Any] = []  # the verb reports a second entry for the same date


class CalendarDayViewSet(DeleteMixin, ObjectViewSet):
    """One calendar's own days: the hospital's extra holidays and extra working days.
    Filter with ?calendar=&year=."""

    http_method_names = ["get", "post", "delete", "head", "options"]
    queryset = CalendarDay.objects.all()
    serializer_class = CalendarDaySerializer
    filterset_class = CalendarDayFilterSet
    action_serializers = {"import_days": CalendarDaysImportSerializer}

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        data = validated(serializer)
        day = configuration.add_day(
            data["calendar"], data["date"], data["kind"], data.get("name", ""), actor=request.user
        )
        return Response(self.read_back(day), status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: CalendarDay) -> None:
        configuration.remove_day(instance, actor=self.request.user)

    @extend_schema(
        request=CalendarDaysImportSerializer,
        responses={200: IMPORT_RESULT},
        description=str(_("Import a calendar's days from CSV text; one line per day.")),
    )
    @action(detail=False, methods=["post"], url_path="import", filter_backends=[])
    def import_days(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        data = validated(serializer)
        count = configuration.import_csv(
            data["csv"],
            calendar=data["calendar"],
            actor=request.user,
        )
        return Response({"imported": count})


class StatutoryDaySerializer(ObjectSerializer):
    kind_label = ChoiceLabelField(CalendarDayKind.choices, source="kind")

    class Meta:
        model = StatutoryDay
        fields = ("id", "date", "kind", "kind_label", "name")
        validators: list[Any] = []

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields: dict[str, serializers.Field] = super().get_fields()  # type: ignore[type-arg]
        # The verb reports a second entry for the same date, in the same words as the page.
        fields["date"].validators = []
        return fields


class StatutoryDayViewSet(DeleteMixin, ObjectViewSet):
    """China's statutory holidays and adjusted working days (调休), one row per day; seeded
    from chinese-calendar, extended each November when the State Council publishes the next
    year. Filter with ?year=."""

    http_method_names = ["get", "post", "delete", "head", "options"]
    queryset = StatutoryDay.objects.all()
    serializer_class = StatutoryDaySerializer
    filterset_class = StatutoryDayFilterSet
    action_serializers = {"import_days": DaysImportSerializer}

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        data = validated(serializer)
        day = configuration.add_statutory(
            data["date"], data["kind"], data.get("name", ""), actor=request.user
        )
        return Response(self.read_back(day), status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: StatutoryDay) -> None:
        configuration.remove_statutory(instance, actor=self.request.user)

    @extend_schema(
        request=DaysImportSerializer,
        responses={200: IMPORT_RESULT},
        description=str(_("Import statutory days from CSV text; one line per day.")),
    )
    @action(detail=False, methods=["post"], url_path="import", filter_backends=[])
    def import_days(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        count = configuration.import_csv(
            validated(serializer)["csv"], calendar=None, actor=request.user
        )
        return Response({"imported": count})


# Agreements ---------------------------------------------------------------------------


class TargetSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    priority = serializers.ChoiceField(choices=TicketPriority.choices)

    class Meta:
        model = AgreementTarget
        fields = ("priority", "response_seconds", "resolution_seconds")


class RuleSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    metric = serializers.ChoiceField(choices=ClockMetric.choices)

    class Meta:
        model = EscalationRule
        fields = (
            "metric",
            "percent",
            "notify_assignee",
            "notify_group_lead",
            "notify_managers",
            "reassign_to",
            "raise_priority",
        )


class AgreementSerializer(ObjectSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:agreement-detail")
    kind_label = ChoiceLabelField(AgreementKind.choices, source="kind")
    pause_reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=TicketPendingReason.choices),
        required=False,
        help_text=_("The pending reasons that pause this agreement's clocks."),
    )
    services = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Service.objects.all(),
        help_text=_("Empty: every service."),
    )
    departments = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Department.objects.all(),
        help_text=_("Empty: every department."),
    )
    targets = TargetSerializer(
        many=True,
        required=False,
        help_text=_(
            "Per priority, in working seconds; written whole (they replace the current ones)."
        ),
    )
    escalation_rules = RuleSerializer(
        many=True,
        required=False,
        help_text=_("Written whole (they replace the current ones)."),
    )

    class Meta:
        model = Agreement
        fields = (
            "id",
            "url",
            "kind",
            "kind_label",
            "name",
            "description",
            "calendar",
            "services",
            "departments",
            "support_group",
            "vendor",
            "pause_reasons",
            "valid_from",
            "valid_until",
            "active",
            "targets",
            "escalation_rules",
            "version",
        )
        read_only_fields: tuple[str, ...] = ("version",)


class AgreementUpdateSerializer(NeverPartialMixin, AgreementSerializer):
    version = version_field()

    class Meta(AgreementSerializer.Meta):
        read_only_fields = ()
        extra_kwargs = {name: {"required": False} for name in ("kind", "name", "calendar")}


class AgreementViewSet(ObjectViewSet):
    """Agreements: SLAs with departments, OLAs with a support group, underpinning contracts
    with a vendor; each with targets per priority and escalation rules, written in one
    request."""

    queryset = Agreement.objects.prefetch_related(
        Prefetch("services", queryset=Service.objects.only("id")),
        Prefetch("departments", queryset=Department.objects.only("id")),
        Prefetch("targets", queryset=AgreementTarget.objects.order_by("priority")),
        Prefetch("escalation_rules", queryset=EscalationRule.objects.order_by("metric", "percent")),
    )
    serializer_class = AgreementSerializer
    filterset_class = AgreementFilterSet
    action_serializers = {"partial_update": AgreementUpdateSerializer}
    conflict_actions = ("partial_update",)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        data = validated(serializer)
        targets, rules = data.pop("targets", None), data.pop("escalation_rules", None)
        agreement = configuration.save_agreement(
            None, data, targets if targets is not None else [], rules, actor=request.user
        )
        return Response(self.read_back(agreement), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Edit any of the agreement's fields; targets and escalation rules, when given,
        replace the current ones. `version` is required: 409 if it is stale."""
        agreement = self.get_object()
        serializer = self.get_serializer(agreement, data=request.data)
        data = validated(serializer)
        version = data.pop("version")
        targets, rules = data.pop("targets", None), data.pop("escalation_rules", None)
        agreement = configuration.save_agreement(
            agreement, data, targets, rules, actor=request.user, version=version
        )
        return Response(self.read_back(agreement))


# Duty roster --------------------------------------------------------------------------


class DutyShiftSerializer(ObjectSerializer):
    user_name = serializers.CharField(source="user", read_only=True)

    class Meta:
        model = DutyShift
        fields = ("id", "user", "user_name", "starts_at", "ends_at", "note")


class DutyShiftViewSet(DeleteMixin, ObjectViewSet):
    """Who is the on-duty IT manager (值班经理) from when to when; ?on=<time> finds who is
    on duty then."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    queryset = DutyShift.objects.select_related("user")
    serializer_class = DutyShiftSerializer
    filterset_class = DutyShiftFilterSet

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        shift = configuration.save_duty_shift(None, validated(serializer), actor=request.user)
        return Response(self.read_back(shift), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        shift = self.get_object()
        serializer = self.get_serializer(shift, data=request.data, partial=True)
        data = validated(serializer)
        version = data.pop("version", None)
        if version is None:
            raise serializers.ValidationError({"version": [_("This field is required.")]})
        shift = configuration.save_duty_shift(shift, data, actor=request.user, version=version)
        return Response(self.read_back(shift))

    def perform_destroy(self, instance: DutyShift) -> None:
        configuration.delete_duty_shift(instance, actor=self.request.user)

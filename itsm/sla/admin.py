"""Administration of service level management. The service level pages (/sla/) are where
people edit calendars and agreements, through the verbs that audit and version them; these
admin pages are for inspection and repair by administrators. Clocks and firings are written
by the engine only, so they are read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from itsm.core.admin import AuditedAdmin
from itsm.sla.models import (
    Agreement,
    AgreementTarget,
    BusinessCalendar,
    CalendarDay,
    Clock,
    DutyShift,
    EscalationFiring,
    EscalationRule,
    StatutoryDay,
    WorkingPeriod,
)


class WorkingPeriodInline(admin.TabularInline):  # type: ignore[type-arg]
    model = WorkingPeriod
    extra = 0


class CalendarDayInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CalendarDay
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "time_zone", "always_open", "statutory_holidays", "version")
    list_filter = ("always_open", "statutory_holidays")
    search_fields = ("name",)
    readonly_fields = ("version", "updated_at")
    inlines = (WorkingPeriodInline, CalendarDayInline)


@admin.register(StatutoryDay)
class StatutoryDayAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("name",)


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("calendar", "date", "kind", "name")
    list_select_related = ("calendar",)
    list_filter = ("kind", "calendar")
    date_hierarchy = "date"


class AgreementTargetInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AgreementTarget
    extra = 0


class EscalationRuleInline(admin.TabularInline):  # type: ignore[type-arg]
    model = EscalationRule
    extra = 0
    autocomplete_fields = ("reassign_to",)


@admin.register(Agreement)
class AgreementAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "kind", "calendar", "support_group", "vendor", "active", "version")
    list_select_related = ("calendar", "support_group", "vendor")
    list_filter = ("kind", "active", "calendar")
    search_fields = ("name", "description")
    autocomplete_fields = ("support_group", "vendor")
    filter_horizontal = ("services", "departments")
    readonly_fields = ("version",)
    inlines = (AgreementTargetInline, EscalationRuleInline)


@admin.register(AgreementTarget)
class AgreementTargetAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("agreement", "priority", "response_seconds", "resolution_seconds")
    list_select_related = ("agreement",)
    list_filter = ("priority",)


@admin.register(EscalationRule)
class EscalationRuleAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("agreement", "metric", "percent", "notify_managers", "reassign_to")
    list_select_related = ("agreement", "reassign_to")
    list_filter = ("metric",)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Rows the engine writes: shown, never edited by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Clock)
class ClockAdmin(ReadOnlyAdmin):
    list_display = (
        "agreement",
        "content_type",
        "object_id",
        "metric",
        "priority",
        "started_at",
        "due_at",
        "stopped_at",
        "breached_at",
    )
    list_select_related = ("agreement", "content_type")
    list_filter = ("kind", "metric", "stop_reason")
    date_hierarchy = "started_at"


@admin.register(EscalationFiring)
class EscalationFiringAdmin(ReadOnlyAdmin):
    list_display = ("rule", "clock", "fired_at")
    list_select_related = ("rule__agreement", "clock__agreement")
    date_hierarchy = "fired_at"


@admin.register(DutyShift)
class DutyShiftAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "starts_at", "ends_at", "note")
    list_select_related = ("user",)
    date_hierarchy = "starts_at"
    autocomplete_fields = ("user",)

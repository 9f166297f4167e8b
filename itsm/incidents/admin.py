"""Incidents in the admin, read-only: status and routing belong to the workflow and the
service verbs, which audit every change; the desk works incidents in the product itself."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from itsm.core.admin import AuditedAdmin
from itsm.incidents.models import (
    Incident,
    IncidentAssignment,
    IncidentCategory,
    IncidentQuerySet,
)

SECTIONS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (
        None,
        ("number", "title", "description", "kind", "channel", "status", "pending_reason", "major"),
    ),
    (
        _("Classification"),
        (
            "impact",
            "urgency",
            "priority",
            "requester",
            "department",
            "service",
            "category",
            "configuration_items",
            "parent",
            "related",
        ),
    ),
    (
        _("Routing and resolution"),
        (
            "assignment_group",
            "assignee",
            "reassignment_count",
            "resolution_code",
            "resolution_notes",
        ),
    ),
    (
        _("Times"),
        ("reported_at", "created_at", "updated_at", "resolved_at", "closed_at", "version"),
    ),
)


class IncidentAssignmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = IncidentAssignment
    fields = ("created_at", "kind", "from_group", "group", "assignee", "actor", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[IncidentAssignment]:
        return (
            super()
            .get_queryset(request)
            .select_related("incident", "from_group", "group", "assignee", "actor")
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "number",
        "title",
        "kind",
        "status",
        "priority",
        "major",
        "requester",
        "department",
        "service",
        "assignment_group",
        "assignee",
        "reported_at",
    )
    list_select_related = (
        "requester",
        "department",
        "service",
        "assignment_group",
        "assignee",
    )
    list_filter = (
        "status",
        "priority",
        "kind",
        "channel",
        "major",
        "category",
        "assignment_group__tier",
    )
    search_fields = ("=number", "title", "requester__username", "requester__last_name")
    ordering = ("-reported_at",)
    inlines = (IncidentAssignmentInline,)
    fieldsets = [(title, {"fields": fields}) for title, fields in SECTIONS]
    readonly_fields = tuple(name for _title, fields in SECTIONS for name in fields)
    # One page of incidents out of a million: skip the second COUNT(*) of the whole table.
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Incident]:
        # Staff who may not see every incident (a vendor engineer) see only theirs here too.
        queryset: IncidentQuerySet = super().get_queryset(request)  # type: ignore[assignment]
        return queryset.visible_to(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(IncidentCategory)
class IncidentCategoryAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    """The desk's incident categories: administrators add, rename and move them. A
    category in use cannot be deleted (incidents keep their category)."""

    list_display = ("code", "name", "name_en", "parent")
    list_select_related = ("parent",)
    list_filter = (("parent", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("code", "name", "name_en")
    autocomplete_fields = ("parent",)
    ordering = ("parent__code", "code")

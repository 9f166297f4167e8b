"""Problems and the problems trend detection proposed, in the admin, read-only: every write
goes through the service verbs (raise, the workflow's transitions, accept or dismiss a
proposal), which audit it; problem managers work problems on /problems/."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from itsm.problems.models import Problem, ProblemIncident, ProblemQuerySet, ProposedProblem

PROBLEM_SECTIONS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (None, ("number", "title", "description", "status")),
    (
        _("Classification"),
        (
            "impact",
            "urgency",
            "priority",
            "requester",
            "service",
            "affected_services",
            "configuration_items",
            "assignment_group",
            "assignee",
        ),
    ),
    (
        _("Root-cause analysis"),
        (
            "symptoms",
            "root_cause",
            "cause_category",
            "five_whys",
            "workaround",
            "change_number",
            "resolution_notes",
        ),
    ),
    (
        _("Times"),
        ("created_at", "updated_at", "resolved_at", "closed_at", "version"),
    ),
)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Looked up here, never written: no add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProblemIncidentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ProblemIncident
    fields = ("incident", "linked_at", "linked_by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProblemIncident]:
        return super().get_queryset(request).select_related("problem", "incident", "linked_by")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "title",
        "status",
        "priority",
        "cause_category",
        "service",
        "assignment_group",
        "assignee",
        "created_at",
    )
    list_select_related = ("service", "assignment_group", "assignee")
    list_filter = ("status", "priority", "cause_category", "assignment_group")
    search_fields = ("=number", "title", "symptoms", "root_cause", "change_number")
    ordering = ("-created_at",)
    inlines = (ProblemIncidentInline,)
    fieldsets = [(title, {"fields": fields}) for title, fields in PROBLEM_SECTIONS]
    readonly_fields = tuple(name for _title, fields in PROBLEM_SECTIONS for name in fields)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Problem]:
        # A vendor engineer with admin access sees only his groups' problems here too.
        queryset: ProblemQuerySet = super().get_queryset(request)  # type: ignore[assignment]
        return queryset.visible_to(request.user)

    def view_on_site(self, obj: Problem) -> str:
        return obj.get_absolute_url()


@admin.register(ProposedProblem)
class ProposedProblemAdmin(ReadOnlyAdmin):
    list_display = ("label", "kind", "status", "incident_count", "created_at", "problem")
    list_select_related = ("problem",)
    list_filter = ("kind", "status")
    search_fields = ("label", "key")
    ordering = ("-created_at",)
    fields = (
        "kind",
        "key",
        "label",
        "status",
        "incidents",
        "problem",
        "created_at",
        "decided_at",
        "decided_by",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProposedProblem]:
        queryset: QuerySet[ProposedProblem] = super().get_queryset(request)
        return queryset.annotate(incident_total=Count("incidents"))

    @admin.display(description=_("incidents"), ordering="incident_total")
    def incident_count(self, obj: ProposedProblem) -> int:
        return int(getattr(obj, "incident_total", 0))

"""Administration of change management's configuration: the standard change templates, the
risk questionnaire and the advisory boards (CAB, emergency CAB). Changes themselves are
worked on /changes/."""

from __future__ import annotations

from django.contrib import admin

from itsm.changes.models import AdvisoryBoard, ChangeTemplate, RiskChoice, RiskQuestion
from itsm.core.admin import AuditedAdmin


@admin.register(ChangeTemplate)
class ChangeTemplateAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "service", "assignment_group", "duration_minutes", "active")
    list_filter = ("active",)
    list_select_related = ("service", "assignment_group")
    search_fields = ("name",)
    filter_horizontal = ("configuration_items",)


class RiskChoiceInline(admin.TabularInline):  # type: ignore[type-arg]
    model = RiskChoice
    extra = 1


@admin.register(RiskQuestion)
class RiskQuestionAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("text", "position", "active")
    list_editable = ("position", "active")
    inlines = (RiskChoiceInline,)


@admin.register(AdvisoryBoard)
class AdvisoryBoardAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "kind", "quorum", "active")
    list_filter = ("kind", "active")
    filter_horizontal = ("members",)

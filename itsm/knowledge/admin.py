"""Administration of the knowledge base's categories; articles are written on /kb/."""

from __future__ import annotations

from django.contrib import admin

from itsm.core.admin import AuditedAdmin
from itsm.knowledge.models import Category


@admin.register(Category)
class CategoryAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "parent")
    list_select_related = ("parent",)
    search_fields = ("name",)
    autocomplete_fields = ("parent",)

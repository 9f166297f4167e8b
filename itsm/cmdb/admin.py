"""Administration of the service catalogue and the configuration items incidents name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from itsm.cmdb.models import ConfigurationItem, Relationship, Service
from itsm.cmdb.services import check_relationship


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "code",
        "name",
        "criticality",
        "status",
        "owner_group",
        "service_hours",
        "availability_target",
    )
    list_select_related = ("owner_group",)
    list_filter = ("criticality", "status")
    search_fields = ("code", "name", "description")
    autocomplete_fields = ("owner_group",)
    filter_horizontal = ("departments",)


class RelationshipForm(forms.ModelForm):  # type: ignore[type-arg]
    """The same rules as the API's (`check_relationship`): classes, duplicates, loops."""

    class Meta:
        model = Relationship
        fields = ("source", "type", "target", "note")

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        source = cleaned.get("source") or getattr(self.instance, "source", None)
        target, type_ = cleaned.get("target"), cleaned.get("type")
        if source is not None and target is not None and type_:
            check_relationship(source, target, type_, existing=self.instance)
        return cleaned


class RelationshipInline(admin.TabularInline):  # type: ignore[type-arg]
    """What the item relies on ("this <type> target"), checked by the same rules as the
    API (the admin writes rows directly, so not audited: the API and services are)."""

    model = Relationship
    form = RelationshipForm
    fk_name = "source"
    extra = 0
    fields = ("type", "target", "note")
    autocomplete_fields = ("target",)


@admin.register(Relationship)
class RelationshipAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = RelationshipForm
    list_display = ("source", "type", "target", "note", "created_at")
    list_select_related = ("source", "target")
    list_filter = ("type",)
    search_fields = ("source__code", "source__name", "target__code", "target__name")
    autocomplete_fields = ("source", "target")


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "code",
        "name",
        "ci_class",
        "status",
        "criticality",
        "location",
        "department",
        "owner_group",
    )
    list_select_related = ("department", "owner_group")
    list_filter = ("ci_class", "status", "criticality")
    search_fields = ("code", "name", "location", "department__name")
    autocomplete_fields = ("department", "owner_group")
    filter_horizontal = ("services",)
    inlines = (RelationshipInline,)

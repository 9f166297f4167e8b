"""Administration of the service catalogue and the configuration items incidents name."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from itsm.cmdb.models import (
    AttributeDefinition,
    CIClass,
    ConfigurationItem,
    Contract,
    Relationship,
    Service,
    ServiceOutage,
)
from itsm.core.admin import AuditedAdmin


@admin.register(Service)
class ServiceAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
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


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Items and relationships are written through the CMDB pages and the API only, which
    validate the attributes and the relationship rules, audit every change and keep removed
    relationships: here they are looked up, not edited."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class RelationshipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Relationship
    fk_name = "source"
    extra = 0
    fields = ("type", "target", "note", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Relationship)
class RelationshipAdmin(ReadOnlyAdmin):
    list_display = ("source", "type", "target", "note", "created_at")
    list_select_related = ("source", "target")
    list_filter = ("type",)
    search_fields = ("source__code", "source__name", "target__code", "target__name")


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(ReadOnlyAdmin):
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
    list_select_related = ("ci_class", "location", "department", "owner_group")
    list_filter = ("ci_class", "status", "criticality")
    search_fields = ("code", "name", "position", "serial_number", "asset_tag", "department__name")
    inlines = (RelationshipInline,)

    def view_on_site(self, obj: ConfigurationItem) -> str:
        return obj.get_absolute_url()


class AttributeDefinitionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AttributeDefinition
    fk_name = "ci_class"
    extra = 0
    fields = ("order", "code", "name", "name_en", "type", "required", "choices", "reference_class")


@admin.register(CIClass)
class CIClassAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Classes and their attribute schemas: administrators add subclasses and attributes;
    a built-in class keeps its code."""

    list_display = ("code", "name", "name_en", "parent", "builtin")
    list_select_related = ("parent",)
    search_fields = ("code", "name", "name_en")
    inlines = (AttributeDefinitionInline,)

    def get_readonly_fields(self, request: Any, obj: Any = None) -> tuple[str, ...]:
        return ("code", "parent") if obj is not None and obj.builtin else ()

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.builtin)


@admin.register(Contract)
class ContractAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("number", "name", "vendor", "starts_on", "ends_on")
    list_select_related = ("vendor",)
    search_fields = ("number", "name", "vendor__name")
    autocomplete_fields = ("vendor",)


@admin.register(ServiceOutage)
class ServiceOutageAdmin(ReadOnlyAdmin):
    """Outages are recorded by the processes that cause them (a change's planned downtime,
    `record_planned_outage`): looked up here."""

    list_display = ("service", "start", "end", "planned", "change_number", "reason")
    list_select_related = ("service",)
    list_filter = ("planned", "service")
    search_fields = ("change_number", "reason", "service__name")
    date_hierarchy = "start"

"""Administration of the service catalogue and the configuration items incidents name."""

from __future__ import annotations

from django.contrib import admin

from itsm.cmdb.models import ConfigurationItem, Service


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

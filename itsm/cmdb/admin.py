"""Administration of the service catalogue and the configuration items incidents name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from itsm.cmdb.attributes import ClassTree
from itsm.cmdb.models import (
    AttributeDefinition,
    CIClass,
    ConfigurationItem,
    Contract,
    Relationship,
    Service,
)
from itsm.cmdb.services import check_item, check_relationship


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


class ConfigurationItemForm(forms.ModelForm):  # type: ignore[type-arg]
    """The same checks as every other write (`check_item`): attributes against the class's
    schema, location, contract."""

    class Meta:
        model = ConfigurationItem
        fields = (
            "code",
            "name",
            "ci_class",
            "status",
            "criticality",
            "location",
            "position",
            "department",
            "owner_group",
            "vendor",
            "contract",
            "serial_number",
            "asset_tag",
            "ip_address",
            "purchased_on",
            "warranty_ends_on",
            "attributes",
            "services",
        )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if not self.errors:
            try:
                check_item(self.instance, cleaned.get("attributes"), tree=ClassTree.load())
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    for message in messages:
                        self.add_error(field if field in self.fields else None, message)
            cleaned["attributes"] = self.instance.attributes
        return cleaned


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ConfigurationItemForm
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
    autocomplete_fields = ("department", "owner_group", "location", "vendor", "contract")
    filter_horizontal = ("services",)
    inlines = (RelationshipInline,)


class AttributeDefinitionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AttributeDefinition
    fk_name = "ci_class"
    extra = 0
    fields = ("order", "code", "name", "name_en", "type", "required", "choices", "reference_class")


@admin.register(CIClass)
class CIClassAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
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
class ContractAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("number", "name", "vendor", "starts_on", "ends_on")
    list_select_related = ("vendor",)
    search_fields = ("number", "name", "vendor__name")
    autocomplete_fields = ("vendor",)

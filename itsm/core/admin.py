"""Administration of the shared records. The priority matrix is configured here; the audit
log, comments, notifications, deliveries and number sequences are written only by the service
layer and are shown read-only, to everyone, superusers included.

Every admin that edits records audits its edits through `AuditedAdmin`, like a service
verb would: one entry per record saved or deleted, with the fields changed (old → new),
many-to-many sets and inline rows included, in the admin's own transaction."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.forms import BaseModelForm, ModelForm
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from itsm.core.api.viewsets import is_versioned
from itsm.core.exceptions import StaleVersion
from itsm.core.models import (
    AuditEntry,
    Comment,
    Delivery,
    Notification,
    NumberSequence,
    PriorityRule,
)
from itsm.core.services import diff, write_audit

admin.site.site_header = _("Hospital ITSM administration")
admin.site.site_title = _("Hospital ITSM administration")
admin.site.index_title = _("Administration")


# Fields whose values never enter the audit log (a password hash, a second factor's secret
# key, a chat robot's key, which its webhook address carries too): a change shows as
# "***" → "***".
SECRET_FIELDS = frozenset({"password", "robot_secret", "robot_webhook_url", "key"})
MASK = "***"
# The change form's field holding the version it was opened at.
VERSION_READ = "_version_read"


def field_values(obj: models.Model) -> dict[str, Any]:
    """The record's own fields as the database holds them, keyed by field name (a foreign
    key as the related record's id), as service verbs key their audit changes."""
    return {f.name: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def masked(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {key: [MASK, MASK] if key in SECRET_FIELDS else pair for key, pair in changes.items()}


def related_label(obj: models.Model, parent: models.Model) -> str:
    """An inline row as a person reads it: a many-to-many link row (an auto-created
    "through" model) as the record on its other side."""
    if obj._meta.auto_created:
        others = [
            getattr(obj, f.name)
            for f in obj._meta.concrete_fields
            if f.is_relation and f.related_model is not type(parent)
        ]
        return ", ".join(str(other) for other in others)
    return str(obj)


def inline_key(model: type[models.Model], parent: models.Model) -> str:
    """How an inline's rows are named in the parent's changes: its model's plural name, or
    for many-to-many link rows the plural name of the records on the other side."""
    if model._meta.auto_created:
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is not type(parent):
                return str(field.related_model._meta.verbose_name_plural)  # type: ignore[union-attr]
    return str(model._meta.verbose_name_plural)


class AuditedAdmin:
    """Audit every admin edit: a mixin put first in a ModelAdmin's bases.

    `save_model` reads the record's stored fields before saving; `save_related` (which the
    admin always calls next, also for list_editable rows) adds the many-to-many sets (a
    user's groups and permissions: permission changes) and inline rows, then writes one
    entry, "create" or "update" with old → new. `delete_model` and `delete_queryset` (the
    "delete selected" action) record the deleted record's last values. All within the
    admin's transaction: the edit and its entry land together.

    A versioned record (optimistic locking) is saved as the next version, so that a client
    holding the version before cannot write over the admin's edit; and the change form
    carries the version it was opened at (templates/admin/change_form.html): a save after
    someone else changed the record is refused with the form's error, nothing written."""

    def get_form(
        self, request: HttpRequest, obj: Any | None = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[Any]]:
        form: type[ModelForm[Any]] = super().get_form(  # type: ignore[misc]
            request, obj, change=change, **kwargs
        )
        read = request.POST.get(VERSION_READ)
        if obj is None or read is None or not is_versioned(type(obj)):
            return form

        model, pk = type(obj), obj.pk

        class VersionCheckedForm(form):  # type: ignore[valid-type,misc]
            def clean(self) -> Any:
                if str(model._base_manager.get(pk=pk).version) != read:
                    raise ValidationError(StaleVersion.default_message, code="stale")
                return super().clean()

        return VersionCheckedForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before: dict[str, Any] = {}
        if change and obj.pk is not None:
            versioned = is_versioned(type(obj))
            query = type(obj)._base_manager.filter(pk=obj.pk)
            # Locked until the admin's transaction ends: the version moves on by one.
            stored = (query.select_for_update() if versioned else query).first()
            before = field_values(stored) if stored is not None else {}
            if stored is not None and versioned and form.has_changed():
                obj.version = stored.version + 1
        with transaction.atomic():
            super().save_model(request, obj, form, change)  # type: ignore[misc]
        request._admin_audit = (obj, before, change)  # type: ignore[attr-defined]

    def save_related(
        self, request: HttpRequest, form: BaseModelForm[Any], formsets: Any, change: bool
    ) -> None:
        obj, before, change = getattr(request, "_admin_audit", (form.instance, {}, change))
        many = [f for f in obj._meta.many_to_many if f.name in form.fields and f.editable]
        before_sets = {f.name: _pks(obj, f.name) if change else [] for f in many}
        before_rows = {i: _rows(formset, obj) for i, formset in enumerate(formsets)}
        with transaction.atomic():
            super().save_related(request, form, formsets, change)  # type: ignore[misc]
            changes = diff(before, field_values(obj))
            changes.pop("version", None)  # as the service verbs' entries: the fields alone
            changes.update(diff(before_sets, {f.name: _pks(obj, f.name) for f in many}))
            for index, formset in enumerate(formsets):
                key = inline_key(formset.model, obj)
                changes.update(diff({key: before_rows[index]}, {key: _rows(formset, obj)}))
            if changes or not change:
                action = "update" if change else "create"
                write_audit(
                    obj, actor=request.user, action=action, changes=masked(changes), note="admin"
                )
        request._admin_audit = None  # type: ignore[attr-defined]

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            write_audit(
                obj, actor=request.user, action="delete", changes=_last_values(obj), note="admin"
            )
            super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in queryset:
                write_audit(
                    obj,
                    actor=request.user,
                    action="delete",
                    changes=_last_values(obj),
                    note="admin",
                )
            super().delete_queryset(request, queryset)  # type: ignore[misc]


def _last_values(obj: models.Model) -> dict[str, list[Any]]:
    """A deleted record's fields as changes from their value to nothing."""
    return masked({key: pair[::-1] for key, pair in diff({}, field_values(obj)).items()})


def _pks(obj: models.Model, name: str) -> list[Any]:
    return sorted(getattr(obj, name).values_list("pk", flat=True))


def _rows(formset: Any, parent: models.Model) -> list[str]:
    """An inline's rows of the parent record, as labels, from the database."""
    if parent.pk is None or getattr(formset, "fk", None) is None:
        return []
    rows = formset.model._default_manager.filter(**{formset.fk.name: parent.pk})
    return sorted(related_label(row, parent) for row in rows)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Nobody adds, changes or deletes these rows through the admin: they are written by
    service verbs, which audit them; an admin edit would bypass that."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PriorityRule)
class PriorityRuleAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    """The impact × urgency matrix. A cell without a row falls back to ITIL's
    impact + urgency − 1. New and edited incidents use it; existing priorities stay."""

    list_display = ("impact", "urgency", "priority")
    list_editable = ("priority",)
    list_display_links = None
    list_filter = ("impact", "urgency")
    ordering = ("impact", "urgency")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read by auditors only (the view permission; a change permission, which Django
    otherwise takes for a view one, does not count), edited and deleted by nobody."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("core.view_auditentry"))

    list_display = (
        "created_at",
        "actor",
        "action",
        "content_type",
        "object_id",
        "request_id",
        "ip_address",
    )
    list_select_related = ("actor", "content_type")
    list_filter = ("content_type",)
    search_fields = ("action", "note", "request_id", "actor__username")
    fields = (
        "created_at",
        "actor",
        "action",
        "content_type",
        "object_id",
        "changes_table",
        "note",
        "request_id",
        "ip_address",
    )
    readonly_fields = fields
    # The audit log is the largest table: no second COUNT(*) of the whole table per page.
    show_full_result_count = False

    @admin.display(description=_("changes"))
    def changes_table(self, entry: AuditEntry) -> str:
        return format_html("<pre>{}</pre>", json.dumps(entry.changes, ensure_ascii=False, indent=2))


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "author", "visibility", "content_type", "object_id", "body")
    list_select_related = ("author", "content_type")
    list_filter = ("visibility", "content_type")
    search_fields = ("body", "author__username")
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "message", "read_at")
    list_select_related = ("recipient",)
    search_fields = ("message", "recipient__username")
    show_full_result_count = False


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "last")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """E-mails and chat-robot posts with their outcome: filter by status "failed" to see
    which channel is broken and why (the last error), per attempt count."""

    list_display = (
        "created_at",
        "channel",
        "destination",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
    )
    list_select_related = ("recipient", "group")
    list_filter = ("status", "channel", "created_at")
    search_fields = ("subject", "address", "recipient__username", "group__name", "last_error")
    fields = (
        "channel",
        "recipient",
        "group",
        "address",
        "content_type",
        "object_id",
        "language",
        "subject",
        "body",
        "html_body",
        "url",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "attempted_at",
        "next_attempt_at",
        "sent_at",
    )
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description=_("addressee"))
    def destination(self, delivery: Delivery) -> str:
        return delivery.address or str(delivery.group or delivery.recipient or "")

    @admin.display(description=_("last error"))
    def short_error(self, delivery: Delivery) -> str:
        return delivery.last_error[:80]

"""Administration of the shared records. The priority matrix is configured here; the audit
log, comments, notifications, deliveries and number sequences are written only by the service
layer and are shown read-only, to everyone, superusers included."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from itsm.core.models import (
    AuditEntry,
    Comment,
    Delivery,
    Notification,
    NumberSequence,
    PriorityRule,
)

admin.site.site_header = _("Hospital ITSM administration")
admin.site.site_title = _("Hospital ITSM administration")
admin.site.index_title = _("Administration")


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
class PriorityRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The impact × urgency matrix. A cell without a row falls back to ITIL's
    impact + urgency − 1. New and edited incidents use it; existing priorities stay."""

    list_display = ("impact", "urgency", "priority")
    list_editable = ("priority",)
    list_display_links = None
    list_filter = ("impact", "urgency")
    ordering = ("impact", "urgency")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
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

"""The audit log for auditors: every entry, filtered by actor, action, record type, record,
date range, source address or request, newest first, with old → new values; the chain's
state (the last sealed position, entries waiting to be sealed) and the archives; and the
filtered log as a CSV file, itself audited.

Only the permission core.view_auditentry opens it (given to the auditor role alone);
nobody edits or deletes entries anywhere in the product.

Pages are cut by keyset (`?after=<id>` / `?before=<id>`: the entries older or newer than
that entry), never by OFFSET or a COUNT of the whole table: a page costs the same at the
millionth entry as at the first, through the created_at indexes (migration 0009)."""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.core.exports import audit_export, csv_response
from itsm.core.models import AuditArchive, AuditEntry, AuditSeal
from itsm.core.views.audit import AuditLine, describe_audit_entries
from itsm.core.views.generic import ItsmView, error_response

# The action names services write, in words, and offered as suggestions in the filter (any
# name can be typed: transitions are "transition:<name>", comments "comment:<visibility>").
ACTION_LABELS = {
    "create": _("Created"),
    "update": _("Edited"),
    "delete": _("Deleted"),
    "login": _("Signed in"),
    "logout": _("Signed out"),
    "login_failed": _("Failed sign-in"),
    "login_locked": _("Account locked"),
    "login_address_locked": _("Address locked"),
    "login_unlocked": _("Lock released"),
    "login_lock_expired": _("Lock expired"),
    "session:end_all": _("Signed out everywhere"),
    "mfa:enable": _("Second factor enabled"),
    "mfa:disable": _("Second factor disabled"),
    "mfa:failed": _("Wrong second-factor code"),
    "token:create": _("API token made"),
    "token:revoke": _("API token revoked"),
    "export": _("Exported"),
    "attach": _("File attached"),
    "backup": _("Backup made"),
    "restore": _("Restored from a backup"),
    "restore_test": _("Restore tested"),
    "roles_changed": _("Roles changed"),
    "password_changed": _("Password changed"),
    "password_reset": _("Password reset"),
    "account_disabled": _("Account disabled"),
    "comment:public": _("Public reply"),
    "comment:internal": _("Work note"),
}


def action_label(action: str) -> str:
    """An action in words; a workflow step by its family ("transition:resolve" is a status
    change), unknown actions by their name alone."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    if action.startswith("transition:"):
        return str(_("Status changed"))
    if action.startswith("approval:"):
        return str(_("Approval decision"))
    return ""


def record_types() -> list[tuple[str, str]]:
    """Every model an entry can be about, by its name in the user's language."""
    choices = [
        (str(ct.pk), "%s · %s" % (ct.model_class()._meta.app_config.verbose_name, ct.name))  # type: ignore[union-attr]
        for ct in ContentType.objects.all()
        if ct.model_class() is not None
    ]
    return [("", "---------"), *sorted(choices, key=lambda c: c[1])]


class AuditLogFilterForm(forms.Form):
    actor = forms.CharField(label=_("User name"), required=False, max_length=150)
    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    record_type = forms.ChoiceField(label=_("Record type"), required=False)
    record_id = forms.IntegerField(label=_("Record id"), required=False, min_value=0)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ip_address = forms.GenericIPAddressField(label=_("Source IP address"), required=False)
    request_id = forms.CharField(label=_("Request id"), required=False, max_length=36)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["record_type"].choices = record_types()  # type: ignore[attr-defined]
        self.fields["action"].widget.attrs["list"] = "audit-actions"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filter(self, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        """The entries these (valid) filters keep."""
        data = self.cleaned_data
        if data.get("actor"):
            entries = entries.filter(actor__username=data["actor"])
        if data.get("action"):
            entries = entries.filter(action=data["action"])
        if data.get("record_type"):
            entries = entries.filter(content_type_id=int(data["record_type"]))
        if data.get("record_id") is not None:
            entries = entries.filter(object_id=data["record_id"])
        if data.get("date_from"):
            entries = entries.filter(created_at__gte=local_midnight(data["date_from"]))
        if data.get("date_to"):
            next_day = data["date_to"] + datetime.timedelta(days=1)
            entries = entries.filter(created_at__lt=local_midnight(next_day))
        if data.get("ip_address"):
            entries = entries.filter(ip_address=data["ip_address"])
        if data.get("request_id"):
            entries = entries.filter(request_id=data["request_id"])
        return entries


def local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def cursor_entry(raw: str | None) -> AuditEntry | None:
    if not raw or not raw.isdigit():
        return None
    return AuditEntry.objects.filter(pk=int(raw)).only("pk", "created_at").first()


def keyset_page(
    entries: QuerySet[AuditEntry], *, after: AuditEntry | None, before: AuditEntry | None, size: int
) -> tuple[list[AuditEntry], bool, bool]:
    """One page newest first: the entries older than `after`, or newer than `before`, or
    the newest. Whether there are newer and older entries beyond the page."""
    if before is not None:
        newer = entries.filter(
            Q(created_at__gt=before.created_at) | Q(created_at=before.created_at, pk__gt=before.pk)
        ).order_by("created_at", "id")
        rows = list(newer[: size + 1])
        has_newer = len(rows) > size
        return list(reversed(rows[:size])), has_newer, True
    if after is not None:
        entries = entries.filter(
            Q(created_at__lt=after.created_at) | Q(created_at=after.created_at, pk__lt=after.pk)
        )
    rows = list(entries.order_by("-created_at", "-id")[: size + 1])
    return rows[:size], after is not None, len(rows) > size


def raw_lines(entry: AuditEntry) -> list[AuditLine]:
    """The changes as stored, for entries no field description covers (a creation, a set
    of inline rows)."""
    lines = []
    for key, pair in (entry.changes or {}).items():
        old, new = pair if isinstance(pair, list) and len(pair) == 2 else ("", pair)
        lines.append(AuditLine(key=key, field=key, old=shown(old), new=shown(new)))
    return lines


def shown(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def describe(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    """Each entry with its record (named, linked where it has a page) and its changes as
    readable lines; records and related names are read with one query per model."""
    by_type: dict[int, list[AuditEntry]] = defaultdict(list)
    for entry in entries:
        by_type[entry.content_type_id].append(entry)
    records: dict[tuple[int, int], Any] = {}
    lines: dict[int, list[AuditLine]] = {}
    for type_id, group in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        ids = {e.object_id for e in group if e.object_id}
        for pk, obj in model._base_manager.in_bulk(ids).items():
            records[(type_id, pk)] = obj
        lines.update(describe_audit_entries(group, model, known=records.values()))
    rows = []
    for entry in entries:
        content_type = ContentType.objects.get_for_id(entry.content_type_id)
        record = records.get((entry.content_type_id, entry.object_id))
        url = getattr(record, "get_absolute_url", None)
        try:
            link = url() if url is not None and not isinstance(record, AuditEntry) else ""
        except Exception:  # a record whose page needs more than its id
            link = ""
        rows.append(
            {
                "entry": entry,
                "type": content_type.name,
                "action": action_label(entry.action),
                "record": str(record) if record is not None else "",
                "url": link,
                "lines": lines.get(entry.pk) or raw_lines(entry),
            }
        )
    return rows


def chain_status() -> dict[str, Any]:
    head = AuditSeal.objects.filter(pk=1).first()
    return {
        "last_seq": head.last_seq if head else 0,
        "last_hash": head.last_hash if head else "",
        "unsealed": AuditEntry.objects.filter(seq__isnull=True).count(),
        "oldest": AuditEntry.objects.order_by("created_at", "id")
        .values_list("created_at", flat=True)
        .first(),
        "archives": list(AuditArchive.objects.order_by("-last_seq")[:20]),
        "archive_count": AuditArchive.objects.count(),
    }


class AuditLogView(ItsmView):
    permission = "core.view_auditentry"
    permission_message = _("Only auditors read the audit log.")
    template_name = "core/audit_log.html"
    page_size: ClassVar[int] = 50

    def get(self, request: HttpRequest) -> HttpResponseBase:
        form = AuditLogFilterForm(request.GET or None)
        entries = AuditEntry.objects.select_related("actor")
        valid = form.is_valid() if form.is_bound else True
        if valid and form.is_bound:
            entries = form.filter(entries)
        if request.GET.get("export") is not None:
            if not valid:
                return error_response(request, 400, gettext("Some filters are not valid."))
            return self.export(entries)
        if not valid:
            entries = entries.none()
        page, has_newer, has_older = keyset_page(
            entries,
            after=cursor_entry(request.GET.get("after")),
            before=cursor_entry(request.GET.get("before")),
            size=self.page_size,
        )
        query = request.GET.copy()
        for key in ("after", "before", "export"):
            query.pop(key, None)
        context = {
            "nav": "audit",
            "form": form,
            "rows": describe(page),
            "newer_url": "?%s" % _with(query, before=page[0].pk) if has_newer and page else "",
            "older_url": "?%s" % _with(query, after=page[-1].pk) if has_older and page else "",
            "filter_query": query.urlencode(),
            "chain": chain_status(),
            "known_actions": ACTION_LABELS.items(),
            "archive_dir": settings.ITSM_AUDIT_ARCHIVE_DIR,
        }
        return self.render(context, status=200 if valid else 400)

    def export(self, entries: QuerySet[AuditEntry]) -> HttpResponse:
        """The filtered log as CSV, streamed, oldest first as the chain runs."""
        entries = entries.select_related("actor", "content_type").order_by("created_at", "id")
        query = self.request.GET.copy()
        query.pop("export", None)
        name = "audit-log-%s.csv" % timezone.localdate().strftime("%Y%m%d")
        audit_export(
            self.request.user,
            target=AuditEntry,
            name=name,
            query=query.urlencode(),
            rows=entries.count(),
        )
        header = [
            _("Time"),
            _("User name"),
            _("Full name"),
            _("Action"),
            _("Record type"),
            _("Record id"),
            _("Changes"),
            _("Note"),
            _("Source IP address"),
            _("Request id"),
            _("Chain position"),
            _("Hash"),
        ]
        return csv_response(name, header, _csv_rows(entries, translation.get_language()))  # type: ignore[return-value]


def _with(query: Any, **params: Any) -> str:
    copy = query.copy()
    for key, value in params.items():
        copy[key] = value
    return str(copy.urlencode())


def _csv_rows(entries: QuerySet[AuditEntry], language: str) -> Iterator[list[Any]]:
    with translation.override(language):
        for entry in entries.iterator(chunk_size=2000):
            actor = entry.actor
            yield [
                timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                actor.get_username() if actor else "",
                str(actor) if actor else gettext("System"),
                entry.action,
                "%s.%s" % (entry.content_type.app_label, entry.content_type.model),
                entry.object_id,
                json.dumps(entry.changes, ensure_ascii=False) if entry.changes else "",
                entry.note,
                entry.ip_address or "",
                entry.request_id,
                entry.seq or "",
                entry.hash,
            ]

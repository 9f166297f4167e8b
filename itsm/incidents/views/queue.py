"""The queues: mine, my groups, unassigned, all I can see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import F, IntegerField, Value, Window
from django.db.models.functions import RowNumber
from django.forms.models import ModelChoiceIteratorValue
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.timesince import timesince
from django.utils.translation import gettext

from itsm.core.choices import TicketPriority
from itsm.core.exports import Column
from itsm.core.templatetags.itsm import priority_badge_html, status_badge_html, working_time
from itsm.core.views import ObjectListView
from itsm.incidents.choices import IncidentKind, IncidentStatus
from itsm.incidents.filters import IncidentFilterSet, IncidentQueue
from itsm.incidents.models import Incident
from itsm.sla.choices import ClockMetric
from itsm.sla.services import ClockState, sla_states

# --------------------------------------------------------------------------------------
# Rows


@dataclass(frozen=True, slots=True)
class QueueRow:
    """What the queue shows of one incident, computed once: the table shows the status
    and the age twice (phone summary and desktop column)."""

    incident: Incident
    url: str
    priority_badge: SafeString
    status_badge: SafeString
    kind_label: str
    requester: str
    department: str
    age: str  # "3 hours ago", in the user's language
    reported_at: str  # Y-m-d H:i, local time
    reported_short: str  # m-d H:i
    time_left: SafeString  # the SLA clock that falls due first, in working time


def time_left_html(states: dict[str, ClockState]) -> SafeString:
    """The SLA clock that matters now (the response until answered, then the resolution):
    working time left, overdue, paused, or met."""
    running = [s for s in states.values() if not s.stopped]
    state = min(running, key=lambda s: s.remaining_seconds) if running else None
    if state is None:
        resolution = states.get(ClockMetric.RESOLUTION)
        if resolution is None:
            return mark_safe('<span class="text-body-tertiary">—</span>')
        label, css = (
            (gettext("Breached"), "text-danger")
            if resolution.breached
            else (gettext("Met"), "text-success")
        )
        return format_html('<span class="{}">{}</span>', css, label)
    left = working_time(state.remaining_seconds)
    if state.paused:
        text, css = gettext("Paused, %(left)s left") % {"left": left}, "text-body-secondary"
    elif state.breached:
        text, css = gettext("%(late)s over") % {"late": left}, "text-danger fw-semibold"
    else:
        text = gettext("%(left)s left") % {"left": left}
        css = "text-warning-emphasis fw-semibold" if state.percent >= 75 else ""
    due = timezone.localtime(state.due_at).strftime("%m-%d %H:%M") if state.due_at else ""
    return format_html('<span class="{}" title="{}">{}</span>', css, due, text)


def queue_rows(incidents: Iterable[Incident]) -> list[QueueRow]:
    """The rows of a queue page. Labels come from dicts built once per page, not from
    `get_FOO_display` per row; the link from one `reverse`."""
    priorities = {value: str(label) for value, label in TicketPriority.choices}
    statuses = {value: str(label) for value, label in IncidentStatus.choices}
    kinds = {value: str(label) for value, label in IncidentKind.choices}
    marker = 987654321
    url_pattern = reverse("incidents:incident_detail", args=[marker]).replace(str(marker), "%d")
    ago = gettext("%(age)s ago")
    now = timezone.now()
    incidents = list(incidents)
    clocks = sla_states(incidents, now)
    rows = []
    for incident in incidents:
        reported = timezone.localtime(incident.reported_at)
        priority, status = incident.priority, incident.status
        rows.append(
            QueueRow(
                incident=incident,
                url=url_pattern % incident.pk,
                priority_badge=priority_badge_html(priority, priorities.get(priority, priority)),
                status_badge=status_badge_html(status, statuses.get(status, status)),
                kind_label=kinds.get(incident.kind, incident.kind),
                requester=str(incident.requester),
                department=str(incident.department) if incident.department_id else "",
                age=ago % {"age": timesince(incident.reported_at, now, depth=1)},
                reported_at=reported.strftime("%Y-%m-%d %H:%M"),
                reported_short=reported.strftime("%m-%d %H:%M"),
                time_left=time_left_html(clocks.get(incident.pk, {})),
            )
        )
    return rows


# --------------------------------------------------------------------------------------
# The filter bar's options

# The selects of the filter bar whose options come from a table, each named by `name`.
OPTION_FIELDS = ("assignment_group", "service", "department")


def read_options_together(form: forms.BaseForm, names: Iterable[str] = OPTION_FIELDS) -> None:
    """The options of the filter bar's model selects (groups, services, departments) in
    one UNION ALL query instead of one query each: two round trips less on every queue
    page. Each option is read as (pk, name), in the queryset's order, and built with
    `from_db` (any other field deferred: read if ever used, never a wrong value); the
    select then renders them exactly as it would its own queryset's."""
    parts: list[Any] = []
    fields: list[forms.ModelChoiceField[Any]] = []
    for name in names:
        field = form.fields.get(name)
        if not isinstance(field, forms.ModelChoiceField) or field.queryset is None:
            continue
        queryset = field.queryset
        ordering: list[Any] = list(queryset.query.order_by or queryset.model._meta.ordering)
        keys = [key for key in ordering if isinstance(key, str) and key.strip("-?")]
        if len(keys) != len(ordering):
            continue  # an expression or a random order: this select reads its own options
        order_by = [F(key[1:]).desc() if key.startswith("-") else F(key).asc() for key in keys]
        parts.append(
            queryset.order_by()
            .annotate(
                option_select=Value(len(fields), output_field=IntegerField()),
                position=Window(RowNumber(), order_by=order_by or [F("pk").asc()]),
                option_pk=F("pk"),
                option_name=F("name"),
            )
            .values_list("option_select", "position", "option_pk", "option_name")
        )
        fields.append(field)
    if not parts:
        return
    rows: Any = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    options: list[list[tuple[Any, Any]]] = [[] for _field in fields]
    for select, _position, pk, name in sorted(rows, key=lambda row: (row[0], row[1])):
        field = fields[select]
        queryset = field.queryset
        obj = queryset.model.from_db(
            queryset.db, [queryset.model._meta.pk.attname, "name"], [pk, name]
        )
        value = ModelChoiceIteratorValue(field.prepare_value(obj), obj)
        options[select].append((value, field.label_from_instance(obj)))
    for field, choices in zip(fields, options, strict=True):
        if field.empty_label is not None:
            choices.insert(0, ("", field.empty_label))
        field.widget.choices = choices


# --------------------------------------------------------------------------------------
# Export


def _label(name: str) -> Any:
    field: Any = Incident._meta.get_field(name)
    return capfirst(field.verbose_name)


def _name(obj: Any) -> str | None:
    return None if obj is None else str(obj)


EXPORT_COLUMNS = (
    Column(_label("number"), lambda i: i.number),
    Column(_label("title"), lambda i: i.title),
    Column(_label("kind"), lambda i: i.get_kind_display()),
    Column(_label("status"), lambda i: i.get_status_display()),
    Column(_label("priority"), lambda i: i.get_priority_display()),
    Column(_label("requester"), lambda i: _name(i.requester)),
    Column(_label("department"), lambda i: _name(i.department)),
    Column(_label("service"), lambda i: _name(i.service)),
    Column(_label("assignment_group"), lambda i: _name(i.assignment_group)),
    Column(_label("assignee"), lambda i: _name(i.assignee)),
    Column(_label("reported_at"), lambda i: i.reported_at),
    Column(_label("resolution_due_at"), lambda i: i.resolution_due_at),
    # Last, so that the columns spreadsheets already read keep their places.
    Column(_label("category"), lambda i: _name(i.category)),
)


# --------------------------------------------------------------------------------------
# Queues


class IncidentListView(ObjectListView):
    """The queues: mine, my groups, unassigned, all I can see — open incidents by default,
    most urgent and oldest first."""

    model = Incident
    permission = "incidents.work_incident"
    filterset_class = IncidentFilterSet
    template_name = "incidents/incident_list.html"
    partial_template_name = "incidents/_incident_table.html"
    select_related = (
        "requester",
        "department",
        "service",
        "category__parent",
        "assignment_group",
        "assignee",
    )
    sort_fields = {
        "priority": ("priority", "reported_at"),
        "number": ("number",),
        "title": ("title",),
        "status": ("status", "priority"),
        "reported": ("reported_at",),
        "updated": ("updated_at",),
        "group": ("assignment_group__name", "priority"),
        "assignee": ("assignee__username", "priority"),
        "due": ("resolution_due_at", "priority"),
    }
    default_sort = "priority"
    export_columns = EXPORT_COLUMNS
    export_name = "incidents"

    def get_ordering(self, sort: str) -> list[Any]:
        """By due time: the soonest first, incidents without a running clock (paused, no
        SLA) last, whichever database sorts."""
        if sort.lstrip("-") != "due":
            return super().get_ordering(sort)
        due = F("resolution_due_at")
        first = due.desc(nulls_last=True) if sort.startswith("-") else due.asc(nulls_last=True)
        return [first, "priority", "pk"]

    def default_queue(self) -> str:
        user: Any = self.request.user
        return IncidentQueue.MY_GROUPS if user.group_ids() else IncidentQueue.ALL

    def get_filter_data(self) -> QueryDict:
        data = self.request.GET.copy()
        if not data.get("queue"):
            # A search without a chosen tab looks through everything the user can see.
            data["queue"] = IncidentQueue.ALL if data.get("q") else self.default_queue()
        if "open" not in data and "status" not in data and not data.get("q"):
            data["open"] = "true"
        return data

    def get_context_data(self, **context: Any) -> dict[str, Any]:
        data = context["filter_data"]
        context.update(
            queues=IncidentQueue.choices,
            queue=data.get("queue"),
            open_value=data.get("open", "unknown"),
            nav="queues",
            rows=queue_rows(context["object_list"]),
        )
        if not self.wants_partial():
            read_options_together(context["filterset"].form)
        return context

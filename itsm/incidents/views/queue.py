"""The queues: mine, my groups, unassigned, all I can see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.translation import gettext

from itsm.core.choices import TicketPriority
from itsm.core.templatetags.itsm import priority_badge_html, status_badge_html
from itsm.core.views import ObjectListView
from itsm.incidents.choices import IncidentKind, IncidentStatus
from itsm.incidents.filters import IncidentFilterSet, IncidentQueue
from itsm.incidents.models import Incident

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
            )
        )
    return rows


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
    select_related = ("requester", "department", "service", "assignment_group", "assignee")
    sort_fields = {
        "priority": ("priority", "reported_at"),
        "number": ("number",),
        "title": ("title",),
        "status": ("status", "priority"),
        "reported": ("reported_at",),
        "updated": ("updated_at",),
        "group": ("assignment_group__name", "priority"),
        "assignee": ("assignee__username", "priority"),
    }
    default_sort = "priority"

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
        return context

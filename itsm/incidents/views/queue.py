"""The queues: mine, my groups, unassigned, all I can see."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from itsm.core.views import ObjectListView
from itsm.incidents.filters import IncidentFilterSet, IncidentQueue
from itsm.incidents.models import Incident

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
        )
        return context

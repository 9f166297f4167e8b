"""Incident pages for IT staff: the desk console, the queues, the incident page with its
timeline and the actions this user may take, the edit page. Each view fetches through
`visible_to` (404) and calls a verb of `services.py`; no rule is written here."""

from itsm.incidents.views.console import (
    IncidentCreateView,
    IncidentEditView,
    PriorityPreviewView,
    RequesterLookupView,
)
from itsm.incidents.views.page import (
    IncidentCommentView,
    IncidentDetailView,
    IncidentLinkView,
    IncidentMajorView,
    IncidentParentView,
    TimelineItem,
    get_incident_for_user,
    timeline_items,
)
from itsm.incidents.views.queue import IncidentListView
from itsm.incidents.views.transitions import GroupMembersView, IncidentTransitionView

__all__ = [
    "GroupMembersView",
    "IncidentCommentView",
    "IncidentCreateView",
    "IncidentDetailView",
    "IncidentEditView",
    "IncidentLinkView",
    "IncidentListView",
    "IncidentMajorView",
    "IncidentParentView",
    "IncidentTransitionView",
    "PriorityPreviewView",
    "RequesterLookupView",
    "TimelineItem",
    "get_incident_for_user",
    "timeline_items",
]

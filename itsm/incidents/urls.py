from django.urls import URLPattern, path

from itsm.incidents import views
from itsm.incidents.views.console import CiIncidentsView
from itsm.incidents.views.knowledge import IncidentToKnowledgeView
from itsm.incidents.views.page import IncidentImpactView

app_name = "incidents"
urlpatterns: list[URLPattern] = [
    path("", views.IncidentListView.as_view(), name="incident_list"),
    path("new/", views.IncidentCreateView.as_view(), name="incident_create"),
    path("<int:pk>/", views.IncidentDetailView.as_view(), name="incident_detail"),
    path("<int:pk>/edit/", views.IncidentEditView.as_view(), name="incident_edit"),
    path(
        "<int:pk>/transitions/<slug:name>/",
        views.IncidentTransitionView.as_view(),
        name="incident_transition",
    ),
    path("<int:pk>/comment/", views.IncidentCommentView.as_view(), name="incident_comment"),
    path("<int:pk>/major/", views.IncidentMajorView.as_view(), name="incident_major"),
    path("<int:pk>/link/", views.IncidentLinkView.as_view(), name="incident_link"),
    path("<int:pk>/impact/", IncidentImpactView.as_view(), name="incident_impact"),
    path("<int:pk>/parent/", views.IncidentParentView.as_view(), name="incident_parent"),
    path("<int:pk>/knowledge/", IncidentToKnowledgeView.as_view(), name="incident_knowledge"),
    path("requesters/", views.RequesterLookupView.as_view(), name="requester_lookup"),
    path("ci-incidents/", CiIncidentsView.as_view(), name="ci_incidents"),
    path("priority/", views.PriorityPreviewView.as_view(), name="priority_preview"),
    path("group-members/", views.GroupMembersView.as_view(), name="group_members"),
]

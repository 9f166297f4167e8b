from django.urls import URLPattern, path

from itsm.problems import views

app_name = "problems"
urlpatterns: list[URLPattern] = [
    path("", views.ProblemListView.as_view(), name="problem_list"),
    path("new/", views.ProblemEditView.as_view(), name="problem_create"),
    path("<int:pk>/", views.ProblemDetailView.as_view(), name="problem_detail"),
    path("<int:pk>/edit/", views.ProblemEditView.as_view(), name="problem_edit"),
    path(
        "<int:pk>/transitions/<slug:name>/",
        views.ProblemTransitionView.as_view(),
        name="problem_transition",
    ),
    path("<int:pk>/link/", views.ProblemLinkView.as_view(), name="problem_link"),
    path(
        "<int:pk>/unlink/<int:incident>/",
        views.ProblemUnlinkView.as_view(),
        name="problem_unlink",
    ),
    path("<int:pk>/publish/", views.PublishKnownErrorView.as_view(), name="publish_known_error"),
    path(
        "<int:pk>/link-incident/<int:incident>/",
        views.LinkToKnownErrorView.as_view(),
        name="link_known_error",
    ),
    path(
        "for-incident/<int:pk>/",
        views.IncidentKnownErrorsView.as_view(),
        name="incident_known_errors",
    ),
    path("proposed/", views.ProposalListView.as_view(), name="proposal_list"),
    path(
        "proposed/<int:pk>/<slug:decision>/",
        views.ProposalDecisionView.as_view(),
        name="proposal_decide",
    ),
]

from django.urls import URLPattern, path

from itsm.releases import views

app_name = "releases"
urlpatterns: list[URLPattern] = [
    path("", views.ReleaseListView.as_view(), name="release_list"),
    path("new/", views.ReleaseEditView.as_view(), name="release_create"),
    path("<int:pk>/", views.ReleaseDetailView.as_view(), name="release_detail"),
    path("<int:pk>/edit/", views.ReleaseEditView.as_view(), name="release_edit"),
    path(
        "<int:pk>/transitions/<slug:name>/",
        views.ReleaseTransitionView.as_view(),
        name="release_transition",
    ),
    path("<int:pk>/deploy/", views.DeploymentCreateView.as_view(), name="deployment_create"),
    path("deployments/", views.DeploymentListView.as_view(), name="deployment_list"),
    path(
        "deployments/<int:pk>/rollback/",
        views.DeploymentRollbackView.as_view(),
        name="deployment_rollback",
    ),
]

from django.urls import URLPattern, path

from itsm.changes import calendar_views, views

app_name = "changes"
urlpatterns: list[URLPattern] = [
    path("", views.ChangeListView.as_view(), name="change_list"),
    path("new/", views.ChangeEditView.as_view(), name="change_create"),
    path("new/standard/", views.FromTemplateView.as_view(), name="change_from_template"),
    path("templates/", views.TemplateListView.as_view(), name="template_list"),
    path("report/", views.ChangeReportView.as_view(), name="report"),
    path("calendar/", calendar_views.ChangeCalendarView.as_view(), name="calendar"),
    path("calendar.ics", calendar_views.CalendarFeedView.as_view(), name="calendar_feed"),
    path("blackouts/", calendar_views.BlackoutListView.as_view(), name="blackout_list"),
    path("blackouts/new/", calendar_views.BlackoutEditView.as_view(), name="blackout_create"),
    path("blackouts/<int:pk>/", calendar_views.BlackoutEditView.as_view(), name="blackout_detail"),
    path("<int:pk>/", views.ChangeDetailView.as_view(), name="change_detail"),
    path("<int:pk>/edit/", views.ChangeEditView.as_view(), name="change_edit"),
    path(
        "<int:pk>/transitions/<slug:name>/",
        views.ChangeTransitionView.as_view(),
        name="change_transition",
    ),
    path("<int:pk>/decide/", views.DecisionView.as_view(), name="change_decide"),
    path("<int:pk>/risk/", views.RiskView.as_view(), name="change_risk"),
    path("<int:pk>/cmdb-updates/", views.CmdbUpdateAddView.as_view(), name="cmdb_update_add"),
    path(
        "<int:pk>/cmdb-updates/<int:update>/remove/",
        views.CmdbUpdateRemoveView.as_view(),
        name="cmdb_update_remove",
    ),
    path("ci/<int:ci>/open/", views.CiOpenChangesView.as_view(), name="ci_open_changes"),
    path(
        "incident/<int:pk>/open/",
        views.IncidentOpenChangesView.as_view(),
        name="incident_open_changes",
    ),
    path("<int:pk>/tasks/", views.TaskAddView.as_view(), name="task_add"),
    path("<int:pk>/tasks/<int:task>/finish/", views.TaskFinishView.as_view(), name="task_finish"),
    path(
        "<int:pk>/link/<str:kind>/",
        views.LinkView.as_view(),
        name="change_link",
    ),
    path(
        "<int:pk>/unlink/<str:kind>/<int:other>/",
        views.UnlinkView.as_view(),
        name="change_unlink",
    ),
]

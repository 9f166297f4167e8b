from django.urls import URLPattern, path

from itsm.portal import views

app_name = "portal"
urlpatterns: list[URLPattern] = [
    path("", views.PortalHomeView.as_view(), name="home"),
    path("report/", views.PortalReportView.as_view(), name="incident_create"),
    path("report/suggest/", views.PortalArticleSuggestView.as_view(), name="article_suggest"),
    path("incidents/<int:pk>/", views.PortalIncidentView.as_view(), name="incident_detail"),
    path("incidents/<int:pk>/reply/", views.PortalReplyView.as_view(), name="incident_reply"),
    path(
        "incidents/<int:pk>/<slug:name>/",
        views.PortalTransitionView.as_view(),
        name="incident_transition",
    ),
]

from django.urls import URLPattern, path, re_path

from itsm.reports import views

app_name = "reports"
urlpatterns: list[URLPattern] = [
    path("sla/", views.SlaComplianceView.as_view(), name="sla_compliance"),
    path("sla/breached/", views.SlaBreachedView.as_view(), name="sla_breached"),
    re_path(r"^sla/export\.(?P<fmt>csv|xlsx)$", views.SlaExportView.as_view(), name="sla_export"),
    path("first-contact/", views.FirstContactView.as_view(), name="first_contact"),
    re_path(
        r"^first-contact/export\.(?P<fmt>csv|xlsx)$",
        views.FirstContactExportView.as_view(),
        name="first_contact_export",
    ),
]

from django.urls import URLPattern, path

from itsm.sla import views

app_name = "sla"
urlpatterns: list[URLPattern] = [
    path("services/", views.ServiceListView.as_view(), name="service_list"),
    path("services/<int:pk>/", views.ServiceDetailView.as_view(), name="service_detail"),
    path("agreements/", views.AgreementListView.as_view(), name="agreement_list"),
    path("agreements/new/", views.AgreementEditView.as_view(), name="agreement_create"),
    path("agreements/<int:pk>/", views.AgreementDetailView.as_view(), name="agreement_detail"),
    path("agreements/<int:pk>/edit/", views.AgreementEditView.as_view(), name="agreement_edit"),
    path("calendars/", views.CalendarListView.as_view(), name="calendar_list"),
    path("calendars/new/", views.CalendarEditView.as_view(), name="calendar_create"),
    path("calendars/<int:pk>/", views.CalendarDetailView.as_view(), name="calendar_detail"),
    path("calendars/<int:pk>/edit/", views.CalendarEditView.as_view(), name="calendar_edit"),
    path("calendars/<int:pk>/days/", views.CalendarDayView.as_view(), name="calendar_day_add"),
    path(
        "calendars/<int:pk>/days/<int:day>/remove/",
        views.CalendarDayView.as_view(),
        name="calendar_day_remove",
    ),
    path("calendars/<int:pk>/import/", views.DaysImportView.as_view(), name="calendar_import"),
    path("statutory-days/", views.StatutoryDayListView.as_view(), name="statutory_days"),
    path("statutory-days/import/", views.DaysImportView.as_view(), name="statutory_import"),
    path("duty/", views.DutyShiftListView.as_view(), name="duty_list"),
    path("duty/new/", views.DutyShiftEditView.as_view(), name="duty_create"),
    path("duty/<int:pk>/edit/", views.DutyShiftEditView.as_view(), name="duty_edit"),
    path("duty/<int:pk>/delete/", views.DutyShiftDeleteView.as_view(), name="duty_delete"),
]

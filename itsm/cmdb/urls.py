from django.urls import URLPattern, path

from itsm.cmdb import views

app_name = "cmdb"
urlpatterns: list[URLPattern] = [
    path("labels/", views.LabelSheetView.as_view(), name="labels"),
]

from django.urls import URLPattern, path

from itsm.cmdb import graph_views, import_views, pages, views

app_name = "cmdb"
urlpatterns: list[URLPattern] = [
    path("labels/", views.LabelSheetView.as_view(), name="labels"),
    path("cis/<int:pk>/graph/", graph_views.ImpactGraphView.as_view(), name="ci_graph"),
    path("cis/", pages.ConfigurationItemListView.as_view(), name="ci_list"),
    path("cis/new/", pages.ConfigurationItemCreateView.as_view(), name="ci_create"),
    path("cis/<int:pk>/", pages.ConfigurationItemDetailView.as_view(), name="ci_detail"),
    path("cis/<int:pk>/edit/", pages.ConfigurationItemEditView.as_view(), name="ci_edit"),
    path("cis/<int:pk>/relate/", pages.RelateView.as_view(), name="ci_relate"),
    path(
        "cis/<int:pk>/relationships/<int:relationship>/remove/",
        pages.UnrelateView.as_view(),
        name="ci_unrelate",
    ),
    path(
        "cis/attribute-fields/",
        pages.AttributeFieldsView.as_view(),
        name="ci_attribute_fields",
    ),
    path("cis/lookup/", pages.ItemLookupView.as_view(), name="ci_lookup"),
    path("import/", import_views.ImportView.as_view(), name="import"),
    path("import/template.xlsx", import_views.ImportTemplateView.as_view(), name="import_template"),
    path("import/<str:job>/", import_views.ImportJobView.as_view(), name="import_job"),
    path(
        "import/<str:job>/confirm/", import_views.ImportConfirmView.as_view(), name="import_confirm"
    ),
]

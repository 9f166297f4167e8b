from django.urls import URLPattern, path

from itsm.core.views.search import SearchSuggestView, SearchView

app_name = "search"
urlpatterns: list[URLPattern] = [
    path("", SearchView.as_view(), name="search"),
    path("suggest/", SearchSuggestView.as_view(), name="suggest"),
]

from django.urls import URLPattern, path

from itsm.knowledge import views

app_name = "knowledge"
urlpatterns: list[URLPattern] = [
    path("", views.ArticleListView.as_view(), name="article_list"),
    path("new/", views.ArticleEditView.as_view(), name="article_create"),
    path("<int:pk>/", views.ArticleDetailView.as_view(), name="article_detail"),
    path("<int:pk>/edit/", views.ArticleEditView.as_view(), name="article_edit"),
    path(
        "<int:pk>/transitions/<slug:name>/",
        views.ArticleTransitionView.as_view(),
        name="article_transition",
    ),
    path("<int:pk>/vote/", views.ArticleVoteView.as_view(), name="article_vote"),
    path("<int:pk>/compare/", views.ArticleCompareView.as_view(), name="article_compare"),
]

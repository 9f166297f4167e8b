"""A signed-in user's own account: password, second factor, API tokens, sessions."""

from django.urls import path  # noqa: F401

app_name = "accounts"

urlpatterns: list = []

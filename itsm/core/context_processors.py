"""What every page's frame shows: the bell's unread count (counted only when a template
actually shows it, so HTMX partials cost no query)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest

from itsm.core.models import Notification


class UnreadNotifications:
    def __init__(self, user: Any) -> None:
        self.user = user

    @cached_property
    def count(self) -> int:
        return Notification.objects.filter(recipient=self.user, read_at__isnull=True).count()


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": UnreadNotifications(user)}

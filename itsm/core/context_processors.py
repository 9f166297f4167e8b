"""What every page's frame shows: the bell's unread count (counted only when a template
actually shows it, so HTMX partials cost no query)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db import connection
from django.http import HttpRequest

from itsm.core.models import Notification


class UnreadNotifications:
    def __init__(self, user: Any) -> None:
        self.user = user

    @cached_property
    def count(self) -> int:
        """The unread notifications, in one plain statement: the ORM's count() spends
        about half a millisecond of CPU building the same SQL, on every page."""
        meta = Notification._meta
        quote = connection.ops.quote_name
        sql = "SELECT COUNT(*) FROM %s WHERE %s = %%s AND %s IS NULL" % (
            quote(meta.db_table),
            quote(str(meta.get_field("recipient").column)),
            quote(str(meta.get_field("read_at").column)),
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.user.pk])
            row = cursor.fetchone()
        return int(row[0])


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": UnreadNotifications(user)}

"""The authentication backend: Django's ModelBackend, reading the signed-in user with his
department and his unread notification count in one query."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from itsm.accounts.models import User
from itsm.core.models import Notification


class UserBackend(ModelBackend):
    """ModelBackend whose `get_user` (run on every request with a session) joins the
    user's department and counts his unread notifications: every page's navbar shows both,
    which otherwise costs two queries per page. Sign-in, permissions and inactive users are
    ModelBackend's, unchanged (the permissions are read in one query by `User` itself)."""

    def get_user(self, user_id: Any) -> User | None:
        unread = (
            Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
            .order_by()
            .values("recipient")
            .annotate(count=Count("pk"))
            .values("count")
        )
        try:
            user = (
                User._default_manager.select_related("department")
                .annotate(unread_notification_count=Coalesce(Subquery(unread), 0))
                .get(pk=user_id)
            )
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

"""The authentication backend: Django's ModelBackend, reading the signed-in user with his
department in one query."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from itsm.accounts.models import User


class UserBackend(ModelBackend):
    """ModelBackend whose `get_user` (run on every request with a session) joins the
    user's department: every page's navbar names it, which otherwise costs one query per
    page. Sign-in, permissions and inactive users are ModelBackend's, unchanged (the
    permissions are read in one query by `User` itself)."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User._default_manager.select_related("department").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

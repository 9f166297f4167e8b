"""The authentication backend: Django's ModelBackend, reading the signed-in user with his
department in one query, and refusing accounts past their expiry date."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from itsm.accounts.models import User


class UserBackend(ModelBackend):
    """ModelBackend whose `get_user` (run on every request with a session) joins the
    user's department: every page's navbar names it, which otherwise costs one query per
    page. Sign-in, permissions and inactive users are ModelBackend's (the permissions are
    read in one query by `User` itself); an account past its expiry date (`expires_on`, a
    vendor engineer's contract has ended) is refused like an inactive one, from the next
    day on, also in a session that was signed in before."""

    def user_can_authenticate(self, user: Any) -> bool:
        expires_on = getattr(user, "expires_on", None)
        if expires_on is not None and expires_on < timezone.localdate():
            return False
        return super().user_can_authenticate(user)

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User._default_manager.select_related("department").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

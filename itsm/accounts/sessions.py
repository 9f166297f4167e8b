"""Sessions end after ITSM_SESSION_IDLE_MINUTES without a request (and, whatever the
activity, SESSION_COOKIE_AGE after sign-in); a user can end all his sessions at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.db.models import F
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext_lazy as _
from django_htmx.http import HttpResponseClientRedirect

from itsm.accounts.models import User
from itsm.core.services import write_audit

# Session keys: when the user signed in and when he was last seen (Unix seconds).
SIGNED_IN_AT = "itsm_signed_in_at"
LAST_SEEN = "itsm_last_seen"
# The last-seen time is written back at most this often, so that a page's burst of
# requests (HTMX partials, the notification poll) does not write the session each time.
WRITE_EVERY_SECONDS = 60


@receiver(user_logged_in, dispatch_uid="itsm.accounts.sessions.start_clock")
def start_clock(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """A new session starts both clocks (and so needs no write on its first request)."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SIGNED_IN_AT] = now
        request.session[LAST_SEEN] = now


def session_expired(session: Any, now: float) -> bool:
    """Idle too long, or signed in longer than the absolute limit. A session without the
    clocks (made before they existed) has not expired: this request starts them."""
    last_seen = session.get(LAST_SEEN)
    signed_in_at = session.get(SIGNED_IN_AT)
    idle_limit = settings.ITSM_SESSION_IDLE_MINUTES * 60
    return bool(
        (idle_limit and last_seen is not None and now - last_seen > idle_limit)
        or (signed_in_at is not None and now - signed_in_at > settings.SESSION_COOKIE_AGE)
    )


def timed_out_response(request: HttpRequest) -> HttpResponseBase | None:
    """Where a timed-out request goes: pages to the sign-in page (then back), HTMX requests
    the same way through HX-Redirect; API requests carry on anonymous, and get a 401."""
    if request.path.startswith("/api/"):
        return None
    messages.warning(request, _("Your session timed out. Please sign in again."))
    if request.headers.get("HX-Request") == "true":
        path = request.headers.get("HX-Current-URL") or request.get_full_path()
        return HttpResponseClientRedirect(redirect_to_login(path).url)
    return redirect_to_login(request.get_full_path())


class IdleTimeoutMiddleware:
    """Ends the session of a user idle longer than ITSM_SESSION_IDLE_MINUTES. Place it
    after the authentication and message middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        session = getattr(request, "session", None)
        # Signed in is read from the session alone: no query for the user.
        if session is not None and SESSION_KEY in session:
            now = time.time()
            if session_expired(session, now):
                logout(request)
                response = timed_out_response(request)
                if response is not None:
                    return response
            else:
                if now - session.get(LAST_SEEN, 0) >= WRITE_EVERY_SECONDS:
                    session[LAST_SEEN] = int(now)
                session.setdefault(SIGNED_IN_AT, int(now))
        return self.get_response(request)


@transaction.atomic
def end_all_sessions(user: User, *, actor: Any) -> None:
    """Sign the user out everywhere: raising his session epoch changes the hash every
    session of his carries, so each fails at its next request, whatever the session
    backend. API tokens are not touched (they are revoked one by one)."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    write_audit(user, actor=actor, action="session:end_all")

"""The password policy on every request: a signed-in user who must change his password
(an administrator set it, or it has expired) can do nothing else until he has."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_htmx.http import HttpResponseClientRedirect

from itsm.accounts.passwords import must_change_password


def exempt(request: HttpRequest) -> bool:
    """What such a user may still open: static files, signing out, the language switch,
    the password page itself and the second-factor pages (MfaMiddleware, before this one,
    may send him there first)."""
    allowed = (
        settings.STATIC_URL or "/static/",
        reverse("logout"),
        reverse("user_language"),
        reverse("accounts:password_change"),
        reverse("accounts:mfa"),
        reverse("accounts:mfa_verify"),
        "/favicon.ico",
    )
    return request.path.startswith(allowed)


class PasswordPolicyMiddleware:
    """Sends pages to the password page (then back where the user was going); API requests
    on such a session get a 403 saying why. Place it after AuthenticationMiddleware.
    Token-signed API requests are not seen here (DRF signs them in inside the view)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user: Any = request.user
        if user.is_authenticated and must_change_password(user) and not exempt(request):
            return self.refuse(request, user)
        return self.get_response(request)

    def refuse(self, request: HttpRequest, user: Any) -> HttpResponseBase:
        if request.path.startswith("/api/"):
            reason = (
                _("An administrator has set your password: choose your own before going on.")
                if user.must_change_password
                else _("Your password has expired: choose a new one before going on.")
            )
            return JsonResponse({"detail": str(reason)}, status=403)
        # The page itself says why (set by an administrator, or expired).
        url = reverse("accounts:password_change")
        if request.method == "GET" and request.path != reverse("home"):
            url = "%s?%s" % (url, urlencode({"next": request.get_full_path()}))
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)

"""The second factor: a TOTP authenticator app (django-otp). A user with a confirmed device
enters a code after his password before any page opens; with ITSM_MFA_REQUIRED, an
administrator without one is sent to enrol first. Wrong codes are audited, and the fifth in
one session ends it."""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from typing import Any

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout, update_session_auth_hash
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models import F
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django_htmx.http import HttpResponseClientRedirect
from django_otp.plugins.otp_totp.models import TOTPDevice

from itsm.accounts.choices import Role
from itsm.accounts.models import User
from itsm.core.services import write_audit

# Session keys: what the session still owes ("verify": a code; "enrol": a device; "":
# nothing), and how many wrong codes it has sent.
MFA_STATE = "itsm_mfa"
FAILURES = "itsm_mfa_failures"
VERIFY = "verify"
ENROL = "enrol"
MAX_FAILURES = 5
# The roles ITSM_MFA_REQUIRED applies to.
MFA_ROLES: tuple[str, ...] = (Role.ADMIN, Role.SECURITY_ADMIN)


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def mfa_required_for(user: Any) -> bool:
    """ITSM_MFA_REQUIRED applies to administrators (system and security)."""
    return bool(settings.ITSM_MFA_REQUIRED) and user.has_role(*MFA_ROLES)


def mfa_state(user: Any) -> str:
    if confirmed_device(user) is not None:
        return VERIFY
    return ENROL if mfa_required_for(user) else ""


@receiver(user_logged_in, dispatch_uid="itsm.accounts.mfa.note_state")
def note_state(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Read once, at sign-in, what the session owes, so that later requests need no query."""
    if request is not None and hasattr(request, "session"):
        request.session[MFA_STATE] = mfa_state(user)
        request.session.pop(FAILURES, None)


def otpauth_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code (made here: the secret
    never leaves the server)."""
    svg: str = segno.make(device.config_url, error="m").svg_inline(
        scale=4, border=2, dark="#212529", light="#ffffff"
    )
    return svg


def grouped_secret(device: TOTPDevice) -> str:
    """The key in base 32, in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed device enrolment shows, made on first visit and kept until
    confirmed, so that reloading the page does not change the QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)
    return device


def check_code(device: TOTPDevice, code: str) -> bool:
    """Whether the code is right for the device, under its row lock (django-otp's replay
    and throttling rules). Spaces are ignored."""
    code = "".join(code.split())
    if not code.isdigit():
        device.throttle_increment()
        return False
    return django_otp.verify_token(device.user, device.persistent_id, code) is not None


def throttled(device: TOTPDevice) -> bool:
    """django-otp's own back-off after a wrong code (1, 2, 4 … seconds): a code sent too
    soon is not checked, and does not count as wrong."""
    allowed, _info = device.verify_is_allowed()
    return not allowed


def record_failure(user: Any, *, where: str) -> None:
    write_audit(user, actor=user, action="mfa:failed", note=where)


@transaction.atomic
def confirm_device(request: HttpRequest, device: TOTPDevice) -> None:
    """Enrolment done: the device is confirmed, this session counts as verified, and the
    user's other sessions, signed in without the second factor, end."""
    user: Any = request.user
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    update_session_auth_hash(request, user)
    django_otp.login(request, device)
    request.session[MFA_STATE] = VERIFY
    write_audit(user, actor=user, action="mfa:enable")


@transaction.atomic
def remove_devices(request: HttpRequest) -> None:
    user: Any = request.user
    TOTPDevice.objects.filter(user=user).delete()
    request.session[MFA_STATE] = ENROL if mfa_required_for(user) else ""
    write_audit(user, actor=user, action="mfa:disable")


def verified(request: HttpRequest) -> None:
    """A right code at sign-in."""
    user: Any = request.user
    request.session.pop(FAILURES, None)
    write_audit(user, actor=user, action="mfa:verify")


def count_failure(request: HttpRequest) -> bool:
    """Audit a wrong code; True when it was one too many and the session has ended."""
    user: Any = request.user
    record_failure(user, where="session")
    failures = int(request.session.get(FAILURES, 0)) + 1
    request.session[FAILURES] = failures
    if failures < MAX_FAILURES:
        return False
    write_audit(user, actor=user, action="mfa:too_many_failures")
    logout(request)
    return True


def exempt(request: HttpRequest, state: str) -> bool:
    """What an unverified session may still open: static files, signing out, the language
    switch and the page that settles what it owes."""
    path = request.path
    allowed = [
        settings.STATIC_URL or "/static/",
        reverse("logout"),
        reverse("user_language"),
        reverse("set_language"),
        "/favicon.ico",
    ]
    allowed.append(reverse("accounts:mfa_verify" if state == VERIFY else "accounts:mfa"))
    return any(path.startswith(prefix) for prefix in allowed)


class MfaMiddleware:
    """Sends a signed-in session that owes a second factor to the page that settles it
    (API requests on that session get a 403). Place it after OTPMiddleware; token-signed
    API requests are not sessions and pass (the token was issued against a code)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            user: Any = request.user
            state = session.get(MFA_STATE)
            if state is None and user.is_authenticated:  # a session from before this
                state = session[MFA_STATE] = mfa_state(user)
            if state == ENROL and not settings.ITSM_MFA_REQUIRED:
                state = ""
            owes = (state == VERIFY and not user.is_verified()) or state == ENROL
            # A session whose user is gone (signed out everywhere) is anonymous: it passes.
            if owes and user.is_authenticated and not exempt(request, state):
                return self.refuse(request, state)
        return self.get_response(request)

    def refuse(self, request: HttpRequest, state: str) -> HttpResponseBase:
        if request.path.startswith("/api/"):
            message = (
                _("Enter your second-factor code on the sign-in page first.")
                if state == VERIFY
                else _("Set up a second factor first: administrators must have one.")
            )
            return JsonResponse({"detail": str(message)}, status=403)
        htmx = request.headers.get("HX-Request") == "true"
        if state == VERIFY:
            back = (htmx and request.headers.get("HX-Current-URL")) or request.get_full_path()
            url = "%s?%s" % (reverse("accounts:mfa_verify"), urlencode({"next": back}))
        else:
            messages.warning(
                request, _("Administrators must set up a second factor before going on.")
            )
            url = reverse("accounts:mfa")
        if htmx:
            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)

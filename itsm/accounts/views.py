"""A signed-in user's own security pages: the overview (`/account/`), API tokens, the
second factor (enrol, disable, and the code asked after the password), and signing out
everywhere. Every page is about the user himself, so none needs a permission."""

from __future__ import annotations

from typing import Any

import django_otp
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.validators import MaxValueValidator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from itsm.accounts import mfa
from itsm.accounts.models import ApiToken
from itsm.accounts.sessions import end_all_sessions
from itsm.accounts.tokens import create_token, revoke_token, token_state
from itsm.core.views.generic import ItsmView

# Forms live here while they are this small (house style: forms.py once there are more).


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. the monitoring system."),
    )
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = settings.ITSM_API_TOKEN_DAYS
        days: Any = self.fields["days"]
        days.initial = limit or 365
        if limit:  # 0: tokens may live as long as their owner wants
            days.validators.append(MaxValueValidator(limit))
            days.widget.attrs["max"] = limit
            days.help_text = _("At most %(days)s days.") % {"days": limit}


class CodeForm(forms.Form):
    otp = forms.CharField(
        label=_("Verification code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=_("The 6-digit code your authenticator app shows now."),
    )


def safe_next(request: HttpRequest, fallback: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(fallback)


class SecurityView(ItsmView):
    """The user's security at a glance, with a way to each setting."""

    template_name = "accounts/security.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        tokens = [t for t in ApiToken.objects.filter(user_id=user.pk) if token_state(t) == "active"]
        return self.render(
            {
                "mfa_device": mfa.confirmed_device(user),
                "mfa_required": mfa.mfa_required_for(user),
                "active_tokens": len(tokens),
                "idle_minutes": settings.ITSM_SESSION_IDLE_MINUTES,
                "session_hours": round(settings.SESSION_COOKIE_AGE / 3600, 1),
            }
        )


class SignOutEverywhereView(ItsmView):
    """Ends every session of the user, this one included (POST)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        end_all_sessions(user, actor=user)
        logout(request)
        messages.success(request, _("You have been signed out everywhere."))
        return redirect("login")


class TokenListView(ItsmView):
    """The user's API tokens; a new token's key is shown on the answer to its creation
    and never again."""

    template_name = "accounts/tokens.html"

    def context(self, form: TokenForm, **extra: Any) -> dict[str, Any]:
        user: Any = self.request.user
        rows = [(token, token_state(token)) for token in ApiToken.objects.filter(user=user)]
        return {"rows": rows, "form": form, **extra}

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(self.context(TokenForm()))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TokenForm(request.POST)
        if not form.is_valid():
            return self.render(self.context(form), status=400)
        user: Any = request.user
        token, key = create_token(
            user,
            actor=user,
            name=form.cleaned_data["name"],
            days=form.cleaned_data["days"],
        )
        return self.render(self.context(TokenForm(), new_token=token, new_key=key))


class TokenRevokeView(ItsmView):
    """Revokes one of the user's own tokens (POST); another user's is 404."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        token = get_object_or_404(ApiToken, pk=pk, user=request.user)
        revoke_token(token, actor=request.user)
        messages.success(
            request, _("The token %(prefix)s… was revoked.") % {"prefix": token.prefix}
        )
        return redirect("accounts:tokens")


class MfaView(ItsmView):
    """Enrolment (scan the QR code, confirm with a code) or, once enrolled, the state and
    a way to turn the second factor off (with a code, and not where it is required)."""

    template_name = "accounts/mfa.html"

    def context(self, form: CodeForm) -> dict[str, Any]:
        user: Any = self.request.user
        device = mfa.confirmed_device(user)
        if device is not None:
            return {"device": device, "form": form, "required": mfa.mfa_required_for(user)}
        pending = mfa.pending_device(user)
        return {
            "pending": pending,
            "qr_svg": mfa.otpauth_svg(pending),
            "secret": mfa.grouped_secret(pending),
            "form": form,
            "required": mfa.mfa_required_for(user),
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(self.context(CodeForm()))

    def post(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        form = CodeForm(request.POST)
        device = mfa.confirmed_device(user)
        if device is not None and mfa.mfa_required_for(user):
            form.is_valid()
            form.add_error(None, _("Administrators must keep a second factor."))
            return self.render(self.context(form), status=400)
        target = device or mfa.pending_device(user)
        if form.is_valid():
            if mfa.throttled(target):
                form.add_error("otp", _("Too many wrong codes: wait a few seconds and retry."))
            elif mfa.check_code(target, form.cleaned_data["otp"]):
                if device is None:
                    mfa.confirm_device(request, target)
                    messages.success(request, _("Two-step sign-in is on."))
                else:
                    mfa.remove_devices(request)
                    messages.success(request, _("Two-step sign-in is off."))
                return redirect("accounts:mfa")
            else:
                mfa.record_failure(user, where="enrolment" if device is None else "disable")
                form.add_error("otp", _("The code is wrong or has expired."))
        return self.render(self.context(form), status=400)


class MfaVerifyView(ItsmView):
    """The code asked after the password, for a user with a confirmed device. Five wrong
    codes end the session."""

    template_name = "accounts/mfa_verify.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user: Any = request.user
        if user.is_authenticated and (user.is_verified() or not mfa.confirmed_device(user)):
            # Nothing owed (already verified, or the device was removed meanwhile).
            if not user.is_verified():
                request.session[mfa.MFA_STATE] = mfa.mfa_state(user)
            return redirect(safe_next(request))
        return super().dispatch(request, *args, **kwargs)

    def context(self, form: CodeForm) -> dict[str, Any]:
        return {"form": form, "next": safe_next(self.request)}

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(self.context(CodeForm()))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CodeForm(request.POST)
        device = mfa.confirmed_device(request.user)
        if device is None:  # removed since dispatch looked
            return redirect(safe_next(request))
        if form.is_valid():
            if mfa.throttled(device):
                form.add_error("otp", _("Too many wrong codes: wait a few seconds and retry."))
            elif mfa.check_code(device, form.cleaned_data["otp"]):
                django_otp.login(request, device)
                mfa.verified(request)
                return redirect(safe_next(request))
            else:
                next_url = safe_next(request)
                if mfa.count_failure(request):
                    messages.error(request, _("Too many wrong codes. Please sign in again."))
                    return redirect_to_login(next_url)
                form.add_error("otp", _("The code is wrong or has expired."))
        return self.render(self.context(form), status=400)

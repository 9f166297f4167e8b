"""The password policy (等保 level 3, identity authentication): a minimum length and several
character classes, not the user's own name, not a common password (Django's validators,
listed in AUTH_PASSWORD_VALIDATORS), no reuse of the last ITSM_PASSWORD_HISTORY passwords,
an optional maximum age, and a forced change after an administrator set the password. The
change itself is `services.change_password`; this module holds the rules it applies and the
page where a user changes his own password."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from itsm.accounts.services import change_password, check_password_history
from itsm.core.views.generic import ItsmView, safe_next_url

# Lower case, upper case, digits; anything else is the fourth class ("others").
CHARACTER_CLASSES = (str.islower, str.isupper, str.isdigit)


def character_classes(password: str) -> int:
    """How many of the four classes the password's characters come from."""
    others = len(CHARACTER_CLASSES)
    return len(
        {
            next((index for index, test in enumerate(CHARACTER_CLASSES) if test(char)), others)
            for char in password
        }
    )


class ComplexityValidator:
    """At least ITSM_PASSWORD_MIN_LENGTH characters drawn from at least
    ITSM_PASSWORD_MIN_CLASSES of the four classes (lower case, upper case, digits, others).
    The settings are read on every check, so a changed setting needs no restart of the
    validator cache."""

    def validate(self, password: str, user: Any = None) -> None:
        length = settings.ITSM_PASSWORD_MIN_LENGTH
        classes = settings.ITSM_PASSWORD_MIN_CLASSES
        errors = []
        if len(password) < length:
            errors.append(
                ValidationError(
                    ngettext(
                        "The password must have at least %(length)d character.",
                        "The password must have at least %(length)d characters.",
                        length,
                    )
                    % {"length": length},
                    code="password_too_short",
                )
            )
        if character_classes(password) < classes:
            errors.append(
                ValidationError(
                    _(
                        "The password must mix at least %(classes)d of: lower-case letters, "
                        "upper-case letters, digits and other characters."
                    )
                    % {"classes": classes},
                    code="password_too_simple",
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return str(
            _(
                "At least %(length)d characters, mixing at least %(classes)d of: lower-case "
                "letters, upper-case letters, digits and other characters."
            )
            % {
                "length": settings.ITSM_PASSWORD_MIN_LENGTH,
                "classes": settings.ITSM_PASSWORD_MIN_CLASSES,
            }
        )


class UserNameValidator:
    """The password may not contain the user name (in any case): "zhangsan@2026" is the
    first guess of whoever knows the name. Django's UserAttributeSimilarityValidator
    only refuses passwords *similar* to it as a whole."""

    def validate(self, password: str, user: Any = None) -> None:
        username = getattr(user, "username", "") or ""
        if len(username) >= 3 and username.casefold() in password.casefold():
            raise ValidationError(
                _("The password may not contain your user name."), code="password_has_username"
            )

    def get_help_text(self) -> str:
        return str(_("Not containing your user name."))


def password_expired(user: Any, now: datetime.datetime | None = None) -> bool:
    """The password is older than ITSM_PASSWORD_MAX_AGE_DAYS (0: passwords never expire).
    A password never changed through the product counts from the day the account was
    made, so turning expiry on also reaches old accounts."""
    max_age = settings.ITSM_PASSWORD_MAX_AGE_DAYS
    if not max_age or not user.has_usable_password():
        return False
    changed = user.password_changed_at or user.date_joined
    return bool(changed) and changed + datetime.timedelta(days=max_age) <= (now or timezone.now())


def must_change_password(user: Any) -> bool:
    """The user must set a new password before he may do anything else."""
    return bool(user.must_change_password) or password_expired(user)


# --------------------------------------------------------------------------------------
# The page


class PasswordChangeForm(DjangoPasswordChangeForm):
    """Django's form (old password, new one twice, the validators); the history rule and
    the saving are the service's."""

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields["old_password"].widget.attrs["autofocus"] = True
        self.fields["new_password1"].widget.attrs.pop("autofocus", None)

    def save(self, commit: bool = True) -> Any:
        raise NotImplementedError("use services.change_password")


class PasswordChangeView(ItsmView):
    """The signed-in user changes his own password: asked for at the first sign-in after
    an administrator set it and when it has expired (PasswordPolicyMiddleware sends him
    here), otherwise from the user menu. This session stays signed in."""

    template_name = "accounts/password_change.html"

    def context(self, form: forms.Form) -> dict[str, Any]:
        user: Any = self.request.user
        return {
            "form": form,
            "forced": user.must_change_password,
            "expired": password_expired(user),
            "next": safe_next_url(self.request, ""),
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(self.context(PasswordChangeForm(request.user)))

    def post(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        form = PasswordChangeForm(user, request.POST)
        if form.is_valid():
            try:
                change_password(user, form.cleaned_data["new_password1"], actor=user)
            except ValidationError as exc:
                form.add_error("new_password2", exc)
            else:
                update_session_auth_hash(request, user)
                messages.success(request, _("Your password has been changed."))
                return redirect(safe_next_url(request, "") or "home")
        return self.render(self.context(form), status=400)


# --------------------------------------------------------------------------------------
# The administrator's form


class AdminPasswordForm(AdminPasswordChangeForm):  # type: ignore[type-arg]
    """The Django admin's "set password" form under the same rules as the user's own
    (validators, history); saved through `services.change_password`, so the user must
    choose his own at the next sign-in. `actor` is the administrator."""

    def __init__(self, user: Any, *args: Any, actor: Any = None, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.actor = actor

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        password = cleaned.get("password1")
        if cleaned.get("set_usable_password") and password and not self.errors:
            try:
                check_password_history(self.user, password)
            except ValidationError as exc:
                self.add_error("password2", exc)
        return cleaned

    def save(self, commit: bool = True) -> Any:
        if not self.cleaned_data["set_usable_password"]:
            return super().save(commit)
        change_password(self.user, self.cleaned_data["password1"], actor=self.actor)
        return self.user

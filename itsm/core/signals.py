"""Sign-ins in the audit log: every login, logout and failed login, with who, when, the
source address (the request context's) and the browser (its user agent, in the note).

A failed login under a name that exists is recorded against that account; under an
unknown name it is recorded against the user model as a whole (object 0) with the name
tried in the note. Only auditors read either, so the log tells no one else whether a
name exists. Lockouts and their release (django-axes) use the same style of action names:
"lockout", "lockout_released"."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from itsm.core.services import write_audit

# Longer user agents and names are cut: a client may send anything.
MAX_NOTE_PART = 300


def user_agent(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("HTTP_USER_AGENT", ""))[:MAX_NOTE_PART]


@receiver(user_logged_in, dispatch_uid="audit_login")
def audit_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    write_audit(user, actor=user, action="login", note=user_agent(request))


@receiver(user_logged_out, dispatch_uid="audit_logout")
def audit_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None or not getattr(user, "pk", None):
        return  # signing out without being signed in changes nothing
    write_audit(user, actor=user, action="logout", note=user_agent(request))


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    model = get_user_model()
    name = str(credentials.get(model.USERNAME_FIELD) or "")[:MAX_NOTE_PART]
    account = model._default_manager.filter(**{model.USERNAME_FIELD: name}).first()
    agent = user_agent(request)
    if account is not None:
        note = agent
        target: Any = account
    else:
        note = "%s: %s%s" % (model.USERNAME_FIELD, name, "\n" + agent if agent else "")
        target = model
    write_audit(target, actor=None, action="login_failed", note=note)

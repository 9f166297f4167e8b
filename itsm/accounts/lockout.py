"""Sign-in failures lock the account (django-axes): ITSM_LOCKOUT_FAILURES failures of one user
name lock that name for ITSM_LOCKOUT_MINUTES, wherever the attempts come from, and
ITSM_LOCKOUT_ADDRESS_FAILURES failures from one address, whatever the names, lock the
address. The lockout and its release are audited. Nothing here tells whether a user name
exists: unknown names are counted and locked like real ones, and every locked sign-in gets
the same message.

Why the address has a threshold of its own: the PCs of a ward reach the server through one
NAT address, so five typos by five nurses must not lock the ward out; only a number of
failures no ward makes (someone trying many names) locks the address."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db import models
from django.db.models import Sum
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import ngettext

from itsm.accounts.models import User
from itsm.core.models import AuditEntry
from itsm.core.services import SYSTEM, write_audit

# Audit actions; the note is the locked user name or address, exactly, so that a release
# finds the lockout it ends.
USER_LOCKED = "login_locked"
ADDRESS_LOCKED = "login_address_locked"
UNLOCKED = "login_unlocked"  # by an administrator (Django admin, `axes_reset`)
LOCK_EXPIRED = "login_lock_expired"  # the cool-off passed; noticed at the next sign-in

# Who is unlocking, set by the admin around its deletes (signals do not know the request).
releasing_actor: ContextVar[Any] = ContextVar("releasing_actor", default=None)


@contextmanager
def releasing(actor: Any) -> Iterator[None]:
    token = releasing_actor.set(actor)
    try:
        yield
    finally:
        releasing_actor.reset(token)


def lockout_message() -> str:
    """One message for every locked sign-in, whether the name exists or not."""
    minutes = int(cool_off().total_seconds() // 60)
    return ngettext(
        "The user name or password is wrong, or the account is locked for a while after too "
        "many failed sign-ins. Try again in %(minutes)d minute, or call the service desk.",
        "The user name or password is wrong, or the account is locked for a while after too "
        "many failed sign-ins. Try again in %(minutes)d minutes, or call the service desk.",
        minutes,
    ) % {"minutes": minutes}


def cool_off() -> datetime.timedelta:
    return get_cool_off() or datetime.timedelta(0)


def failures(field: str, value: str | None, *, since: datetime.datetime | None) -> int:
    """Failed sign-ins recorded for one user name or address (since a time, or all)."""
    rows = AccessAttempt.objects.filter(**{field: value})
    if since is not None:
        rows = rows.filter(attempt_time__gte=since)
    return int(rows.aggregate(total=Sum("failures_since_start"))["total"] or 0)


def limit(field: str) -> int:
    if field == "ip_address":
        return int(settings.ITSM_LOCKOUT_ADDRESS_FAILURES)
    return int(settings.AXES_FAILURE_LIMIT)


def is_locked(field: str, value: str | None) -> bool:
    threshold = limit(field)
    since = timezone.now() - cool_off()
    return threshold > 0 and failures(field, value, since=since) >= threshold


class LockoutBackend(AxesStandaloneBackend):  # type: ignore[misc]
    """Axes' gate, first in AUTHENTICATION_BACKENDS. A call without a request is not a
    sign-in from the network (web sign-in, the admin and the API token endpoint all pass
    theirs) but our own code or tests checking a password: there is no source to count,
    so it passes to the next backend instead of failing."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)  # type: ignore[no-any-return]


class LockoutHandler(AxesDatabaseHandler):  # type: ignore[misc]
    """Axes' database handler, counting per user name (AXES_LOCKOUT_PARAMETERS), plus the
    address rule: an address with ITSM_LOCKOUT_ADDRESS_FAILURES failures within the
    cool-off is locked for every name."""

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        by_name = int(super().get_failures(request, credentials))
        if is_locked("ip_address", request.axes_ip_address):
            return max(by_name, limit("username"))
        return by_name


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the API gets 429 and the message; a page keeps the answer its
    view gave (the sign-in page already shows the message), as 429."""
    if request.path.startswith("/api/") or original_response is None:
        return JsonResponse({"detail": lockout_message()}, status=429)
    original_response.status_code = 429
    return original_response


def _attempt_row(username: str | None, ip_address: str | None) -> AccessAttempt | None:
    rows = AccessAttempt.objects.filter(username=username, ip_address=ip_address)
    return rows.order_by("-attempt_time").first()


@receiver(user_locked_out, dispatch_uid="itsm.audit_lockout")
def audit_lockout(
    sender: Any, request: Any, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    """Audit a new lockout (the failure that reaches the limit; later refused attempts are
    not new lockouts). The target is the user when the name exists; for an unknown name,
    and for an address, the attempt record that carries the failures, the name or address
    in the note. The actor is the system: nobody signed in."""
    inner = getattr(request, "_request", None)
    if inner is not None:
        # DRF's Request wraps the HttpRequest; AxesMiddleware only sees the latter.
        inner.axes_locked_out = True
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    attempt = _attempt_row(username, ip_address)
    if username is not None and is_locked("username", username):
        user = User.objects.filter(username=username).first()
        target: models.Model | None = user or attempt
        if target is not None:
            write_audit(target, actor=SYSTEM, action=USER_LOCKED, note=username)
    if ip_address and attempt is not None and is_locked("ip_address", ip_address):
        write_audit(attempt, actor=SYSTEM, action=ADDRESS_LOCKED, note=ip_address)


LOCKS = (("username", USER_LOCKED), ("ip_address", ADDRESS_LOCKED))


@receiver(pre_delete, sender=AccessAttempt, dispatch_uid="itsm.note_locks")
def note_locks(sender: Any, instance: AccessAttempt, **kwargs: Any) -> None:
    """Before attempt records go (an administrator's unlock, axes' clean-up of expired
    ones, a successful sign-in), note the names and addresses they may have locked."""
    instance._itsm_locks = [
        (field, action)
        for field, action in LOCKS
        if limit(field) > 0
        and failures(field, getattr(instance, field), since=None) >= limit(field)
    ]


@receiver(post_delete, sender=AccessAttempt, dispatch_uid="itsm.audit_release")
def audit_release(sender: Any, instance: AccessAttempt, **kwargs: Any) -> None:
    """Audit the end of a lockout whose records are gone: by an administrator (the actor)
    or, past the cool-off, as expired. Once per lockout: only when the last entry for the
    name or address is its lockout."""
    for field, action in getattr(instance, "_itsm_locks", []):
        value = getattr(instance, field)
        if is_locked(field, value):
            continue
        last = (
            AuditEntry.objects.filter(action__in=(action, UNLOCKED, LOCK_EXPIRED), note=value)
            .order_by("-pk")
            .first()
        )
        if last is None or last.action != action:
            continue
        model = last.content_type.model_class()
        assert model is not None
        expired = instance.attempt_time + cool_off() <= timezone.now()
        actor = releasing_actor.get()
        write_audit(
            model(pk=last.object_id),
            actor=actor or SYSTEM,
            action=LOCK_EXPIRED if expired and actor is None else UNLOCKED,
            note=value,
        )

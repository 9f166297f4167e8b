"""Service verbs of accounts: passwords, the user's language, roles (separation of duties)
and the disabling of dormant and expired accounts."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, is_password_usable
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from itsm.accounts.choices import SEPARATED_ROLES, Role
from itsm.accounts.models import ApiToken, PasswordHistory, User
from itsm.accounts.roles import can_assign_roles
from itsm.core.services import SYSTEM, write_audit

# --------------------------------------------------------------------------------------
# Passwords


def check_password_history(user: User, password: str) -> None:
    """No reuse of the last ITSM_PASSWORD_HISTORY passwords: the current one and those
    before it (PasswordHistory keeps the replaced hashes). 0 turns the rule off."""
    keep = settings.ITSM_PASSWORD_HISTORY
    if keep <= 0:
        return
    earlier = PasswordHistory.objects.filter(user=user).values_list("password", flat=True)
    hashes = [user.password, *earlier[: keep - 1]]
    if any(check_password(password, hashed) for hashed in hashes if is_password_usable(hashed)):
        raise ValidationError(
            ngettext(
                "You have used this password before: choose one that differs from your "
                "last password.",
                "You have used this password before: choose one that differs from your "
                "last %(count)d passwords.",
                keep,
            )
            % {"count": keep},
            code="password_reused",
        )


@transaction.atomic
def change_password(user: User, new_password: str, *, actor: Any) -> None:
    """Set a password under the policy (accounts/passwords.py: the validators, then the
    history rule), hashed with the first of PASSWORD_HASHERS (Argon2). A user setting his
    own clears `must_change_password`; anyone else (an administrator creating the account
    or resetting a forgotten password) sets it, so that the user chooses his own at the next
    sign-in and the administrator never knows it. Audited, without the password or its
    hash. The caller keeps the user's own session signed in (update_session_auth_hash)."""
    validate_password(new_password, user)
    locked = User.objects.select_for_update().get(pk=user.pk)
    check_password_history(locked, new_password)
    by_self = getattr(actor, "pk", None) == user.pk
    replaced = locked.password
    before = locked.must_change_password
    locked.set_password(new_password)
    locked.password_changed_at = timezone.now()
    locked.must_change_password = not by_self
    locked.save(update_fields=["password", "password_changed_at", "must_change_password"])
    keep = settings.ITSM_PASSWORD_HISTORY
    if keep > 1 and is_password_usable(replaced):
        PasswordHistory.objects.create(user=locked, password=replaced)
        stale = PasswordHistory.objects.filter(user=locked).values_list("pk", flat=True)
        PasswordHistory.objects.filter(pk__in=list(stale[keep - 1 :])).delete()
    changes = {}
    if before != locked.must_change_password:
        changes["must_change_password"] = [before, locked.must_change_password]
    write_audit(
        locked,
        actor=actor,
        action="password_changed" if by_self else "password_reset",
        changes=changes,
    )
    user.password = locked.password
    user.password_changed_at = locked.password_changed_at
    user.must_change_password = locked.must_change_password


@transaction.atomic
def set_language(user: User, language: str, *, actor: Any) -> None:
    """The language the user's pages are in ("" for his browser's). Audited."""
    if user.language == language:
        return
    before = user.language
    user.language = language
    user.save(update_fields=["language"])
    write_audit(user, actor=actor, action="update", changes={"language": [before, language]})


# --------------------------------------------------------------------------------------
# Roles


def _role_list(names: Iterable[str]) -> list[str]:
    return sorted(set(names))


@transaction.atomic
def set_user_roles(user: User, roles: Iterable[str], *, actor: Any) -> list[str]:
    """Give a person exactly these roles. Separation of duties (三员分立): only a security
    administrator assigns roles (by his role: Django's superuser flag does not stand in for
    it), never his own, and nobody holds two of the administrator, security administrator
    and auditor roles. `is_staff` (entry to the administration pages, where each sees what
    his role's permissions show) follows these three roles and is never set by hand.
    Audited as a permission change, old → new; returns the new roles."""
    wanted = _role_list(str(role) for role in roles)
    if not can_assign_roles(actor):
        raise PermissionDenied(_("Only a security administrator may assign roles."))
    if actor.pk == user.pk:
        raise PermissionDenied(_("Nobody may change his own roles."))
    unknown = [name for name in wanted if name not in Role.values]
    if unknown:
        raise ValidationError(
            {"roles": _("Unknown role: %(roles)s.") % {"roles": str(_(", ")).join(unknown)}}
        )
    separated = [name for name in wanted if name in SEPARATED_ROLES]
    if len(separated) > 1:
        raise ValidationError(
            {
                "roles": _(
                    "The system administrator, the security administrator and the auditor "
                    "must be different people: choose one of %(roles)s."
                )
                # Translators: the separator between the items of a list ("、" in Chinese).
                % {"roles": str(_(", ")).join(str(Role(name).label) for name in separated)}
            }
        )
    locked = User.objects.select_for_update().get(pk=user.pk)
    before = _role_list(locked.groups.values_list("name", flat=True))
    is_staff = bool(set(wanted) & set(SEPARATED_ROLES))
    changes: dict[str, list[Any]] = {}
    if before != wanted:
        changes["roles"] = [before, wanted]
        locked.groups.set(Group.objects.filter(name__in=wanted))
    if locked.is_staff != is_staff:
        changes["is_staff"] = [locked.is_staff, is_staff]
        locked.is_staff = is_staff
        locked.save(update_fields=["is_staff"])
    if changes:
        write_audit(locked, actor=actor, action="roles_changed", changes=changes)
    for cache in ("_role_cache", "_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    user.is_staff = is_staff
    return wanted


def dormant_accounts(now: datetime.datetime | None = None) -> QuerySet[User]:
    """Active accounts unused for ITSM_DORMANT_DAYS: no sign-in since (never signed in: no
    account since) and no API token used since (an integration's account signs in with
    its token only)."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.ITSM_DORMANT_DAYS)
    recent_token = ApiToken.objects.filter(user=OuterRef("pk"), last_used_at__gte=cutoff)
    return (
        User.objects.filter(is_active=True)
        .filter(Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff))
        .exclude(Exists(recent_token))
    )


def expired_accounts(now: datetime.datetime | None = None) -> QuerySet[User]:
    """Active accounts past their last day (a vendor engineer's contract has ended)."""
    return User.objects.filter(is_active=True, expires_on__lt=timezone.localdate(now))


def disable_dormant_accounts(now: datetime.datetime | None = None) -> int:
    """The periodic job: disable accounts past their expiry date and accounts unused for
    ITSM_DORMANT_DAYS, each audited (action "account_disabled", the reason, "expired" or
    "dormant", in the note). The system administrator may enable one again. Idempotent:
    safe to run from several workers. Returns how many were disabled."""
    now = now or timezone.now()
    disabled = 0
    reasons = (
        (expired_accounts, "expired"),
        (dormant_accounts, "dormant"),
    )
    for accounts, note in reasons:
        for pk in accounts(now).values_list("pk", flat=True):
            with transaction.atomic():
                # Read again under a lock: another worker or a sign-in may have come first.
                user = accounts(now).select_for_update().filter(pk=pk).first()
                if user is None:
                    continue
                user.is_active = False
                user.save(update_fields=["is_active"])
                write_audit(
                    user,
                    actor=SYSTEM,
                    action="account_disabled",
                    changes={"is_active": [True, False]},
                    note=note,
                )
                disabled += 1
    return disabled

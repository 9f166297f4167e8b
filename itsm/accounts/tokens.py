"""API tokens: a user's named keys for scripts and integrations (`Authorization: Token
<key>`). Only the SHA-256 of a key is stored, so a key is shown once, when it is made; a
token works until it expires (ITSM_API_TOKEN_DAYS after it was made) or is revoked."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from itsm.accounts.backends import UserBackend
from itsm.accounts.models import ApiToken, User
from itsm.core.services import write_audit

KEYWORD = "Token"
PREFIX_LENGTH = 8
# last_used_at is written at most this often per token: a busy script must not turn every
# read into a write.
LAST_USED_GRANULARITY = datetime.timedelta(minutes=1)


def hash_key(key: str) -> str:
    """The stored form of a key. Keys are 240 random bits, so a plain SHA-256 (no salt, no
    stretching) cannot be reversed, and it lets a key be found by an indexed lookup."""
    return hashlib.sha256(key.encode()).hexdigest()


def make_token(user: User, *, name: str = "", days: int | None = None) -> tuple[ApiToken, str]:
    """The token row and its key, not audited: `create_token` without its audit entry, for
    test fixtures (which, like the personas themselves, are nobody's action)."""
    if days is None:
        days = settings.ITSM_API_TOKEN_DAYS
    key = secrets.token_urlsafe(30)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        key_hash=hash_key(key),
        prefix=key[:PREFIX_LENGTH],
        created_at=now,
        expires_at=now + datetime.timedelta(days=days) if days else None,
    )
    return token, key


@transaction.atomic
def create_token(
    user: User, *, actor: Any, name: str = "", days: int | None = None
) -> tuple[ApiToken, str]:
    """Make a token for the user and return it with its key, which is not kept anywhere:
    the caller shows it once. It expires after `days` (default ITSM_API_TOKEN_DAYS; 0 for
    never, which only a setting of 0 gives by default)."""
    token, key = make_token(user, name=name, days=days)
    write_audit(
        token,
        actor=actor,
        action="token:create",
        changes={"expires_at": [None, token.expires_at.isoformat() if token.expires_at else None]},
        note=token.name,
    )
    return token, key


@transaction.atomic
def revoke_token(token: ApiToken, *, actor: Any) -> ApiToken:
    """Stop a token from working, now. Revoking a revoked token changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        write_audit(token, actor=actor, action="token:revoke", note=token.name)
    return token


def token_state(token: ApiToken) -> str:
    """ "active", "expired" or "revoked", for the pages."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return "expired"
    return "active"


def user_for_key(key: str) -> tuple[User, ApiToken]:
    """The user a key signs in, or AuthenticationFailed saying why not. Marks the token
    used (at most once a minute)."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None:
        raise AuthenticationFailed(_("Invalid token."))
    if token.revoked_at is not None:
        raise AuthenticationFailed(_("This token has been revoked."))
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        raise AuthenticationFailed(_("This token has expired: make a new one."))
    from itsm.accounts.passwords import must_change_password  # pages and forms: loaded late

    if not UserBackend().user_can_authenticate(token.user):
        # Disabled, or past the account's expiry date (a vendor's contract has ended).
        raise AuthenticationFailed(_("This token's user is disabled."))
    if must_change_password(token.user):
        raise AuthenticationFailed(_("Change your password in the web pages first."))
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        # Written outside any transaction the request is in (right away, in autocommit),
        # so that a request's rollback cannot lose it nor a long request hold the row.
        pk = token.pk
        transaction.on_commit(
            lambda: ApiToken.objects.filter(pk=pk).update(last_used_at=now),
            robust=True,
        )
    return token.user, token


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <key>` with a key of `ApiToken`. A request without the header
    is left to the next authentication class; a bad, expired or revoked key is a 401 that
    says which."""

    def authenticate(self, request: Any) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Invalid token header: give one key after Token."))
        try:
            key = parts[1].decode()
        except UnicodeError as exc:
            raise AuthenticationFailed(_("Invalid token.")) from exc
        return user_for_key(key)

    def authenticate_header(self, request: Any) -> str:
        return KEYWORD


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """The schema's description of ApiTokenAuthentication (what DRF's TokenAuthentication
    had): `Authorization: Token <key>`."""

    target_class = "itsm.accounts.tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        definition: dict[str, Any] = build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=KEYWORD
        )
        return definition


def user_for_request_token(request: HttpRequest) -> User | None:
    """The user an API token in a plain Django request's header signs in, if it is valid
    (for views outside the API, such as the calendar feed)."""
    try:
        found = ApiTokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    return found[0] if found else None

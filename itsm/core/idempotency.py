"""Idempotency keys: a client that may retry a POST (an integration whose request timed
out) sends `Idempotency-Key: <its own unique string>`; the first answer is stored under
(user, key) and a retry gets it again instead of creating a second record.

- Same key, same request: the stored status and body again, with `Idempotent-Replayed:
  true`; nothing is executed a second time.
- Same key, another request (body, method or path): 422, nothing executed.
- Two requests with the same key at once: the key row is inserted in the same transaction
  as the record, and the key is unique per user, so the second insert waits for the first
  transaction (a row lock on PostgreSQL, the write lock on SQLite) and then finds the key:
  it replays the first answer. One record.
- Only successful answers (2xx) are kept: a refused request (400, 403, 409 …) rolls back
  with its key, so the client may correct it and try again with the same key.
- Keys are forgotten after ITSM_IDEMPOTENCY_HOURS (24 by default); `purge_idempotency_keys`
  is a periodic job.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from itsm.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

Handler = Callable[..., Response]


class KeyReused(exceptions.APIException):
    """The key was used before for a different request."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _(
        "This Idempotency-Key was already used for a different request. Use a new key for "
        "a new request."
    )
    default_code = "idempotency_key_reused"


def lifetime() -> timedelta:
    return timedelta(hours=getattr(settings, "ITSM_IDEMPOTENCY_HOURS", 24))


def read_key(request: Request) -> str | None:
    """The request's key, or None without the header; 400 for an empty, overlong or
    non-ASCII key (it is stored and compared as given)."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise exceptions.ValidationError({HEADER: [_("Give 1 to 255 printable ASCII characters.")]})
    return key


def request_fingerprint(request: Request) -> str:
    """SHA-256 of the method, path (with its query) and body as data: the same JSON with
    other spacing or key order is the same request."""
    data = request.data
    if hasattr(data, "lists"):  # a QueryDict (form or multipart): every value of every key
        data = dict(data.lists())
    body = json.dumps(data, sort_keys=True, cls=JSONEncoder, default=str, ensure_ascii=False)
    text = "\n".join((request.method or "", request.get_full_path(), body))
    return hashlib.sha256(text.encode()).hexdigest()


def replay(stored: IdempotencyKey, fingerprint: str) -> Response:
    if stored.request_hash != fingerprint:
        raise KeyReused()
    return Response(stored.response, status=stored.status_code, headers={REPLAYED_HEADER: "true"})


def idempotent(handler: Handler) -> Handler:
    """Wrap a view handler (a bound method taking the request) so that it honours the
    Idempotency-Key header as the module describes; without the header it runs as is."""

    @functools.wraps(handler)
    def wrapper(request: Request, *args: Any, **kwargs: Any) -> Response:
        key = read_key(request)
        if key is None:
            return handler(request, *args, **kwargs)
        user: Any = request.user
        fingerprint = request_fingerprint(request)
        with transaction.atomic():
            IdempotencyKey.objects.filter(
                user=user, key=key, created_at__lt=timezone.now() - lifetime()
            ).delete()
            try:
                with transaction.atomic():
                    row = IdempotencyKey.objects.create(
                        user=user,
                        key=key,
                        method=request.method or "",
                        path=request.get_full_path()[:500],
                        request_hash=fingerprint,
                        status_code=0,
                    )
            except IntegrityError:
                # Taken, by an earlier request or by one that just committed.
                return replay(IdempotencyKey.objects.get(user=user, key=key), fingerprint)
            response = handler(request, *args, **kwargs)
            if status.is_success(response.status_code):
                row.status_code = response.status_code
                row.response = json.loads(json.dumps(response.data, cls=JSONEncoder))
                row.save(update_fields=["status_code", "response"])
            else:
                row.delete()
            return response

    return wrapper


class IdempotentPostsMixin:
    """For API views: every POST (creates, and the actions on a record) honours the
    Idempotency-Key header; ApiSchema documents it on their POST operations."""

    idempotent_posts: ClassVar[bool] = True

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """The handler is wrapped here, once the user is known and allowed: DRF looks it
        up only after `initial`."""
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method == "POST" and self.idempotent_posts and HEADER in request.headers:
            handler: Any = getattr(self, "post")  # noqa: B009 (set by as_view)
            self.post = idempotent(handler)


def purge_idempotency_keys() -> int:
    """Forget keys older than their lifetime (a periodic job): after that a retry with an
    old key is a new request."""
    deleted, _by_model = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - lifetime()
    ).delete()
    return deleted

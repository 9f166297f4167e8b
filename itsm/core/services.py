"""Service verbs shared by every process: numbering, priority, audit and comments."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F

from itsm.core.choices import CommentVisibility
from itsm.core.context import current_request
from itsm.core.models import AuditEntry, Comment, NumberSequence, PriorityRule

NUMBER_DIGITS = 7


def next_number(prefix: str) -> str:
    """Take the next number for a prefix: INC0000001, INC0000002, … Atomic and unique
    across processes: the sequence row is created once and then incremented in place."""
    with transaction.atomic():
        NumberSequence.objects.get_or_create(prefix=prefix)
        NumberSequence.objects.filter(prefix=prefix).update(last=F("last") + 1)
        last = NumberSequence.objects.values_list("last", flat=True).get(prefix=prefix)
    return "%s%0*d" % (prefix, NUMBER_DIGITS, last)


def compute_priority(impact: int, urgency: int) -> int:
    """Priority from the configured matrix; ITIL's impact + urgency − 1 where a cell is
    not configured."""
    rule = PriorityRule.objects.filter(impact=impact, urgency=urgency).first()
    if rule is not None:
        return rule.priority
    return impact + urgency - 1


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields whose values differ, as {field: [old, new]}, JSON-ready."""
    return {
        key: [_jsonable(before.get(key)), _jsonable(value)]
        for key, value in after.items()
        if before.get(key) != value
    }


def write_audit(
    target: models.Model,
    *,
    actor: Any,
    action: str,
    changes: dict[str, list[Any]] | None = None,
    note: str = "",
) -> AuditEntry:
    """Record a write. Call it inside the write's transaction, so both land or neither."""
    context = current_request.get()
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        changes=changes or {},
        note=note,
        request_id=context.request_id,
        ip_address=context.ip_address,
    )


@transaction.atomic
def add_comment(
    target: models.Model, *, actor: Any, body: str, visibility: str = CommentVisibility.PUBLIC
) -> Comment:
    """Add a public reply or an internal work note to any record, audited."""
    comment = Comment.objects.create(
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        author=actor,
        body=body,
        visibility=visibility,
    )
    write_audit(target, actor=actor, action="comment:%s" % visibility)
    return comment


def notify(users: Iterable[Any], target: models.Model, message: str) -> None:
    """In-app notifications, written in the caller's transaction: a rolled-back write
    leaves none, a committed one always has them."""
    from itsm.core.models import Notification

    content_type = ContentType.objects.get_for_model(target)
    Notification.objects.bulk_create(
        Notification(
            recipient=user, content_type=content_type, object_id=target.pk, message=message[:300]
        )
        for user in {u.pk: u for u in users if u is not None and u.pk}.values()
    )


class SystemActor:
    """The actor of scheduled jobs (auto-close): may do anything, audited as "system"."""

    pk = None
    is_authenticated = True
    is_superuser = True

    def has_perm(self, perm: str) -> bool:
        return True

    def __str__(self) -> str:
        from django.utils.translation import gettext

        return gettext("System")


SYSTEM = SystemActor()


def mark_notifications_read(recipient: Any, *, pks: Iterable[int] | None = None) -> int:
    """Mark the recipient's unread notifications read: the given ones, or all of them.
    Only his own: a pk of someone else's notification changes nothing."""
    from django.utils import timezone

    from itsm.core.models import Notification

    unread = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if pks is not None:
        unread = unread.filter(pk__in=list(pks))
    return unread.update(read_at=timezone.now())

"""Service verbs shared by every process: numbering, priority, optimistic locking, audit,
comments and notifications."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise

from itsm.core.audit_chain import schedule_seal
from itsm.core.choices import CommentVisibility, DeliveryChannel
from itsm.core.context import current_request
from itsm.core.exceptions import StaleVersion
from itsm.core.models import AuditEntry, Comment, NumberSequence, PriorityRule

NUMBER_DIGITS = 7


def next_number(prefix: str) -> str:
    """Take the next number for a prefix: INC0000001, INC0000002, … Atomic and unique
    across processes: the sequence row is created once and then incremented in place."""
    sequence = NumberSequence.objects.filter(prefix=prefix)
    # No savepoint of its own: a failure here fails the caller's transaction anyway.
    with transaction.atomic(savepoint=False):
        if not sequence.update(last=F("last") + 1):
            NumberSequence.objects.get_or_create(prefix=prefix)
            sequence.update(last=F("last") + 1)
        last = sequence.values_list("last", flat=True).get()
    return "%s%0*d" % (prefix, NUMBER_DIGITS, last)


def compute_priority(impact: int, urgency: int) -> int:
    """Priority from the configured matrix; ITIL's impact + urgency − 1 where a cell is
    not configured."""
    rule = PriorityRule.objects.filter(impact=impact, urgency=urgency).first()
    if rule is not None:
        return rule.priority
    return impact + urgency - 1


Versioned = TypeVar("Versioned", bound=models.Model)


def lock_version(obj: Versioned, version: int | None) -> Versioned:
    """`obj` read again under a row lock, if nobody changed it since `version` was read:
    StaleVersion (409) otherwise; no check when `version` is None (a service acting on
    what it just read)."""
    locked = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    if version is not None and getattr(locked, "version", None) != version:
        raise StaleVersion()
    return locked


def save_version(obj: Any, changed: Iterable[str]) -> None:
    """Save the fields named in `changed` (an audit diff's keys; many-to-many sets, saved
    with their own calls, are left out) with the next version and the time of the edit."""
    concrete = {field.attname: field.name for field in obj._meta.concrete_fields}
    obj.version += 1
    obj.updated_at = timezone.now()
    obj.save(
        update_fields=[concrete[key] for key in changed if key in concrete]
        + ["version", "updated_at"]
    )


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


def audit_entry(
    target: models.Model | type[models.Model],
    *,
    actor: Any,
    action: str,
    changes: dict[str, list[Any]] | None = None,
    note: str = "",
) -> AuditEntry:
    """An audit entry for a write, not yet saved: for writers that save many at once.
    The entry is sealed into the audit chain when the caller's transaction commits.

    `target` is the record written; an event about no single record (a list exported,
    a failed sign-in under an unknown name) names its model, recorded as object 0."""
    context = current_request.get()
    entry = AuditEntry(
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk if isinstance(target, models.Model) else 0,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        changes=changes or {},
        note=note,
        request_id=context.request_id,
        ip_address=context.ip_address,
        created_at=timezone.now(),
    )
    if transaction.get_connection().in_atomic_block:
        schedule_seal()
    return entry


def write_audit(
    target: models.Model | type[models.Model],
    *,
    actor: Any,
    action: str,
    changes: dict[str, list[Any]] | None = None,
    note: str = "",
) -> AuditEntry:
    """Record a write. Call it inside the write's transaction, so both land or neither."""
    entry = audit_entry(target, actor=actor, action=action, changes=changes, note=note)
    entry.save(force_insert=True)
    if not transaction.get_connection().in_atomic_block:
        schedule_seal()
    return entry


@transaction.atomic
def add_comment(
    target: models.Model,
    *,
    actor: Any,
    body: str,
    visibility: str = CommentVisibility.PUBLIC,
    changes: dict[str, list[Any]] | None = None,
) -> Comment:
    """Add a public reply or an internal work note to any record, audited; `changes` are
    what the reply itself changed on the record (a first response, say), in its entry."""
    comment = Comment.objects.create(
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        author=actor,
        body=body,
        visibility=visibility,
    )
    write_audit(target, actor=actor, action="comment:%s" % visibility, changes=changes)
    return comment


def recipient_language(user: Any) -> str:
    """The language a person reads notifications in: his own choice, else the site's."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def render_message(message: str | Promise, params: Mapping[str, Any] | None) -> str:
    """The message in the active language: a lazy (gettext_lazy) message is translated
    now, then filled with its %(name)s parameters; a ready string is used as it is."""
    text = str(message)
    return text % params if params is not None else text


def absolute_url(target: models.Model | None) -> str:
    """The record's address for links leaving the site (e-mail, chat robots)."""
    get_url = getattr(target, "get_absolute_url", None)
    path = get_url() if get_url is not None else "/"
    return "%s%s" % (settings.ITSM_BASE_URL, path)


def render_delivery(delivery: Any) -> None:
    """Fill a delivery's subject and bodies from the notification templates, in the
    delivery's language. Done by the delivery task before the first send, so that telling
    many people about many records costs the writer no template rendering."""
    target = delivery.content_type.get_object_for_this_type(pk=delivery.object_id)
    url = absolute_url(target)
    context = {"message": delivery.subject, "record": str(target), "url": url}
    with translation.override(delivery.language):
        subject = render_to_string("notifications/subject.txt", context)
        delivery.subject = " ".join(subject.split())[:300]
        delivery.url = url
        if delivery.channel == DeliveryChannel.EMAIL:
            delivery.body = render_to_string("notifications/email.txt", context).strip()
            delivery.html_body = render_to_string("notifications/email.html", context)
        else:
            delivery.body = render_to_string("notifications/robot.md", context).strip()


@dataclass(frozen=True)
class Notice:
    """One message about one record to some people and some support groups' robots."""

    users: Sequence[Any]
    target: models.Model
    message: str | Promise
    params: Mapping[str, Any] | None = None
    groups: Sequence[Any] = ()


def notify(
    users: Iterable[Any],
    target: models.Model,
    message: str | Promise,
    *,
    params: Mapping[str, Any] | None = None,
    groups: Iterable[Any] = (),
) -> None:
    """Tell people, and support groups' chat robots, about a record. The one way any
    process notifies:

    - every user gets an in-app notification, and one by e-mail when he has an address;
      each reads it in his own language (`message` may be a gettext_lazy string with
      %(name)s placeholders filled from `params`; a ready string is used as given);
    - every support group in `groups` with a chat robot gets one post, in the site's
      default language.

    Everything is written in the caller's transaction: the in-app rows, a Delivery row per
    e-mail or robot post, and the background task sending them (the database task backend
    commits and rolls back with the write). So a rolled-back write leaves nothing, and a
    committed one always has its notifications. Sending happens later in `itsm worker`
    (itsm.core.tasks): a channel that fails is retried and recorded on its delivery, never
    raised into the caller."""
    notify_all([Notice(list(users), target, message, params, list(groups))])


def notify_all(notices: Sequence[Notice]) -> None:
    """Several notices at once (the SLA sweep's warnings): one insert of notifications,
    one of deliveries and one task for all their deliveries."""
    from itsm.core.models import Delivery, Notification
    from itsm.core.tasks import deliver_all

    notifications: list[Notification] = []
    deliveries: list[Delivery] = []
    for notice in notices:
        target, message, params = notice.target, notice.message, notice.params
        content_type = ContentType.objects.get_for_model(target)
        recipients = {u.pk: u for u in notice.users if u is not None and u.pk}.values()
        for user in recipients:
            language = recipient_language(user)
            with translation.override(language):
                text = render_message(message, params)
            notifications.append(
                Notification(
                    recipient=user,
                    content_type=content_type,
                    object_id=target.pk,
                    message=text[:300],
                )
            )
            if user.email and user.is_active:
                deliveries.append(
                    Delivery(
                        channel=DeliveryChannel.EMAIL,
                        recipient=user,
                        address=user.email,
                        content_type=content_type,
                        object_id=target.pk,
                        language=language,
                        subject=text[:300],
                    )
                )
        groups = {g.pk: g for g in notice.groups if g is not None and g.active and g.has_robot}
        for group in groups.values():
            with translation.override(settings.LANGUAGE_CODE):
                text = render_message(message, params)
            deliveries.append(
                Delivery(
                    channel=group.robot_kind,
                    group=group,
                    content_type=content_type,
                    object_id=target.pk,
                    language=settings.LANGUAGE_CODE,
                    subject=text[:300],
                )
            )
    Notification.objects.bulk_create(notifications)
    if deliveries:
        deliver_all.enqueue([d.pk for d in Delivery.objects.bulk_create(deliveries)])


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

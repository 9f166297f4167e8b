"""The background task that sends one notification delivery (e-mail, chat robot).

Core does not know how a channel sends: settings.ITSM_NOTIFICATION_SENDERS maps each
channel to the dotted path of a sender, a function taking the Delivery that returns when
the message was accepted and raises otherwise. The senders live in `itsm.integrations`,
which imports core, never the other way round.

A failed send never raises out of the task: it is recorded on the delivery (attempts, last
error) and tried again later with exponential backoff — ITSM_NOTIFICATION_BACKOFF_SECONDS,
then twice, four times, … that — until ITSM_NOTIFICATION_MAX_ATTEMPTS sends have failed;
then the delivery is marked failed for an administrator to see."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from itsm.core.choices import DeliveryStatus
from itsm.core.models import Delivery
from itsm.core.services import render_delivery

logger = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 2000


class DeliveryError(Exception):
    """A channel refused a message (an error code in its answer, an HTTP error status).
    Senders raise it with a message fit for the administrator: no secrets in it."""


def sender_for(channel: str) -> Callable[[Delivery], None]:
    sender: Callable[[Delivery], None] = import_string(settings.ITSM_NOTIFICATION_SENDERS[channel])
    return sender


def retry_delay(failed_attempts: int) -> datetime.timedelta:
    """The wait after the n-th failed attempt: backoff × 2^(n−1) (1, 2, 4, 8 minutes …)."""
    return datetime.timedelta(
        seconds=settings.ITSM_NOTIFICATION_BACKOFF_SECONDS * 2 ** (failed_attempts - 1)
    )


@task()
def deliver_all(delivery_ids: list[int]) -> None:
    """Send the deliveries one notice (or one sweep's notices) created, each once; a
    delivery that fails is retried alone (`deliver`)."""
    for delivery_id in delivery_ids:
        send_delivery(delivery_id)


@task()
def deliver(delivery_id: int) -> None:
    """Send one pending delivery: its retries."""
    send_delivery(delivery_id)


def send_delivery(delivery_id: int) -> None:
    """Send one pending delivery once; on failure schedule the next attempt or give up.
    A delivery that is no longer pending (sent, failed, deleted) is left alone, so a task
    run twice sends nothing twice. Its texts are rendered before the first attempt."""
    delivery = (
        Delivery.objects.select_related("group", "recipient", "content_type")
        .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .first()
    )
    if delivery is None:
        return
    now = timezone.now()
    try:
        if not delivery.body:
            render_delivery(delivery)
            delivery.save(update_fields=["subject", "body", "html_body", "url"])
        sender_for(delivery.channel)(delivery)
    except Exception as error:  # any failure of any channel is recorded, never raised
        logger.warning("Delivery %s (%s) failed: %s", delivery.pk, delivery.channel, error)
        record_failure(delivery, error, now=now)
    else:
        delivery.status = DeliveryStatus.SENT
        delivery.attempts += 1
        delivery.attempted_at = delivery.sent_at = now
        delivery.next_attempt_at = None
        delivery.save(
            update_fields=["status", "attempts", "attempted_at", "sent_at", "next_attempt_at"]
        )


def record_failure(delivery: Delivery, error: BaseException, *, now: datetime.datetime) -> None:
    """Count the failed attempt and enqueue the next one in the same transaction, or mark
    the delivery failed after the last allowed attempt. A task backend that cannot run a
    task later (the immediate backend of development set-ups) gets no retry."""
    delivery.attempts += 1
    delivery.attempted_at = now
    text = (
        str(error)
        if isinstance(error, DeliveryError)
        else "%s: %s"
        % (
            type(error).__name__,
            error,
        )
    )
    delivery.last_error = text[:MAX_ERROR_LENGTH]
    retry = (
        delivery.attempts < settings.ITSM_NOTIFICATION_MAX_ATTEMPTS
        and deliver.get_backend().supports_defer
    )
    with transaction.atomic():
        if retry:
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
            deliver.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
        else:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        delivery.save(
            update_fields=["status", "attempts", "attempted_at", "last_error", "next_attempt_at"]
        )

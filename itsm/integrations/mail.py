"""Notification e-mail, through Django's mail settings (ITSM_EMAIL_*)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from itsm.core.models import Delivery


def send_email(delivery: Delivery) -> None:
    """Send the recorded subject, text and HTML bodies to the recorded address. Any SMTP
    or network error propagates: the delivery task records it and tries again later."""
    message = EmailMultiAlternatives(
        subject=delivery.subject,
        body=delivery.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.address],
    )
    if delivery.html_body:
        message.attach_alternative(delivery.html_body, "text/html")
    message.send(fail_silently=False)

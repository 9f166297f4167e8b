from django.db import models
from django.utils.translation import gettext_lazy as _


class AgreementKind(models.TextChoices):
    SLA = "sla", _("SLA (with departments)")
    OLA = "ola", _("OLA (with a support group)")
    UC = "uc", _("Underpinning contract (with a vendor)")


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    WORKDAY = "workday", _("Working day")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ClockMetric(models.TextChoices):
    RESPONSE = "response", _("Response target")
    RESOLUTION = "resolution", _("Resolution target")


class ClockStopReason(models.TextChoices):
    RESPONDED = "responded", _("Responded")
    RESOLVED = "resolved", _("Resolved")
    HANDED_OVER = "handed_over", _("Handed over to another group")
    CANCELLED = "cancelled", _("Cancelled")
    CLOSED = "closed", _("Closed")


class TicketEvent(models.TextChoices):
    """What happened to a ticket, as far as its clocks care. Each process maps its own
    transitions onto these."""

    LOGGED = "logged", _("Logged")
    ROUTED = "routed", _("Routed to a group")
    RESPONDED = "responded", _("First response")
    PENDED = "pended", _("Put on hold")
    RESUMED = "resumed", _("Resumed")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")
    CHANGED = "changed", _("Priority, service or department changed")

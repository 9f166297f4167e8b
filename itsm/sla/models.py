"""Service level management: business calendars, agreements (SLA, OLA, underpinning
contracts) with their targets and escalation rules, and the clocks that measure each
ticket against them."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.core.choices import TicketPendingReason, TicketPriority
from itsm.sla.choices import AgreementKind, CalendarDayKind, ClockMetric, ClockStopReason, Weekday


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class BusinessCalendar(models.Model):
    """When the clock runs: 7×24, or weekly working hours (several periods a day, such as
    08:00–12:00 and 13:30–17:30) in a time zone, less China's statutory holidays plus the
    adjusted working days (调休), plus this calendar's own extra days."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=settings.TIME_ZONE, validators=[validate_time_zone]
    )
    always_open = models.BooleanField(
        _("7×24"), default=False, help_text=_("Every second counts: no hours, no holidays.")
    )
    statutory_holidays = models.BooleanField(
        _("China's statutory holidays"),
        default=True,
        help_text=_("Observe the statutory holidays and adjusted working days (调休)."),
    )
    description = models.TextField(_("description"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ("name",)
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sla:calendar_detail", args=[self.pk])


class WorkingPeriod(models.Model):
    """One stretch of working time on a weekday, e.g. Monday 08:00–12:00. A day may have
    several (a lunch break lies between two). Adjusted working days (调休) have Monday's
    periods."""

    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.CASCADE,
        related_name="periods",
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("to"))

    class Meta:
        ordering = ("calendar", "weekday", "starts")
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")

    def __str__(self) -> str:
        return "%s %s–%s" % (
            self.get_weekday_display(),
            self.starts.strftime("%H:%M"),
            self.ends.strftime("%H:%M"),
        )

    def get_absolute_url(self) -> str:
        return self.calendar.get_absolute_url()

    def clean(self) -> None:
        if self.starts is not None and self.ends is not None and self.starts >= self.ends:
            raise ValidationError({"ends": _("The period must end after it starts.")})


class StatutoryDay(models.Model):
    """One day of China's published schedule: a statutory holiday, or a weekend day that is
    worked instead (调休). Seeded from chinese-calendar; an administrator adds each new year
    when the State Council publishes it (each November)."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ("date",)
        verbose_name = _("statutory day")
        verbose_name_plural = _("statutory holidays and working days")

    def __str__(self) -> str:
        return "%s %s %s" % (self.date.isoformat(), self.get_kind_display(), self.name)

    def get_absolute_url(self) -> str:
        return reverse("sla:statutory_days")


class CalendarDay(models.Model):
    """A day on which one calendar differs from its weekly hours and the statutory
    schedule: the hospital's own holiday, or an extra working day."""

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ("calendar", "date")
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = (
            models.UniqueConstraint(fields=("calendar", "date"), name="sla_unique_calendar_day"),
        )

    def __str__(self) -> str:
        return "%s %s" % (self.date.isoformat(), self.get_kind_display())

    def get_absolute_url(self) -> str:
        return self.calendar.get_absolute_url()


def default_pause_reasons() -> list[str]:
    return [TicketPendingReason.REQUESTER, TicketPendingReason.VENDOR]


class Agreement(models.Model):
    """A promise with targets per priority, measured on a business calendar: an SLA with
    the departments (the customer's view), an OLA with an internal support group, or an
    underpinning contract (UC) with a vendor. Empty service or department lists mean
    "all"; the most specific active agreement applies."""

    kind = models.CharField(_("kind"), max_length=8, choices=AgreementKind.choices)
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.PROTECT,
        related_name="agreements",
    )
    services = models.ManyToManyField(
        "cmdb.Service", verbose_name=_("services"), blank=True, related_name="agreements"
    )
    departments = models.ManyToManyField(
        "accounts.Department",
        verbose_name=_("departments"),
        blank=True,
        related_name="agreements",
    )
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        verbose_name=_("support group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agreements",
        help_text=_("OLA: the internal group measured."),
    )
    vendor = models.ForeignKey(
        "accounts.Vendor",
        verbose_name=_("vendor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agreements",
        help_text=_("Underpinning contract: the vendor whose groups are measured."),
    )
    pause_reasons = models.JSONField(
        _("pending reasons that pause the clock"), default=default_pause_reasons, blank=True
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ("kind", "name")
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sla:agreement_detail", args=[self.pk])

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.kind == AgreementKind.OLA and self.support_group_id is None:
            errors["support_group"] = _("An OLA names the support group it measures.")
        if self.kind == AgreementKind.UC and self.vendor_id is None:
            errors["vendor"] = _("An underpinning contract names the vendor it measures.")
        if self.kind != AgreementKind.OLA and self.support_group_id is not None:
            errors["support_group"] = _("Only an OLA names a support group.")
        if self.kind != AgreementKind.UC and self.vendor_id is not None:
            errors["vendor"] = _("Only an underpinning contract names a vendor.")
        unknown = set(self.pause_reasons or []) - set(TicketPendingReason.values)
        if not isinstance(self.pause_reasons, list) or unknown:
            errors["pause_reasons"] = _("Choose pending reasons from the list.")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The end of validity is before its start.")
        if errors:
            raise ValidationError(errors)


class AgreementTarget(models.Model):
    """The response and resolution targets of one agreement for one priority, in working
    seconds of the agreement's calendar."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="targets"
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=TicketPriority.choices)
    response_seconds = models.PositiveIntegerField(_("response target (working seconds)"))
    resolution_seconds = models.PositiveIntegerField(_("resolution target (working seconds)"))

    class Meta:
        ordering = ("agreement", "priority")
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = (
            models.UniqueConstraint(
                fields=("agreement", "priority"), name="sla_unique_target_priority"
            ),
        )

    def __str__(self) -> str:
        return "%s P%s" % (self.agreement, self.priority)

    def get_absolute_url(self) -> str:
        return self.agreement.get_absolute_url()

    def seconds_for(self, metric: str) -> int:
        return self.response_seconds if metric == ClockMetric.RESPONSE else self.resolution_seconds


class EscalationRule(models.Model):
    """What happens when a share of a clock's target has elapsed: at 75 % warn the assignee
    and the group lead; at 100 % (the breach) tell the IT managers, and perhaps reassign or
    raise the priority. Fires once per clock."""

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        on_delete=models.CASCADE,
        related_name="escalation_rules",
    )
    metric = models.CharField(_("clock"), max_length=16, choices=ClockMetric.choices)
    percent = models.PositiveSmallIntegerField(
        _("share of target elapsed (%)"),
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )
    notify_assignee = models.BooleanField(_("notify the assignee"), default=True)
    notify_group_lead = models.BooleanField(_("notify the group lead"), default=True)
    notify_managers = models.BooleanField(_("notify the IT managers"), default=False)
    reassign_to = models.ForeignKey(
        "accounts.SupportGroup",
        verbose_name=_("reassign to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    raise_priority = models.BooleanField(_("raise the priority"), default=False)

    class Meta:
        ordering = ("agreement", "metric", "percent")
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")
        constraints = (
            models.UniqueConstraint(
                fields=("agreement", "metric", "percent"), name="sla_unique_rule_share"
            ),
        )

    def __str__(self) -> str:
        return "%s %s %s%%" % (self.agreement, self.get_metric_display(), self.percent)

    def get_absolute_url(self) -> str:
        return self.agreement.get_absolute_url()


class ClockQuerySet(models.QuerySet["Clock"]):
    def running(self) -> ClockQuerySet:
        return self.filter(stopped_at__isnull=True, paused_since__isnull=True)

    def for_ticket(self, ticket: models.Model) -> ClockQuerySet:
        return self.filter(
            content_type=ContentType.objects.get_for_model(ticket), object_id=ticket.pk
        )


class Clock(models.Model):
    """One ticket measured against one target of one agreement: the SLA's response or
    resolution clock, or an OLA/UC clock of a group that held the ticket. Its state is
    folded from events: started, paused (working seconds paused so far), stopped. The due
    time is derived from these fields by the calendar and stored so that "what breaches in
    the next hour" is one indexed query."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    ticket = GenericForeignKey("content_type", "object_id")
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="clocks"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=AgreementKind.choices)
    metric = models.CharField(_("clock"), max_length=16, choices=ClockMetric.choices)
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        verbose_name=_("support group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=TicketPriority.choices)
    target_seconds = models.PositiveIntegerField(_("target (working seconds)"))
    started_at = models.DateTimeField(_("started at"))
    paused_seconds = models.PositiveBigIntegerField(_("paused (working seconds)"), default=0)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    stop_reason = models.CharField(
        _("stop reason"), max_length=16, choices=ClockStopReason.choices, blank=True
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    next_escalation_at = models.DateTimeField(_("next escalation at"), null=True, blank=True)

    objects = ClockQuerySet.as_manager()

    class Meta:
        ordering = ("started_at", "id")
        verbose_name = _("clock")
        verbose_name_plural = _("clocks")
        indexes = (
            models.Index(fields=("content_type", "object_id"), name="sla_clock_ticket_idx"),
            # Running clocks by due time: "what breaches in the next hour".
            models.Index(
                fields=("content_type", "due_at"),
                name="sla_clock_due_idx",
                condition=models.Q(stopped_at__isnull=True, paused_since__isnull=True),
            ),
            # The sweep's work list: only clocks with an escalation still to fire.
            models.Index(
                fields=("content_type", "next_escalation_at"),
                name="sla_clock_escalation_idx",
                condition=models.Q(next_escalation_at__isnull=False),
            ),
            models.Index(fields=("started_at", "kind"), name="sla_clock_report_idx"),
        )

    def __str__(self) -> str:
        return "%s %s %s" % (self.agreement, self.get_metric_display(), self.started_at)

    def get_absolute_url(self) -> str:
        ticket = self.ticket
        return str(ticket.get_absolute_url()) if ticket is not None else ""

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None and self.stopped_at is None

    @property
    def is_running(self) -> bool:
        return self.paused_since is None and self.stopped_at is None


class EscalationFiring(models.Model):
    """An escalation rule that fired for a clock. The unique pair makes each rule fire once
    per clock, whatever the number of workers sweeping at the same time."""

    clock = models.ForeignKey(
        Clock, verbose_name=_("clock"), on_delete=models.CASCADE, related_name="firings"
    )
    rule = models.ForeignKey(
        EscalationRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="firings"
    )
    fired_at = models.DateTimeField(_("fired at"), default=timezone.now)

    class Meta:
        ordering = ("fired_at", "id")
        verbose_name = _("escalation fired")
        verbose_name_plural = _("escalations fired")
        constraints = (
            models.UniqueConstraint(fields=("clock", "rule"), name="sla_fire_once_per_clock"),
        )

    def __str__(self) -> str:
        return "%s @ %s" % (self.rule, self.fired_at)

    def get_absolute_url(self) -> str:
        return self.clock.get_absolute_url()


class Generation(models.Model):
    """One token, changed in the same transaction as any change to calendars, agreements,
    targets or rules. Each process keeps its parsed copy of them while the counter stands
    still: one cheap read per ticket event instead of re-reading the configuration."""

    value = models.PositiveBigIntegerField(_("generation"), default=0)

    class Meta:
        ordering = ("pk",)
        verbose_name = _("SLA configuration generation")
        verbose_name_plural = _("SLA configuration generations")

    def __str__(self) -> str:
        return str(self.value)

    def get_absolute_url(self) -> str:
        return reverse("sla:agreement_list")


class DutyShift(models.Model):
    """Who is the on-duty IT manager (值班经理) from when to when. A priority-1 incident
    notifies whoever is on duty at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on-duty manager"),
        on_delete=models.CASCADE,
        related_name="duty_shifts",
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("to"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ("-starts_at",)
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty roster")
        indexes = (models.Index(fields=("starts_at", "ends_at"), name="sla_duty_idx"),)

    def __str__(self) -> str:
        return "%s %s–%s" % (self.user, self.starts_at, self.ends_at)

    def get_absolute_url(self) -> str:
        return reverse("sla:duty_edit", args=[self.pk])

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The shift must end after it starts.")})

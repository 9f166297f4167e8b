"""Requests for change (RFCs) and what hangs on them: the pre-approved templates of standard
changes, the risk questionnaire and its answers, the advisory boards and the approval steps
with each approver's decision, implementation tasks, and the links to the problems a change
fixes and the incidents it caused.

Other apps build on these models (the change calendar, blackout windows, releases): the
schedule is `planned_start`/`planned_end`, the people are `implementer` and
`assignment_group`, the affected items are the ticket base's `configuration_items`."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.changes.choices import (
    OPEN_CHANGE_STATUSES,
    ApprovalDecision,
    ApprovalStepKind,
    ApprovalStepStatus,
    BlackoutKind,
    BoardKind,
    ChangeOutcome,
    ChangeStatus,
    ChangeTaskStatus,
    ChangeType,
    CmdbUpdateKind,
    RiskLevel,
)
from itsm.core.models import Ticket

TEXT_LIMIT = 20000


class ChangeQuerySet(models.QuerySet["Change"]):
    def visible_to(self, user: Any) -> ChangeQuerySet:
        """The hospital's IT staff (who see every incident) see every change; a back-line
        (vendor) engineer sees the changes routed to his groups, those he implements, has
        a task on or is asked to approve, and those he requested; nobody else sees any."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        if not user.has_perm("changes.view_change"):
            return self.none()
        if user.has_perm("incidents.view_all_incidents"):
            return self
        mine = (
            Q(assignment_group_id__in=user.group_ids())
            | Q(implementer=user)
            | Q(requester=user)
            | Q(pk__in=ChangeTask.objects.filter(assignee=user).values("change_id"))
            | Q(pk__in=ApprovalStep.objects.filter(approvers=user).values("change_id"))
        )
        return self.filter(mine)

    def open(self) -> ChangeQuerySet:
        return self.filter(status__in=OPEN_CHANGE_STATUSES)


class ChangeTemplate(models.Model):
    """A pre-approved standard change (标准变更模板): a routine, low-risk change done the
    same way every time (renewing the 医保 interface certificate, adding a PACS storage
    volume). A change raised from it is standard and needs no CAB: the template's plans
    were approved once, when an administrator published it."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_LIMIT)
    reason = models.TextField(_("reason"), blank=True, max_length=TEXT_LIMIT)
    implementation_plan = models.TextField(
        _("implementation plan"), blank=True, max_length=TEXT_LIMIT
    )
    backout_plan = models.TextField(_("back-out plan"), blank=True, max_length=TEXT_LIMIT)
    test_plan = models.TextField(_("test plan"), blank=True, max_length=TEXT_LIMIT)
    duration_minutes = models.PositiveIntegerField(
        _("usual duration (minutes)"),
        default=60,
        help_text=_("Proposes the planned end from the planned start."),
    )
    downtime_expected = models.BooleanField(_("downtime expected"), default=False)
    downtime_minutes = models.PositiveIntegerField(
        _("expected downtime (minutes)"), null=True, blank=True
    )
    service = models.ForeignKey(
        "cmdb.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    configuration_items = models.ManyToManyField(
        "cmdb.ConfigurationItem",
        verbose_name=_("configuration items"),
        blank=True,
        related_name="+",
    )
    assignment_group = models.ForeignKey(
        "accounts.SupportGroup",
        verbose_name=_("assignment group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ("name",)
        verbose_name = _("standard change template")
        verbose_name_plural = _("standard change templates")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("changes:template_list")

    def clean(self) -> None:
        if self.downtime_expected and not self.downtime_minutes:
            raise ValidationError(
                {"downtime_minutes": _("Say how long the expected downtime lasts.")}
            )


class Change(Ticket):
    """A request for change (变更申请, RFC): what is to be changed on which configuration
    items, why, how (and how to back it out and test it), when, and with what downtime.
    `requester` raised it; `implementer` carries it out, helped by the tasks; the
    `assignment_group` owns it. Impact comes from the criticality of the affected services,
    the risk level from the questionnaire; together they decide the approval steps."""

    NUMBER_PREFIX: ClassVar[str] = "CHG"

    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ChangeStatus.choices,
        default=ChangeStatus.DRAFT,
        editable=False,
    )
    change_type = models.CharField(
        _("type"), max_length=16, choices=ChangeType.choices, default=ChangeType.NORMAL
    )
    template = models.ForeignKey(
        ChangeTemplate,
        verbose_name=_("standard change template"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
    )
    reason = models.TextField(_("reason for change"), blank=True, max_length=TEXT_LIMIT)
    implementation_plan = models.TextField(
        _("implementation plan"), blank=True, max_length=TEXT_LIMIT
    )
    backout_plan = models.TextField(_("back-out plan"), blank=True, max_length=TEXT_LIMIT)
    test_plan = models.TextField(_("test plan"), blank=True, max_length=TEXT_LIMIT)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    downtime_expected = models.BooleanField(_("downtime expected"), default=False)
    downtime_minutes = models.PositiveIntegerField(
        _("expected downtime (minutes)"), null=True, blank=True
    )
    implementer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("implementer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes_implemented",
    )
    risk_score = models.PositiveIntegerField(_("risk score"), null=True, blank=True, editable=False)
    risk_level = models.CharField(
        _("risk level"), max_length=8, choices=RiskLevel.choices, blank=True, editable=False
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, editable=False)
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True, editable=False)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True, editable=False)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ChangeOutcome.choices, blank=True, editable=False
    )
    outcome_notes = models.TextField(
        _("outcome notes"), blank=True, max_length=TEXT_LIMIT, editable=False
    )
    review_notes = models.TextField(
        _("post-implementation review"), blank=True, max_length=TEXT_LIMIT, editable=False
    )
    problems = models.ManyToManyField(
        "problems.Problem",
        verbose_name=_("problems fixed"),
        blank=True,
        related_name="fixing_changes",
    )
    blackout_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("blackout override by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    blackout_override_reason = models.TextField(
        _("blackout override reason"), blank=True, max_length=4000, editable=False
    )
    blackout_override_at = models.DateTimeField(
        _("blackout override at"), null=True, blank=True, editable=False
    )

    objects = ChangeQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        permissions = (("manage_change", _("Can manage changes (change manager)")),)
        indexes = (
            models.Index(fields=("status", "planned_start"), name="chg_status_start_idx"),
            models.Index(fields=("planned_start", "planned_end"), name="chg_window_idx"),
            models.Index(fields=("assignment_group", "status"), name="chg_group_idx"),
        )
        constraints = (
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_end__gt=models.F("planned_start")),
                name="chg_end_after_start",
            ),
        )

    def get_absolute_url(self) -> str:
        return reverse("changes:change_detail", args=[self.pk])

    def clean(self) -> None:
        """The change's own fields: a window ends after it starts, downtime has a duration,
        and a standard change names its template."""
        errors: dict[str, Any] = {}
        if self.planned_start and self.planned_end and self.planned_end <= self.planned_start:
            errors["planned_end"] = _("The planned end must be after the planned start.")
        if self.downtime_expected and not self.downtime_minutes:
            errors["downtime_minutes"] = _("Say how long the expected downtime lasts.")
        if self.change_type == ChangeType.STANDARD and not self.template_id:
            errors["template"] = _("A standard change is raised from a pre-approved template.")
        if self.change_type != ChangeType.STANDARD and self.template_id:
            errors["change_type"] = _("A change from a template is a standard change.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CHANGE_STATUSES

    @property
    def is_emergency(self) -> bool:
        return self.change_type == ChangeType.EMERGENCY

    @property
    def review_required(self) -> bool:
        """A post-implementation review is mandatory for failed, backed-out and emergency
        changes: they cannot be closed without its notes."""
        return self.is_emergency or self.outcome in (ChangeOutcome.FAILED, ChangeOutcome.BACKED_OUT)


class RiskQuestion(models.Model):
    """One question of the change risk questionnaire (风险评估问卷), edited by
    administrators. Each answer carries a score; a change's risk score is the sum of the
    scores of its answers, and the level follows from ITSM_CHANGE_RISK_MEDIUM/HIGH."""

    text = models.CharField(_("question"), max_length=300)
    text_en = models.CharField(_("question in English"), max_length=300, blank=True)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("risk question")
        verbose_name_plural = _("risk questions")

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("admin:changes_riskquestion_change", args=[self.pk])

    @property
    def label(self) -> str:
        from django.utils.translation import get_language

        if self.text_en and (get_language() or "").startswith("en"):
            return self.text_en
        return self.text


class RiskChoice(models.Model):
    """One possible answer to a risk question, with the score it adds."""

    question = models.ForeignKey(
        RiskQuestion, verbose_name=_("question"), on_delete=models.CASCADE, related_name="choices"
    )
    text = models.CharField(_("answer"), max_length=200)
    text_en = models.CharField(_("answer in English"), max_length=200, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), default=0)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ("question", "position", "id")
        verbose_name = _("risk answer choice")
        verbose_name_plural = _("risk answer choices")

    def __str__(self) -> str:
        return "%s (%d)" % (self.label, self.score)

    def get_absolute_url(self) -> str:
        return reverse("admin:changes_riskquestion_change", args=[self.question_id])

    @property
    def label(self) -> str:
        from django.utils.translation import get_language

        if self.text_en and (get_language() or "").startswith("en"):
            return self.text_en
        return self.text


class RiskAnswer(models.Model):
    """The answer a change gave to one risk question. The score is copied from the choice
    when answering, so that editing the questionnaire later does not rewrite past
    assessments."""

    change = models.ForeignKey(
        Change, verbose_name=_("change"), on_delete=models.CASCADE, related_name="risk_answers"
    )
    question = models.ForeignKey(
        RiskQuestion, verbose_name=_("question"), on_delete=models.PROTECT, related_name="+"
    )
    choice = models.ForeignKey(
        RiskChoice, verbose_name=_("answer"), on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("score"))

    class Meta:
        ordering = ("change", "question__position", "question_id")
        verbose_name = _("risk answer")
        verbose_name_plural = _("risk answers")
        constraints = (
            models.UniqueConstraint(fields=("change", "question"), name="unique_risk_answer"),
        )

    def __str__(self) -> str:
        return "%s: %s" % (self.question_id, self.choice_id)

    def get_absolute_url(self) -> str:
        return reverse("changes:change_detail", args=[self.change_id])


class AdvisoryBoard(models.Model):
    """A change advisory board (CAB) or the emergency CAB: its members, and how many of
    them must approve (the quorum, N of M). Edited by administrators; the active board of
    each kind is asked when a change needs it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=BoardKind.choices)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="advisory_boards"
    )
    quorum = models.PositiveSmallIntegerField(
        _("quorum"), default=2, help_text=_("How many members must approve.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ("kind", "name")
        verbose_name = _("change advisory board")
        verbose_name_plural = _("change advisory boards")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("admin:changes_advisoryboard_change", args=[self.pk])

    def clean(self) -> None:
        if self.quorum < 1:
            raise ValidationError({"quorum": _("At least one member must approve.")})


class ApprovalStep(models.Model):
    """One step of a change's approval path, decided in `position` order: the change
    manager, then the CAB, or the emergency CAB. The approvers are fixed when the step is
    created; the step is approved when `required` of them approve, rejected as soon as one
    rejects."""

    change = models.ForeignKey(
        Change,
        verbose_name=_("change"),
        on_delete=models.CASCADE,
        related_name="approval_steps",
    )
    position = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=16, choices=ApprovalStepKind.choices)
    board = models.ForeignKey(
        AdvisoryBoard,
        verbose_name=_("board"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("approvers"), related_name="+"
    )
    required = models.PositiveSmallIntegerField(_("approvals required"), default=1)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ApprovalStepStatus.choices,
        default=ApprovalStepStatus.PENDING,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ("change", "position")
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        constraints = (
            models.UniqueConstraint(fields=("change", "position"), name="unique_approval_step"),
        )

    def __str__(self) -> str:
        return "%s #%d %s" % (self.change_id, self.position, self.get_kind_display())

    def get_absolute_url(self) -> str:
        return reverse("changes:change_detail", args=[self.change_id])


class Approval(models.Model):
    """One approver's decision on one step, with his comment. Never edited: deciding twice
    is refused."""

    step = models.ForeignKey(
        ApprovalStep, verbose_name=_("step"), on_delete=models.CASCADE, related_name="approvals"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        on_delete=models.PROTECT,
        related_name="change_approvals",
    )
    decision = models.CharField(_("decision"), max_length=8, choices=ApprovalDecision.choices)
    comment = models.TextField(_("approval comment"), blank=True, max_length=4000)
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        ordering = ("step", "decided_at", "id")
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        constraints = (
            models.UniqueConstraint(fields=("step", "approver"), name="unique_approval"),
        )

    def __str__(self) -> str:
        return "%s: %s" % (self.approver_id, self.decision)

    def get_absolute_url(self) -> str:
        return reverse("changes:change_detail", args=[self.step.change_id])


class ChangeTask(models.Model):
    """One step of carrying out a change (stop the interface engine, back up the database,
    upgrade, test a registration), assigned to one engineer."""

    change = models.ForeignKey(
        Change, verbose_name=_("change"), on_delete=models.CASCADE, related_name="tasks"
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_LIMIT)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="change_tasks",
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ChangeTaskStatus.choices,
        default=ChangeTaskStatus.OPEN,
    )
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_LIMIT)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ("change", "position", "id")
        verbose_name = _("change task")
        verbose_name_plural = _("change tasks")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("changes:change_detail", args=[self.change_id])


class ChangeIncident(models.Model):
    """An incident caused by a change (变更引发的事件): counted in the change-induced
    incident rate."""

    change = models.ForeignKey(
        Change, verbose_name=_("change"), on_delete=models.CASCADE, related_name="incident_links"
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        related_name="change_links",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("linked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ("change", "linked_at", "id")
        verbose_name = _("change-induced incident")
        verbose_name_plural = _("change-induced incidents")
        constraints = (
            models.UniqueConstraint(fields=("change", "incident"), name="unique_change_incident"),
        )

    def __str__(self) -> str:
        return "%s → %s" % (self.change_id, self.incident_id)

    def get_absolute_url(self) -> str:
        return reverse("changes:change_detail", args=[self.change_id])


WEEKDAY_SHORT_NAMES = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))


class BlackoutQuerySet(models.QuerySet["BlackoutWindow"]):
    def visible_to(self, user: Any) -> BlackoutQuerySet:
        """Blackout windows are the hospital's rules, read by whoever sees changes."""
        if getattr(user, "is_authenticated", False) and user.has_perm("changes.view_change"):
            return self
        return self.none()

    def active(self) -> BlackoutQuerySet:
        return self.filter(active=True)


class BlackoutWindow(models.Model):
    """A time in which changes must not be done (变更冻结期/封网窗口), for one service or the
    whole hospital. Recurring windows repeat on some weekdays between two local times
    (Asia/Shanghai), optionally only between two dates: the outpatient morning peak
    Mon–Fri 07:30–11:30. An end time at or before the start time runs past midnight into
    the next day. Dated windows run from one moment to another: the Spring Festival week,
    an inspection week (等级评审). A change planned inside one is scheduled only with the
    change manager's recorded override."""

    name = models.CharField(_("name"), max_length=200)
    reason = models.TextField(_("reason"), blank=True, max_length=4000)
    kind = models.CharField(
        _("kind"), max_length=16, choices=BlackoutKind.choices, default=BlackoutKind.RECURRING
    )
    service = models.ForeignKey(
        "cmdb.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Leave empty for a hospital-wide window."),
    )
    weekdays = models.CharField(
        _("weekdays"),
        max_length=20,
        blank=True,
        help_text=_("ISO weekday numbers, 1 = Monday … 7 = Sunday, separated by commas."),
    )
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    objects = BlackoutQuerySet.as_manager()

    class Meta:
        ordering = ("kind", "name", "id")
        verbose_name = _("blackout window")
        verbose_name_plural = _("blackout windows")
        indexes = (models.Index(fields=("active", "kind"), name="chg_blackout_active_idx"),)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("changes:blackout_detail", args=[self.pk])

    @property
    def weekday_numbers(self) -> tuple[int, ...]:
        return tuple(sorted({int(d) for d in self.weekdays.split(",") if d.strip().isdigit()}))

    @property
    def weekday_labels(self) -> str:
        """The weekdays in words, runs shortened: “Mon–Fri”, “Sat, Sun”."""
        names = WEEKDAY_SHORT_NAMES
        days = [d for d in self.weekday_numbers if 1 <= d <= 7]
        runs: list[list[int]] = []
        for day in days:
            if runs and day == runs[-1][-1] + 1:
                runs[-1].append(day)
            else:
                runs.append([day])
        return ", ".join(
            "%s–%s" % (names[r[0] - 1], names[r[-1] - 1])
            if len(r) > 2
            else ", ".join(str(names[d - 1]) for d in r)
            for r in runs
        )

    def clean(self) -> None:
        """A recurring window needs weekdays and both times; a dated window needs its start
        and an end after it; date ranges run forwards."""
        errors: dict[str, Any] = {}
        if self.kind == BlackoutKind.RECURRING:
            days = [d.strip() for d in self.weekdays.split(",") if d.strip()]
            if not days:
                errors["weekdays"] = _("Choose at least one weekday.")
            elif any(not d.isdigit() or not 1 <= int(d) <= 7 for d in days):
                errors["weekdays"] = _("Weekdays are numbers from 1 (Monday) to 7 (Sunday).")
            if self.start_time is None:
                errors["start_time"] = _("Give the start time.")
            if self.end_time is None:
                errors["end_time"] = _("Give the end time.")
            elif self.start_time is not None and self.end_time == self.start_time:
                errors["end_time"] = _("The end time must differ from the start time.")
            if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
                errors["valid_until"] = _("The end of validity must not be before its start.")
        else:
            if self.starts_at is None:
                errors["starts_at"] = _("Give the start.")
            if self.ends_at is None:
                errors["ends_at"] = _("Give the end.")
            elif self.starts_at is not None and self.ends_at <= self.starts_at:
                errors["ends_at"] = _("The end must be after the start.")
        if errors:
            raise ValidationError(errors)


class DeclaredCmdbUpdate(models.Model):
    """A CMDB update a change declares while it is planned — a new configuration item, new
    attribute values on an item, a relationship added or removed, an item retired — and
    applies through the CMDB's services when it is implemented successfully, recorded in
    each item's history with the change's number. Items are named by code, so that a
    relationship may name an item the same change creates; the operations and their rules
    are `itsm.changes.cmdb_updates`."""

    change = models.ForeignKey(
        Change, verbose_name=_("change"), on_delete=models.CASCADE, related_name="cmdb_updates"
    )
    position = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("update"), max_length=16, choices=CmdbUpdateKind.choices)
    ci_code = models.CharField(
        _("configuration item"),
        max_length=64,
        help_text=_("The item's code; for a relationship, the item that relies on the other."),
    )
    ci_class = models.CharField(_("class"), max_length=32, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    fields = models.JSONField(_("fields"), default=dict, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    relationship_type = models.CharField(_("relationship type"), max_length=16, blank=True)
    other_code = models.CharField(
        _("related item"),
        max_length=64,
        blank=True,
        help_text=_("For a relationship: the code of the item relied on."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ("change", "position", "id")
        verbose_name = _("declared CMDB update")
        verbose_name_plural = _("declared CMDB updates")
        constraints = (
            models.UniqueConstraint(
                fields=("change", "position"), name="unique_declared_cmdb_update"
            ),
        )

    def __str__(self) -> str:
        return "%s %s %s" % (self.kind, self.ci_code, self.other_code)

    def get_absolute_url(self) -> str:
        return reverse("changes:change_detail", args=[self.change_id])

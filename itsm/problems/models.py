"""Problems (the unknown cause of one or more incidents), the incidents linked to them, and
the problems the trend detection proposes."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.core.models import Ticket
from itsm.problems.choices import (
    OPEN_PROBLEM_STATUSES,
    CauseCategory,
    ProblemStatus,
    ProposalStatus,
    TrendKind,
)


class ProblemQuerySet(models.QuerySet["Problem"]):
    def visible_to(self, user: Any) -> ProblemQuerySet:
        """IT staff who see every incident see every problem; a back-line engineer sees
        the problems assigned to one of his groups; nobody else sees any."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        if not user.has_perm("problems.view_problem"):
            return self.none()
        if user.has_perm("incidents.view_all_incidents"):
            return self
        return self.filter(assignment_group_id__in=user.group_ids())

    def open(self) -> ProblemQuerySet:
        return self.filter(status__in=OPEN_PROBLEM_STATUSES)

    def with_incident_count(self) -> ProblemQuerySet:
        """Annotate `incident_count`: a subquery, so that counting the rows for a page
        does not group the whole table."""
        links = (
            ProblemIncident.objects.filter(problem=OuterRef("pk"))
            .order_by()
            .values("problem")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(incident_count=Coalesce(Subquery(links), 0))


class Problem(Ticket):
    """The cause, known or not, of one or more incidents (问题), investigated until it is
    removed. `requester` is the person who raised it."""

    NUMBER_PREFIX: ClassVar[str] = "PRB"

    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ProblemStatus.choices,
        default=ProblemStatus.NEW,
        editable=False,
    )
    affected_services = models.ManyToManyField(
        "cmdb.Service", verbose_name=_("affected services"), blank=True, related_name="+"
    )
    symptoms = models.TextField(_("symptoms"), blank=True, max_length=20000)
    root_cause = models.TextField(_("root cause"), blank=True, max_length=20000)
    cause_category = models.CharField(
        _("cause category"), max_length=20, choices=CauseCategory.choices, blank=True
    )
    five_whys = models.TextField(_("five-why notes"), blank=True, max_length=20000)
    workaround = models.TextField(_("workaround"), blank=True, max_length=20000)
    change_number = models.CharField(
        _("permanent-fix change"),
        max_length=40,
        blank=True,
        help_text=_("The change record that removes the cause, e.g. CHG0000012."),
    )
    resolution_notes = models.TextField(
        _("resolution notes"), blank=True, max_length=20000, editable=False
    )
    incidents = models.ManyToManyField(
        "incidents.Incident",
        verbose_name=_("linked incidents"),
        through="ProblemIncident",
        related_name="problems",
        blank=True,
    )

    objects = ProblemQuerySet.as_manager()

    class Meta:
        ordering = ("priority", "created_at")
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        permissions = (("manage_problem", _("Can manage problems (problem manager)")),)
        indexes = (
            models.Index(fields=("status", "priority", "created_at"), name="prb_queue_idx"),
            models.Index(fields=("assignment_group", "status"), name="prb_group_idx"),
        )

    def get_absolute_url(self) -> str:
        return reverse("problems:problem_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PROBLEM_STATUSES


class ProblemIncident(models.Model):
    """One incident linked to one problem: when and by whom."""

    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="links"
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        related_name="problem_links",
    )
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
        ordering = ("problem", "linked_at", "id")
        verbose_name = _("linked incident")
        verbose_name_plural = _("linked incidents")
        constraints = (
            models.UniqueConstraint(fields=("problem", "incident"), name="unique_problem_incident"),
        )

    def __str__(self) -> str:
        return "%s ← %s" % (self.problem_id, self.incident_id)

    def get_absolute_url(self) -> str:
        return reverse("problems:problem_detail", args=[self.problem_id])


class ProposedProblem(models.Model):
    """A cluster of incidents the trend detection found (on one CI, one service or one
    incident category within a few days) that no problem covers: accepted, it becomes a
    problem; dismissed, it is remembered and its incidents are not proposed again."""

    kind = models.CharField(_("kind"), max_length=16, choices=TrendKind.choices)
    key = models.CharField(_("key"), max_length=64)
    label = models.CharField(_("about"), max_length=200)
    incidents = models.ManyToManyField(
        "incidents.Incident", verbose_name=_("incidents"), related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ProposalStatus.choices,
        default=ProposalStatus.PROPOSED,
        editable=False,
    )
    problem = models.ForeignKey(
        Problem,
        verbose_name=_("problem"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("proposed at"), default=timezone.now, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("proposed problem")
        verbose_name_plural = _("proposed problems")
        constraints = (
            models.UniqueConstraint(
                fields=("kind", "key"),
                condition=Q(status=ProposalStatus.PROPOSED),
                name="unique_open_proposal",
            ),
        )

    def __str__(self) -> str:
        return "%s: %s" % (self.get_kind_display(), self.label)

    def get_absolute_url(self) -> str:
        return reverse("problems:proposal_list")

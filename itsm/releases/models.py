"""Releases (a version of one or more applications, built, tested and deployed as one, under
the changes that authorise it) and their deployments: which version went to which
configuration item in which environment, when, by whom, and with what outcome."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.core.models import Ticket
from itsm.releases.choices import (
    OPEN_RELEASE_STATUSES,
    DeploymentEnvironment,
    DeploymentOutcome,
    ReleaseStatus,
    ReleaseType,
)

TEXT_LIMIT = 20000
VERSION_LENGTH = 100


class ReleaseQuerySet(models.QuerySet["Release"]):
    def visible_to(self, user: Any) -> ReleaseQuerySet:
        """The hospital's IT staff (who see every incident) see every release; a back-line
        (vendor) engineer sees the releases of his groups and those he owns; requesters
        and everybody else see none."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        if not user.has_perm("releases.view_release"):
            return self.none()
        if user.has_perm("incidents.view_all_incidents"):
            return self
        return self.filter(
            models.Q(assignment_group_id__in=user.group_ids()) | models.Q(assignee=user)
        )

    def open(self) -> ReleaseQuerySet:
        return self.filter(status__in=OPEN_RELEASE_STATUSES)


class Release(Ticket):
    """A release (发布): a version of the software the hospital runs (“HIS 5.3.2”), built
    by the vendor or the application group, tested, and deployed to the configuration items
    it ships, under the changes bundled in it. `requester` raised it, `assignee` owns it,
    `assignment_group` builds and deploys it."""

    NUMBER_PREFIX: ClassVar[str] = "REL"

    status = models.CharField(
        _("stage"),
        max_length=20,
        choices=ReleaseStatus.choices,
        default=ReleaseStatus.BUILD,
        editable=False,
    )
    release_version = models.CharField(
        _("version"),
        max_length=VERSION_LENGTH,
        help_text=_("The version shipped, e.g. “HIS 5.3.2”."),
    )
    release_type = models.CharField(
        _("type"), max_length=16, choices=ReleaseType.choices, default=ReleaseType.MINOR
    )
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    changes = models.ManyToManyField(
        "changes.Change",
        verbose_name=_("bundled changes"),
        blank=True,
        related_name="releases",
    )

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        permissions = (("manage_release", _("Can manage releases (release manager)")),)
        indexes = (
            models.Index(fields=("status", "created_at"), name="rel_stage_idx"),
            models.Index(fields=("assignment_group", "status"), name="rel_group_idx"),
        )

    def __str__(self) -> str:
        return "%s %s" % (self.number, self.release_version)

    def get_absolute_url(self) -> str:
        return reverse("releases:release_detail", args=[self.pk])

    def clean(self) -> None:
        if self.planned_start and self.planned_end and self.planned_end <= self.planned_start:
            raise ValidationError({"planned_end": _("The planned end must be after the start.")})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_RELEASE_STATUSES


class DeploymentQuerySet(models.QuerySet["Deployment"]):
    def visible_to(self, user: Any) -> DeploymentQuerySet:
        """The deployments of the releases the user sees."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser or (
            user.has_perm("releases.view_release") and user.has_perm("incidents.view_all_incidents")
        ):
            return self
        return self.filter(release__in=Release.objects.visible_to(user).values("pk"))


class Deployment(models.Model):
    """One installation of a release's version on one configuration item in one environment
    (部署记录): what was there before, what is there now, when, by whom and how it went. A
    rollback is a deployment too, back to the version the deployment it undoes replaced
    (`rollback_of`). Written only by `record_deployment` and `rollback_deployment`."""

    release = models.ForeignKey(
        Release, verbose_name=_("release"), on_delete=models.PROTECT, related_name="deployments"
    )
    configuration_item = models.ForeignKey(
        "cmdb.ConfigurationItem",
        verbose_name=_("configuration item"),
        on_delete=models.PROTECT,
        related_name="deployments",
    )
    environment = models.CharField(
        _("environment"), max_length=16, choices=DeploymentEnvironment.choices
    )
    version_deployed = models.CharField(_("version deployed"), max_length=VERSION_LENGTH)
    previous_version = models.CharField(
        _("previous version"), max_length=VERSION_LENGTH, blank=True
    )
    deployed_at = models.DateTimeField(_("deployed at"), default=timezone.now)
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deployed by"),
        on_delete=models.PROTECT,
        related_name="deployments",
    )
    outcome = models.CharField(
        _("outcome"),
        max_length=16,
        choices=DeploymentOutcome.choices,
        default=DeploymentOutcome.SUCCESSFUL,
    )
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_LIMIT)
    rollback_of = models.ForeignKey(
        "self",
        verbose_name=_("rollback of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rollbacks",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    objects = DeploymentQuerySet.as_manager()

    class Meta:
        ordering = ("-deployed_at", "-id")
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        indexes = (
            models.Index(
                fields=("configuration_item", "environment", "deployed_at"),
                name="deploy_ci_env_idx",
            ),
            models.Index(fields=("release", "deployed_at"), name="deploy_release_idx"),
        )

    def __str__(self) -> str:
        return "%s → %s (%s)" % (
            self.version_deployed,
            self.configuration_item_id,
            self.get_environment_display(),
        )

    def get_absolute_url(self) -> str:
        return reverse("releases:release_detail", args=[self.release_id])

    @property
    def is_rollback(self) -> bool:
        return self.rollback_of_id is not None

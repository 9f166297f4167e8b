"""The business services the IT department delivers and the configuration items they are
built from: the minimum incidents need to name what failed."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from itsm.cmdb.choices import (
    ConfigurationItemClass,
    ConfigurationItemStatus,
    Criticality,
    RelationshipType,
    ServiceStatus,
)


class Service(models.Model):
    """A business service clinical departments rely on: HIS, EMR, PACS, LIS, … The
    catalogue entry says who owns it, when it is offered, whom it serves (no departments
    means the whole hospital) and the availability it is meant to reach."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    criticality = models.PositiveSmallIntegerField(
        _("criticality"), choices=Criticality.choices, default=Criticality.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    owner_group = models.ForeignKey(
        "accounts.SupportGroup",
        verbose_name=_("owner group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_services",
    )
    service_hours = models.CharField(
        _("service hours"),
        max_length=100,
        blank=True,
        help_text=_("When the service is offered, e.g. “7×24” or “工作日 08:00–17:30”."),
    )
    departments = models.ManyToManyField(
        "accounts.Department",
        verbose_name=_("departments served"),
        blank=True,
        related_name="services",
        help_text=_("None means the whole hospital."),
    )
    availability_target = models.DecimalField(
        _("availability target (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("e.g. 99.90"),
    )

    class Meta:
        ordering = ("code",)
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        # The catalogue page lives with the agreements (sla), which name services; cmdb
        # itself has no pages. Reversed by name, so cmdb imports nothing from sla.
        return reverse("sla:service_detail", args=[self.pk])


class ConfigurationItem(models.Model):
    """Anything the IT department manages that can fail: a server, a workstation, a
    barcode printer, an application."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    ci_class = models.CharField(_("class"), max_length=32, choices=ConfigurationItemClass.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ConfigurationItemStatus.choices,
        default=ConfigurationItemStatus.IN_USE,
    )
    criticality = models.PositiveSmallIntegerField(
        _("criticality"), choices=Criticality.choices, default=Criticality.MEDIUM
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="configuration_items",
    )
    owner_group = models.ForeignKey(
        "accounts.SupportGroup",
        verbose_name=_("owner group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_configuration_items",
    )
    services = models.ManyToManyField(
        Service, verbose_name=_("services"), blank=True, related_name="configuration_items"
    )

    class Meta:
        ordering = ("code",)
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")

    def __str__(self) -> str:
        return "%s %s" % (self.code, self.name)

    def get_absolute_url(self) -> str:
        return reverse("admin:cmdb_configurationitem_change", args=[self.pk])


class Relationship(models.Model):
    """A typed, directed link between two configuration items: "PACS application runs on
    PACS server 01".

    Direction: "A depends_on B" (and every other type) means B's failure affects A. The
    impact of X is everything with a path of edges pointing to X (who relies on X), plus
    their business services and the departments those serve. Which classes each type may
    join, and which types may not loop, is `itsm.cmdb.relationships`; the rules are
    enforced by `itsm.cmdb.services.relate_cis`."""

    source = models.ForeignKey(
        ConfigurationItem,
        verbose_name=_("source item"),
        on_delete=models.CASCADE,
        related_name="relationships_out",
    )
    target = models.ForeignKey(
        ConfigurationItem,
        verbose_name=_("target item"),
        on_delete=models.CASCADE,
        related_name="relationships_in",
    )
    type = models.CharField(_("type"), max_length=16, choices=RelationshipType.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ("source_id", "type", "target_id")
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        constraints = [
            models.UniqueConstraint(
                fields=("source", "target", "type"), name="cmdb_relationship_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")),
                name="cmdb_relationship_not_self",
            ),
        ]
        indexes = [
            # Impact walks edges towards a CI (who relies on it), dependencies away from it.
            models.Index(fields=("target", "type"), name="cmdb_rel_target_type"),
            models.Index(fields=("source", "type"), name="cmdb_rel_source_type"),
        ]

    def __str__(self) -> str:
        return "%s %s %s" % (self.source.code, self.get_type_display(), self.target.code)

    def get_absolute_url(self) -> str:
        return reverse("admin:cmdb_configurationitem_change", args=[self.source_id])

"""The business services the IT department delivers and the configuration items they are
built from: the minimum incidents need to name what failed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from itsm.cmdb.choices import (
    AttributeType,
    ConfigurationItemStatus,
    Criticality,
    RelationshipType,
    ServiceStatus,
)

# campus → building → floor → room: how far up `place` reads.
PLACE_DEPTH = 4


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
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

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


class NamedInTwoLanguages(models.Model):
    """A record an administrator names: in Chinese (`name`, the hospital's language) and,
    optionally, in English (`name_en`). `label` is the name in the active language."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class CIClass(NamedInTwoLanguages):
    """A kind of configuration item, in a hierarchy (a virtual machine is a server, a
    barcode printer is a printer). A class has the attributes of its ancestors and its
    own, and may join relationships wherever an ancestor may (`itsm.cmdb.relationships`).
    Built-in classes come with the product; administrators add subclasses and attributes."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent class"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.TextField(_("description"), blank=True)
    builtin = models.BooleanField(_("built in"), default=False, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ("code",)
        verbose_name = _("CI class")
        verbose_name_plural = _("CI classes")

    def get_absolute_url(self) -> str:
        return reverse("admin:cmdb_ciclass_change", args=[self.pk])


class AttributeDefinition(NamedInTwoLanguages):
    """One typed attribute of a class's items (and its subclasses' items): "CPU cores"
    (number) on servers, "protocol" (choice) on medical device interfaces. Values live in
    `ConfigurationItem.attributes` under `code`; `itsm.cmdb.attributes` validates them on
    every write."""

    ci_class = models.ForeignKey(
        CIClass, verbose_name=_("class"), on_delete=models.CASCADE, related_name="attributes"
    )
    code = models.SlugField(
        _("code"),
        max_length=40,
        help_text=_("The key in the API and in import files, e.g. cpu_cores."),
    )
    type = models.CharField(_("type"), max_length=16, choices=AttributeType.choices)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_("For a choice attribute: the values allowed, as a list."),
    )
    reference_class = models.ForeignKey(
        CIClass,
        verbose_name=_("referenced class"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For a reference: the class (or a subclass) the referenced item must be."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ("ci_class__code", "order", "code")
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")
        constraints = [
            models.UniqueConstraint(fields=("ci_class", "code"), name="cmdb_attribute_unique")
        ]

    def clean(self) -> None:
        if self.type == AttributeType.CHOICE and not (
            isinstance(self.choices, list)
            and self.choices
            and all(isinstance(c, str) and c for c in self.choices)
        ):
            raise ValidationError({"choices": _("List the values a choice may take.")})
        if self.type != AttributeType.REFERENCE and self.reference_class_id is not None:
            raise ValidationError({"reference_class": _("Only a reference names a class.")})


class Contract(models.Model):
    """A purchase or maintenance contract (维保合同) with a vendor that items are covered by."""

    number = models.CharField(_("contract number"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    vendor = models.ForeignKey(
        "accounts.Vendor",
        verbose_name=_("vendor"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ("number",)
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")

    def __str__(self) -> str:
        return "%s %s" % (self.number, self.name)

    def get_absolute_url(self) -> str:
        return reverse("admin:cmdb_contract_change", args=[self.pk])


class ConfigurationItemQuerySet(models.QuerySet["ConfigurationItem"]):
    def visible_to(self, user: Any) -> ConfigurationItemQuerySet:
        """The CMDB is the IT department's shared map: whoever may view items sees them
        all (the permission is checked by the page or endpoint)."""
        return self

    def with_place(self) -> ConfigurationItemQuerySet:
        """With the locations `place` reads, in the same query."""
        return self.select_related("location__location__location__location")


ConfigurationItemManager = models.Manager.from_queryset(ConfigurationItemQuerySet)


class ConfigurationItem(models.Model):
    """Anything the IT department manages that can fail: a server, a workstation, a
    barcode printer, an application — and the places they stand in (locations are items
    too: campus → building → floor → room, each located in the one above)."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    ci_class = models.ForeignKey(
        CIClass,
        verbose_name=_("class"),
        to_field="code",
        db_column="ci_class",
        on_delete=models.PROTECT,
        related_name="items",
    )
    ci_class_id: str  # the class's code (the key is `CIClass.code`)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ConfigurationItemStatus.choices,
        default=ConfigurationItemStatus.IN_USE,
    )
    criticality = models.PositiveSmallIntegerField(
        _("criticality"), choices=Criticality.choices, default=Criticality.MEDIUM
    )
    location = models.ForeignKey(
        "self",
        verbose_name=_("location"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contents",
        help_text=_("The room, floor, building or campus it is in."),
    )
    position = models.CharField(
        _("position"),
        max_length=200,
        blank=True,
        help_text=_("Where exactly, e.g. “护士站 2 号台”."),
    )
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
    vendor = models.ForeignKey(
        "accounts.Vendor",
        verbose_name=_("vendor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="configuration_items",
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="configuration_items",
    )
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    asset_tag = models.CharField(_("asset tag"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    purchased_on = models.DateField(_("purchase date"), null=True, blank=True)
    warranty_ends_on = models.DateField(_("warranty end"), null=True, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    services = models.ManyToManyField(
        Service, verbose_name=_("services"), blank=True, related_name="configuration_items"
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)

    objects = ConfigurationItemManager()

    class Meta:
        ordering = ("code",)
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        constraints = [
            models.UniqueConstraint(
                fields=("asset_tag",),
                condition=~models.Q(asset_tag=""),
                name="cmdb_ci_asset_tag_unique",
            )
        ]
        indexes = [
            models.Index(fields=("ci_class", "status"), name="cmdb_ci_class_status"),
            models.Index(fields=("ip_address",), name="cmdb_ci_ip"),
            models.Index(fields=("serial_number",), name="cmdb_ci_serial"),
        ]

    def __str__(self) -> str:
        return "%s %s" % (self.code, self.name)

    def get_absolute_url(self) -> str:
        return reverse("cmdb:ci_detail", args=[self.pk])

    @property
    def place(self) -> str:
        """Where it is, as a person walking there reads it: "门诊楼 / 3层 / 收费处 2号窗口".
        Walks `location` upwards: select_related("location__location__location") in lists."""
        names: list[str] = []
        here = self.location if self.location_id is not None else None
        for _depth in range(PLACE_DEPTH):
            if here is None:
                break
            names.append(here.name)
            here = here.location if here.location_id is not None else None
        names.reverse()
        if self.position:
            names.append(self.position)
        return " / ".join(names)

    def field_snapshot(self) -> dict[str, Any]:
        """Concrete field values keyed by attribute name (attributes one key each as
        `attributes.<code>`), for audit diffs and history."""
        values = {
            f.attname: getattr(self, f.attname)
            for f in self._meta.concrete_fields
            if f.attname not in ("attributes", "version", "updated_at", "id")
        }
        values.update(
            {"attributes.%s" % key: value for key, value in (self.attributes or {}).items()}
        )
        return values


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

    def describe(self) -> str:
        """ "SRV-01 runs_on SRV-VMH-01": how audit entries name it."""
        return "%s %s %s" % (self.source.code, self.type, self.target.code)


class FormerRelationship(models.Model):
    """A relationship that was removed, kept with when it began and ended, so the CMDB can
    be read as it was at a past date (current relationships begin at `created_at`)."""

    source = models.ForeignKey(
        ConfigurationItem, verbose_name=_("source item"), on_delete=models.CASCADE, related_name="+"
    )
    target = models.ForeignKey(
        ConfigurationItem, verbose_name=_("target item"), on_delete=models.CASCADE, related_name="+"
    )
    type = models.CharField(_("type"), max_length=16, choices=RelationshipType.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))
    ended_at = models.DateTimeField(_("ended at"))

    class Meta:
        ordering = ("-ended_at",)
        verbose_name = _("former relationship")
        verbose_name_plural = _("former relationships")
        indexes = [
            models.Index(fields=("source", "ended_at"), name="cmdb_formerrel_source"),
            models.Index(fields=("target", "ended_at"), name="cmdb_formerrel_target"),
        ]

    def __str__(self) -> str:
        return "%s %s %s" % (self.source_id, self.type, self.target_id)


class ServiceOutage(models.Model):
    """A time a business service was (or is to be) unavailable: planned maintenance agreed
    in a change (停机维护), or an unplanned failure. Availability management computes its
    figures from these rows. A planned outage names the RFC it was agreed in by its number
    (text, not a link: the CMDB imports nothing from the change process)."""

    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.CASCADE, related_name="outages"
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    planned = models.BooleanField(_("planned"), default=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    change_number = models.CharField(_("change number"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ("-start", "-pk")
        verbose_name = _("service outage")
        verbose_name_plural = _("service outages")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="cmdb_outage_end_after_start"
            )
        ]
        indexes = [models.Index(fields=("service", "start"), name="cmdb_outage_service_start")]

    def __str__(self) -> str:
        return "%s %s – %s" % (self.service_id, self.start, self.end)

    def get_absolute_url(self) -> str:
        return self.service.get_absolute_url()

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

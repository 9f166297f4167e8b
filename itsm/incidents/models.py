"""Incidents, consultations and service requests logged at the service desk, and the
routing hops each one took between support groups."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.cmdb.models import NamedInTwoLanguages
from itsm.core.models import Ticket
from itsm.incidents.choices import (
    OPEN_STATUSES,
    IncidentChannel,
    IncidentKind,
    IncidentPendingReason,
    IncidentResolutionCode,
    IncidentRoutingKind,
    IncidentStatus,
)


class IncidentCategoryQuerySet(models.QuerySet["IncidentCategory"]):
    def tree(self) -> list[IncidentCategory]:
        """The categories in tree order (each parent before its children, siblings by
        code), each with `path` (its ancestors' labels and its own, joined by " › ") and
        `depth`: read in one query, whatever the depth of the tree."""
        by_id = {c.pk: c for c in self.order_by("code")}

        def lineage(category: IncidentCategory) -> list[IncidentCategory]:
            chain: list[IncidentCategory] = []
            here: IncidentCategory | None = category
            while here is not None and here not in chain:
                chain.insert(0, here)
                here = by_id.get(here.parent_id) if here.parent_id is not None else None
            return chain

        ordered = []
        for category in by_id.values():
            chain = lineage(category)
            category.path = " › ".join(c.label for c in chain)
            category.depth = len(chain) - 1
            ordered.append(([c.code for c in chain], category))
        return [category for _key, category in sorted(ordered, key=lambda row: row[0])]

    def with_descendants(self, category: IncidentCategory | int) -> set[int]:
        """The ids of the category and of every category below it (one query)."""
        root = category if isinstance(category, int) else category.pk
        children: dict[int | None, list[int]] = {}
        for pk, parent_id in self.values_list("pk", "parent_id"):
            children.setdefault(parent_id, []).append(pk)
        found: set[int] = set()
        todo = [root]
        while todo:
            pk = todo.pop()
            if pk in found:
                continue
            found.add(pk)
            todo.extend(children.get(pk, []))
        return found


class IncidentCategory(NamedInTwoLanguages):
    """What an incident is about, as the service desk classifies it: a small tree the
    hospital's IT department keeps (硬件 › 打印机, 软件 › HIS, 账号与权限 › 密码重置). The
    queues and the API filter by it (a category with its subcategories) and trend detection
    clusters incidents by it. Administrators maintain it in the admin; one in use cannot be
    deleted."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.TextField(_("description"), blank=True)

    objects = IncidentCategoryQuerySet.as_manager()

    # Set by `IncidentCategoryQuerySet.tree()`.
    path: str
    depth: int

    class Meta:
        ordering = ("code",)
        verbose_name = _("incident category")
        verbose_name_plural = _("incident categories")

    def __str__(self) -> str:
        # A category names its parent ("硬件 › 打印机"): "打印机" alone is ambiguous in
        # a list. Read with select_related("parent") where many are shown.
        if self.parent_id is not None and self.parent is not None:
            return "%s › %s" % (self.parent, self.label)
        return self.label

    def get_absolute_url(self) -> str:
        return "%s?category=%d" % (reverse("incidents:incident_list"), self.pk)

    def clean(self) -> None:
        if self.pk is not None and self.parent_id is not None:
            below = IncidentCategory.objects.with_descendants(self.pk)
            if self.parent_id in below:
                raise ValidationError(
                    {"parent": _("A category cannot be placed below itself or its subcategories.")}
                )


class IncidentQuerySet(models.QuerySet["Incident"]):
    @staticmethod
    def _sees_all(user: Any) -> bool:
        return bool(user.is_superuser or user.has_perm("incidents.view_all_incidents"))

    @staticmethod
    def _routed_groups(user: Any) -> list[int]:
        """The groups whose incidents, ever routed to them, a back-line engineer sees."""
        group_ids = user.group_ids()
        return list(group_ids) if group_ids and user.has_perm("incidents.work_incident") else []

    def visible_to(self, user: Any) -> IncidentQuerySet:
        """IT staff with view_all see everything; a back-line engineer sees what is or
        ever was routed to one of his groups; everyone sees what he reported himself."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if self._sees_all(user):
            return self
        group_ids = self._routed_groups(user)
        if group_ids:
            # Routed now, then routed before, asked of each incident the other conditions
            # leave (his queue, the open backlog): an incident at his group now needs no
            # look at its routing history, and an IN over every incident ever routed to
            # his groups would read them all first (90 ms at 1M for a queue of 188).
            routed = IncidentAssignment.objects.filter(
                incident_id=models.OuterRef("pk"), group_id__in=group_ids
            )
            return self.filter(
                models.Q(requester=user)
                | models.Q(assignment_group_id__in=group_ids)
                | models.Exists(routed)
            )
        return self.filter(requester=user)

    def visible_keys(self, user: Any) -> models.QuerySet[Any] | None:
        """The ids of the incidents `user` sees, some more than once, as lookups of three
        indexes (reported by him, ever routed to his groups, at them now): how many there
        are and whether an id is among them, without reading the incidents. None: every
        one."""
        if not getattr(user, "is_authenticated", False):
            return Incident.objects.none().values("pk")
        if self._sees_all(user):
            return None
        own = Incident.objects.filter(requester=user).order_by().values("pk")
        group_ids = self._routed_groups(user)
        if not group_ids:
            return own
        now = Incident.objects.filter(assignment_group_id__in=group_ids).order_by().values("pk")
        routed = IncidentAssignment.objects.filter(group_id__in=group_ids)
        # The routing history first: an index-only read, and usually the most of them.
        return own.union(routed.order_by().values("incident_id"), now, all=True)

    def open(self) -> IncidentQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Incident(Ticket):
    """A fault (故障), a consultation (咨询) or a service request (服务请求) that someone
    in the hospital reported to the service desk, worked until resolved and confirmed."""

    NUMBER_PREFIX: ClassVar[str] = "INC"

    status = models.CharField(
        _("status"),
        max_length=20,
        choices=IncidentStatus.choices,
        default=IncidentStatus.NEW,
        editable=False,
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=IncidentKind.choices, default=IncidentKind.INCIDENT
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=IncidentChannel.choices, default=IncidentChannel.PHONE
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    pending_reason = models.CharField(
        _("pending reason"),
        max_length=20,
        choices=IncidentPendingReason.choices,
        blank=True,
        editable=False,
    )
    resolution_code = models.CharField(
        _("resolution code"),
        max_length=20,
        choices=IncidentResolutionCode.choices,
        blank=True,
        editable=False,
    )
    resolution_notes = models.TextField(
        _("resolution notes"), blank=True, max_length=20000, editable=False
    )
    major = models.BooleanField(_("major incident"), default=False, editable=False)
    category = models.ForeignKey(
        IncidentCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    related = models.ManyToManyField(
        "self", verbose_name=_("related incidents"), blank=True, symmetrical=True
    )
    reassignment_count = models.PositiveIntegerField(
        _("reassignment count"), default=0, editable=False
    )
    solved_by_article = models.ForeignKey(
        "knowledge.Article",
        verbose_name=_("solved by article"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="solved_incidents",
        editable=False,
    )
    first_contact = models.BooleanField(
        _("resolved at first contact"),
        default=False,
        editable=False,
        help_text=_("Resolved by the service desk while logging it, without assignment."),
    )

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ("priority", "reported_at")
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        permissions = (
            ("view_all_incidents", _("Can see every incident")),
            ("log_incident_for_others", _("Can log incidents for other people")),
            ("assign_incident", _("Can assign incidents")),
            ("escalate_incident", _("Can escalate and reassign incidents")),
            ("work_incident", _("Can work on incidents")),
            ("resolve_incident", _("Can resolve incidents")),
            ("confirm_incident", _("Can confirm a resolution")),
            ("close_incident", _("Can close incidents for the requester")),
            ("reopen_incident", _("Can reopen incidents")),
            ("cancel_incident", _("Can cancel incidents")),
            ("set_major_incident", _("Can declare major incidents")),
            ("link_incident", _("Can link incidents")),
            ("add_work_note", _("Can write internal work notes")),
        )
        indexes = (
            models.Index(fields=("status", "priority", "reported_at"), name="inc_queue_idx"),
            models.Index(fields=("priority", "reported_at"), name="inc_order_idx"),
            # The open backlog (a few thousand rows) in queue order: "all open" sorts by
            # priority and age without walking the closed history in inc_order_idx.
            models.Index(
                fields=("priority", "reported_at"),
                name="inc_open_queue_idx",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            # Open incidents by SLA due time: "sort by time left" and "breaching soon".
            models.Index(
                fields=("resolution_due_at",),
                name="inc_resolution_due_idx",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=("response_due_at",),
                name="inc_response_due_idx",
                condition=models.Q(status__in=OPEN_STATUSES, responded_at__isnull=True),
            ),
            models.Index(fields=("assignment_group", "status"), name="inc_group_idx"),
            models.Index(fields=("assignee", "status"), name="inc_assignee_idx"),
            models.Index(fields=("requester", "reported_at"), name="inc_requester_idx"),
            models.Index(fields=("reported_at",), name="inc_reported_idx"),
        )

    def get_absolute_url(self) -> str:
        return reverse("incidents:incident_detail", args=[self.pk])

    def clean(self) -> None:
        if self.reported_at and self.reported_at > timezone.now() + timedelta(minutes=5):
            raise ValidationError({"reported_at": _("The report time cannot be in the future.")})
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": _("An incident cannot be its own parent.")})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class IncidentAssignment(models.Model):
    """One routing hop: the incident was assigned, escalated or reassigned to a group (and
    maybe a member). Every group an incident ever reached is here, which is also what lets
    that group's back-line engineers keep seeing it."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="routing"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=IncidentRoutingKind.choices)
    from_group = models.ForeignKey(
        "accounts.SupportGroup",
        verbose_name=_("from group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    group = models.ForeignKey(
        "accounts.SupportGroup",
        verbose_name=_("group"),
        on_delete=models.PROTECT,
        related_name="incident_assignments",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ("incident", "created_at", "id")
        verbose_name = _("routing hop")
        verbose_name_plural = _("routing hops")
        indexes = (models.Index(fields=("group", "incident"), name="inc_routing_group_idx"),)

    def __str__(self) -> str:
        return "%s → %s" % (self.incident.number, self.group)

    def get_absolute_url(self) -> str:
        return self.incident.get_absolute_url()

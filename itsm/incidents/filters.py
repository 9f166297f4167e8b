"""The one FilterSet for incident lists: the queue pages and /api/incidents/ both use it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import Department, SupportGroup
from itsm.cmdb.models import Service
from itsm.core.choices import TicketPriority
from itsm.incidents.choices import OPEN_STATUSES, IncidentKind, IncidentStatus
from itsm.incidents.forms import CategoryChoiceField
from itsm.incidents.models import Incident, IncidentCategory


class IncidentQueue:
    MINE = "mine"
    MY_GROUPS = "my_groups"
    UNASSIGNED = "unassigned"
    ALL = "all"

    choices = (
        (MINE, _("Assigned to me")),
        (MY_GROUPS, _("My groups")),
        (UNASSIGNED, _("Unassigned")),
        (ALL, _("All I can see")),
    )


class IncidentSlaState:
    BREACHED = "breached"
    DUE_SOON = "due_soon"
    PAUSED = "paused"

    choices = (
        (BREACHED, _("Overdue or breached")),
        (DUE_SOON, _("Due within the hour")),
        (PAUSED, _("Clock paused")),
    )


class CategoryFilter(django_filters.ModelChoiceFilter):  # type: ignore[misc]
    """An incident category, chosen from the tree by its path."""

    field_class = CategoryChoiceField


class IncidentFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(label=_("Number or title"), method="filter_q")
    queue = django_filters.ChoiceFilter(
        label=_("Queue"), choices=IncidentQueue.choices, method="filter_queue"
    )
    # distinct=False: these filter the incident table itself, so no join can repeat a row,
    # and DISTINCT over a million rows makes the count seconds slower.
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=IncidentStatus.choices, distinct=False
    )
    open = django_filters.BooleanFilter(label=_("Open only"), method="filter_open")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=IncidentKind.choices)
    priority = django_filters.MultipleChoiceFilter(
        label=_("Priority"), choices=TicketPriority.choices, distinct=False
    )
    assignment_group = django_filters.ModelChoiceFilter(
        label=_("Group"), queryset=SupportGroup.objects.all()
    )
    service = django_filters.ModelChoiceFilter(label=_("Service"), queryset=Service.objects.all())
    category = CategoryFilter(
        label=_("Category"),
        queryset=IncidentCategory.objects.all(),
        method="filter_category",
        help_text=_("Includes its subcategories."),
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), queryset=Department.objects.all()
    )
    major = django_filters.BooleanFilter(label=_("Major incident"))
    # The link "all incidents on this item" of a configuration item's page.
    ci = django_filters.NumberFilter(
        label=_("Configuration item"), field_name="configuration_items", distinct=False
    )
    sla = django_filters.ChoiceFilter(
        label=_("Service level"), choices=IncidentSlaState.choices, method="filter_sla"
    )
    reported_after = django_filters.DateFilter(
        label=_("Reported from"), field_name="reported_at", lookup_expr="date__gte"
    )
    reported_before = django_filters.DateFilter(
        label=_("Reported until"), field_name="reported_at", lookup_expr="date__lte"
    )

    class Meta:
        model = Incident
        fields = (
            "q",
            "queue",
            "status",
            "kind",
            "priority",
            "assignment_group",
            "service",
            "category",
            "department",
            "major",
            "sla",
            "requester",
            "assignee",
        )

    def filter_q(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith(Incident.NUMBER_PREFIX) or value.isdigit():
            number = value.upper()
            if number.isdigit():
                number = "%s%07d" % (Incident.NUMBER_PREFIX, int(number))
            return queryset.filter(number=number)
        condition = Q()
        for word in value.split():
            condition &= Q(title__icontains=word)
        return queryset.filter(condition)

    def filter_category(
        self, queryset: QuerySet[Incident], name: str, value: IncidentCategory | None
    ) -> QuerySet[Incident]:
        """The category and every category below it: "硬件" finds the printers too."""
        if value is None:
            return queryset
        return queryset.filter(category_id__in=IncidentCategory.objects.with_descendants(value))

    def filter_queue(self, queryset: QuerySet[Incident], name: str, value: str) -> Any:
        user = self.request.user if self.request else None
        if value == IncidentQueue.MINE:
            return queryset.filter(assignee=user)
        if value == IncidentQueue.MY_GROUPS and user is not None:
            return queryset.filter(assignment_group__in=user.group_ids())
        if value == IncidentQueue.UNASSIGNED:
            return queryset.filter(
                Q(assignment_group__isnull=True) | Q(assignee__isnull=True),
                status__in=OPEN_STATUSES,
            )
        return queryset

    def filter_open(self, queryset: QuerySet[Incident], name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        if value:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.exclude(status__in=OPEN_STATUSES)

    def filter_sla(self, queryset: QuerySet[Incident], name: str, value: str) -> Any:
        """From the due times stored on the incidents (indexed): no clock is read."""
        now = timezone.now()
        unanswered = Q(responded_at__isnull=True)
        if value == IncidentSlaState.BREACHED:
            return queryset.filter(
                Q(sla_breached=True)
                | Q(status__in=OPEN_STATUSES, resolution_due_at__lte=now)
                | Q(status__in=OPEN_STATUSES, response_due_at__lte=now) & unanswered
            )
        if value == IncidentSlaState.DUE_SOON:
            soon = now + timedelta(hours=1)
            return queryset.filter(
                Q(resolution_due_at__gt=now, resolution_due_at__lte=soon)
                | Q(response_due_at__gt=now, response_due_at__lte=soon) & unanswered,
                status__in=OPEN_STATUSES,
            )
        if value == IncidentSlaState.PAUSED:
            return queryset.filter(sla_paused=True, status__in=OPEN_STATUSES)
        return queryset

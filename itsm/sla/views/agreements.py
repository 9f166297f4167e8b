"""The service catalogue and the agreements (SLA, OLA, UC) with their targets and escalation
rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.cmdb.models import Service
from itsm.core.choices import TicketPendingReason, TicketPriority
from itsm.core.exceptions import ConflictError
from itsm.core.views import (
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    add_service_errors,
    parse_version,
    redirect_after_post,
)
from itsm.sla import configuration
from itsm.sla.choices import AgreementKind
from itsm.sla.filters import AgreementFilterSet, ServiceFilterSet
from itsm.sla.forms import (
    METRIC_LABELS,
    AgreementForm,
    RuleFormSet,
    TargetFormSet,
    duration_input,
    format_duration,
    working_day_seconds,
)
from itsm.sla.models import Agreement, AgreementTarget, EscalationRule, WorkingPeriod
from itsm.sla.views.base import MANAGE, VIEW, SlaMixin

# --------------------------------------------------------------------------------------
# Service catalogue


class ServiceListView(SlaMixin, ObjectListView):
    """The catalogue: each business service with its owner, criticality, hours, the
    availability it aims at and how many departments it serves."""

    model = Service
    permission = VIEW
    filterset_class = ServiceFilterSet
    template_name = "sla/service_list.html"
    partial_template_name = "sla/_service_table.html"
    select_related = ("owner_group",)
    sort_fields = {
        "code": ("code",),
        "name": ("name",),
        "criticality": ("criticality", "code"),
        "availability": ("availability_target", "code"),
    }
    default_sort = "code"

    def get_queryset(self) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset()
        annotated: QuerySet[Any] = queryset.annotate(
            department_count=Count("departments", distinct=True),
            agreement_count=Count("agreements", distinct=True),
        )
        return annotated

    def get_context_data(self, **context: Any) -> dict[str, Any]:
        return {**context, "nav": self.nav, "sla_tab": "services"}


class ServiceDetailView(SlaMixin, ObjectDetailView):
    """One service: its catalogue entry, the departments it serves, and the agreements that
    measure it: those naming it and those covering every service."""

    model = Service
    permission = VIEW
    template_name = "sla/service_detail.html"
    select_related = ("owner_group",)

    def get_context_data(self, obj: Any, **context: Any) -> dict[str, Any]:
        agreements = (
            Agreement.objects.filter(Q(services=obj) | Q(services__isnull=True))
            .distinct()
            .select_related("calendar", "support_group", "vendor")
            .prefetch_related(
                "calendar__periods",
                Prefetch("targets", queryset=AgreementTarget.objects.order_by("priority")),
            )
            .order_by("kind", "name")
        )
        named = set(obj.agreements.values_list("pk", flat=True))
        rows = [
            {"agreement": a, "named": a.pk in named, "targets": target_cells(a)} for a in agreements
        ]
        return super().get_context_data(
            obj,
            departments=list(obj.departments.all()),
            agreement_rows=rows,
            priorities=target_priorities(),
            nav=self.nav,
            sla_tab="services",
            **context,
        )


# --------------------------------------------------------------------------------------
# Agreements


def target_priorities() -> list[tuple[int, str]]:
    """The priorities agreements set targets for (P5 planning has none by default, but an
    agreement may still give one)."""
    return [(value, str(label)) for value, label in TicketPriority.choices]


def target_cells(agreement: Agreement) -> list[dict[str, Any]]:
    """The agreement's targets, one cell per priority, formatted in its calendar's terms
    (working days on a working-hours calendar). Uses the prefetched targets and periods."""
    calendar = agreement.calendar
    day = working_day_seconds(calendar)
    by_priority = {t.priority: t for t in agreement.targets.all()}
    cells = []
    for value, label in target_priorities():
        target = by_priority.get(value)
        cells.append(
            {
                "priority": value,
                "label": label,
                "target": target,
                "response": format_duration(
                    target.response_seconds, day, always_open=calendar.always_open
                )
                if target
                else "",
                "resolution": format_duration(
                    target.resolution_seconds, day, always_open=calendar.always_open
                )
                if target
                else "",
            }
        )
    return cells


AGREEMENT_TABS = (("", _("All")), *AgreementKind.choices)


class AgreementListView(SlaMixin, ObjectListView):
    model = Agreement
    permission = VIEW
    filterset_class = AgreementFilterSet
    template_name = "sla/agreement_list.html"
    partial_template_name = "sla/_agreement_table.html"
    select_related = ("calendar", "support_group", "vendor")
    sort_fields = {"name": ("name",), "kind": ("kind", "name"), "calendar": ("calendar__name",)}
    default_sort = "kind"

    def get_queryset(self) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset()
        annotated: QuerySet[Any] = queryset.annotate(
            service_count=Count("services", distinct=True),
            department_count=Count("departments", distinct=True),
            target_count=Count("targets", distinct=True),
        )
        return annotated

    def get_context_data(self, **context: Any) -> dict[str, Any]:
        return {
            **context,
            "tabs": AGREEMENT_TABS,
            "kind": context["filter_data"].get("kind", ""),
            "nav": self.nav,
            "sla_tab": "agreements",
        }


class AgreementDetailView(SlaMixin, ObjectDetailView):
    model = Agreement
    permission = VIEW
    template_name = "sla/agreement_detail.html"
    select_related = ("calendar", "support_group", "vendor")

    def get_queryset(self) -> QuerySet[Any]:
        return (
            super()
            .get_queryset()
            .prefetch_related(
                "services",
                "departments",
                Prefetch("calendar__periods", queryset=WorkingPeriod.objects.all()),
                Prefetch("targets", queryset=AgreementTarget.objects.order_by("priority")),
                Prefetch(
                    "escalation_rules",
                    queryset=EscalationRule.objects.select_related("reassign_to").order_by(
                        "metric", "percent"
                    ),
                ),
            )
        )

    def get_context_data(self, obj: Any, **context: Any) -> dict[str, Any]:
        reasons = dict(TicketPendingReason.choices)
        rules = [
            (rule, METRIC_LABELS.get(rule.metric, rule.metric))
            for rule in obj.escalation_rules.all()
        ]
        return super().get_context_data(
            obj,
            rules=rules,
            target_rows=target_cells(obj),
            pause_labels=[str(reasons.get(r, r)) for r in obj.pause_reasons or []],
            day_length=format_duration(working_day_seconds(obj.calendar)),
            can_change=self.request.user.has_perm(MANAGE),
            nav=self.nav,
            sla_tab="agreements",
            **context,
        )


class AgreementEditView(SlaMixin, ObjectEditView):
    """Create or edit an agreement with its targets (one row per priority) and escalation
    rules on one page. The page's version travels with the form: if someone changed the
    agreement meanwhile, nothing is overwritten (409)."""

    model = Agreement
    form_class = AgreementForm
    template_name = "sla/agreement_edit.html"
    versioned = True
    success_message = _("Agreement “%(object)s” saved.")
    permission_message = _("Only IT managers and administrators change agreements.")

    def check_permission(self) -> None:
        permission = "sla.change_agreement" if "pk" in self.kwargs else "sla.add_agreement"
        if not self.request.user.has_perm(permission):
            raise PermissionDenied(str(self.permission_message))

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().prefetch_related("calendar__periods")

    def formsets(self, obj: Agreement | None, data: QueryDict | None = None) -> tuple[Any, Any]:
        day = working_day_seconds(obj.calendar) if obj is not None else 0
        current = {t.priority: t for t in obj.targets.all()} if obj is not None else {}
        target_initial = [
            {
                "priority": value,
                "response": duration_input(current[value].response_seconds, day)
                if value in current
                else "",
                "resolution": duration_input(current[value].resolution_seconds, day)
                if value in current
                else "",
            }
            for value, _label in target_priorities()
        ]
        rule_initial = (
            [
                {name: getattr(rule, name) for name in configuration.RULE_FIELDS}
                for rule in obj.escalation_rules.order_by("metric", "percent")
            ]
            if obj is not None
            else []
        )
        targets = TargetFormSet(data, initial=target_initial, prefix="targets")
        rules = RuleFormSet(data, initial=rule_initial, prefix="rules")
        return targets, rules

    def get_context_data(self, obj: Any, form: forms.BaseForm, **context: Any) -> dict[str, Any]:
        if "targets" not in context:
            context["targets"], context["rules"] = self.formsets(obj)
        return super().get_context_data(
            obj,
            form,
            version=obj.version if obj is not None else "",
            nav=self.nav,
            sla_tab="agreements",
            **context,
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.fetch()
        self.check_permission()
        form = self.get_form(obj, request.POST)
        targets, rules = self.formsets(obj, request.POST)
        version = parse_version(request.POST)
        if obj is not None and version is None:
            form.full_clean()
            form.add_error(None, gettext("The form is incomplete: reload the page."))
        valid = all([form.is_valid(), targets.is_valid(), rules.is_valid()])
        if valid:
            data = dict(form.cleaned_data)
            day = working_day_seconds(data["calendar"])
            try:
                saved = configuration.save_agreement(
                    obj,
                    data,
                    targets.rows(day),
                    rules.rows(),
                    actor=request.user,
                    version=version,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except ConflictError as exc:
                context = self.get_context_data(
                    obj, form, targets=targets, rules=rules, conflict=exc.message
                )
                return self.render(context, status=409)
            else:
                messages.success(request, self.get_success_message(saved))
                return redirect_after_post(request, saved.get_absolute_url())
        context = self.get_context_data(obj, form, targets=targets, rules=rules)
        return self.render(context, status=400)

"""Service level pages for IT staff: the service catalogue, agreements (SLA, OLA, UC) with
their targets and escalation rules, business calendars with their days, the national
statutory table and the duty roster. Everyone in IT reads them; IT managers and
administrators change them, through the verbs of `configuration` and `calendars`."""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.cmdb.models import Service
from itsm.core.choices import TicketPendingReason, TicketPriority
from itsm.core.exceptions import ConflictError
from itsm.core.views import (
    ItsmView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ObjectMixin,
    add_service_errors,
    parse_version,
    redirect_after_post,
)
from itsm.sla import configuration
from itsm.sla.calendars import calendar_warnings
from itsm.sla.choices import AgreementKind, Weekday
from itsm.sla.filters import AgreementFilterSet, DutyShiftFilterSet, ServiceFilterSet
from itsm.sla.forms import (
    AgreementForm,
    CalendarDayForm,
    CalendarForm,
    DutyShiftForm,
    METRIC_LABELS,
    ImportForm,
    RuleFormSet,
    TargetFormSet,
    duration_input,
    format_duration,
    working_day_seconds,
)
from itsm.sla.models import (
    Agreement,
    AgreementTarget,
    BusinessCalendar,
    CalendarDay,
    DutyShift,
    EscalationRule,
    StatutoryDay,
    WorkingPeriod,
)

VIEW = "sla.view_agreement"
MANAGE = "sla.change_agreement"


class SlaMixin(ObjectMixin):
    """Service level settings are not per-user records: whoever may view the model sees
    every row (no `visible_to`), and the permission is checked before anything is
    fetched."""

    nav: ClassVar[str] = "sla"
    check_permission_first = True

    def get_queryset(self) -> QuerySet[Any]:
        queryset: QuerySet[Any] = self.model._default_manager.all()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset


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
                Prefetch("targets", queryset=AgreementTarget.objects.order_by("priority"))
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


# --------------------------------------------------------------------------------------
# Calendars


class CalendarListView(SlaMixin, ItsmView):
    permission = "sla.view_businesscalendar"
    template_name = "sla/calendar_list.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        calendars = BusinessCalendar.objects.annotate(
            agreement_count=Count("agreements", distinct=True),
            day_count=Count("days", distinct=True),
        ).prefetch_related("periods")
        rows = [{"calendar": c, "week": week_summary(c)} for c in calendars]
        return self.render({"rows": rows, "nav": self.nav, "sla_tab": "calendars"})


def week_summary(calendar: BusinessCalendar) -> list[dict[str, Any]]:
    """One entry per weekday with its periods as text, from the prefetched periods."""
    by_day: dict[int, list[str]] = {}
    for period in calendar.periods.all():
        by_day.setdefault(period.weekday, []).append(
            "%s–%s" % (period.starts.strftime("%H:%M"), period_end(period.ends))
        )
    return [
        {"weekday": value, "label": label, "periods": by_day.get(value, [])}
        for value, label in Weekday.choices
    ]


def period_end(ends: datetime.time) -> str:
    return "24:00" if ends.second == 59 else ends.strftime("%H:%M")


class CalendarDetailView(SlaMixin, ObjectDetailView):
    model = BusinessCalendar
    permission = "sla.view_businesscalendar"
    template_name = "sla/calendar_detail.html"

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().prefetch_related("periods")

    def get_context_data(self, obj: Any, **context: Any) -> dict[str, Any]:
        today = timezone.localdate()
        years = (today.year, today.year + 1)
        statutory = list(StatutoryDay.objects.filter(date__year__in=years).order_by("date"))
        context.setdefault("day_form", CalendarDayForm())
        return super().get_context_data(
            obj,
            week=week_summary(obj),
            days=list(obj.days.order_by("date")),
            statutory_years=[
                (year, [d for d in statutory if d.date.year == year]) for year in years
            ],
            warnings=calendar_warnings(obj, today),
            agreements=list(obj.agreements.order_by("kind", "name")),
            can_change=self.request.user.has_perm("sla.change_businesscalendar"),
            nav=self.nav,
            sla_tab="calendars",
            **context,
        )


class CalendarEditView(SlaMixin, ObjectEditView):
    """Create or edit a calendar: its fields and its weekly hours, one line per weekday."""

    model = BusinessCalendar
    form_class = CalendarForm
    template_name = "sla/calendar_edit.html"
    versioned = True
    success_message = _("Calendar “%(object)s” saved.")
    permission_message = _("Only IT managers and administrators change calendars.")

    def check_permission(self) -> None:
        permission = (
            "sla.change_businesscalendar" if "pk" in self.kwargs else "sla.add_businesscalendar"
        )
        if not self.request.user.has_perm(permission):
            raise PermissionDenied(str(self.permission_message))

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().prefetch_related("periods")

    def get_context_data(self, obj: Any, form: forms.BaseForm, **context: Any) -> dict[str, Any]:
        return super().get_context_data(
            obj,
            form,
            version=obj.version if obj is not None else "",
            nav=self.nav,
            sla_tab="calendars",
            **context,
        )

    def save(self, form: forms.BaseForm, obj: Any, version: int | None) -> Any:
        assert isinstance(form, CalendarForm)
        data = {name: form.cleaned_data[name] for name in configuration.CALENDAR_FIELDS}
        with transaction.atomic():
            calendar = configuration.save_calendar(
                obj, data, actor=self.request.user, version=version
            )
            current = [
                (p.weekday, p.starts, p.ends)
                for p in calendar.periods.order_by("weekday", "starts")
            ]
            wanted = [(p["weekday"], p["starts"], p["ends"]) for p in form.periods()]
            if current != wanted:
                configuration.replace_periods(calendar, form.periods(), actor=self.request.user)
        return calendar


class CalendarDayView(SlaMixin, ItsmView):
    """Add a day to a calendar (POST), or remove one (POST …/days/<day>/remove/)."""

    model = BusinessCalendar
    permission = "sla.change_businesscalendar"
    permission_message = _("Only IT managers and administrators change calendars.")
    template_name = "sla/calendar_detail.html"

    def post(self, request: HttpRequest, pk: int, day: int | None = None) -> HttpResponse:
        calendar = get_object_or_404(BusinessCalendar, pk=pk)
        if day is not None:
            entry = get_object_or_404(CalendarDay, pk=day, calendar=calendar)
            configuration.remove_day(entry, actor=request.user)
            messages.success(request, gettext("Day removed."))
            return redirect_after_post(request, calendar.get_absolute_url() + "#days")
        form = CalendarDayForm(request.POST)
        if form.is_valid():
            try:
                configuration.add_day(
                    calendar,
                    form.cleaned_data["date"],
                    form.cleaned_data["kind"],
                    form.cleaned_data["name"],
                    actor=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, gettext("Day added."))
                return redirect_after_post(request, calendar.get_absolute_url() + "#days")
        detail = CalendarDetailView()
        detail.setup(request, pk=pk)
        context = detail.get_context_data(calendar, day_form=form, open_form="day")
        return self.render(context, status=400)


class DaysImportView(SlaMixin, ItsmView):
    """Upload days as CSV: into one calendar (…/calendars/<pk>/import/) or into the
    national statutory table (…/statutory-days/import/)."""

    template_name = "sla/days_import.html"
    permission_message = _("Only IT managers and administrators import days.")

    def calendar(self) -> BusinessCalendar | None:
        pk = self.kwargs.get("pk")
        return get_object_or_404(BusinessCalendar, pk=pk) if pk is not None else None

    def check_permission(self) -> None:
        permission = (
            "sla.change_businesscalendar" if "pk" in self.kwargs else "sla.add_statutoryday"
        )
        if not self.request.user.has_perm(permission):
            raise PermissionDenied(str(self.permission_message))

    def back_url(self, calendar: BusinessCalendar | None) -> str:
        if calendar is not None:
            return calendar.get_absolute_url()
        return reverse("sla:statutory_days")

    def page(
        self, form: ImportForm, calendar: BusinessCalendar | None, status: int
    ) -> HttpResponse:
        context = {
            "form": form,
            "calendar": calendar,
            "back_url": self.back_url(calendar),
            "nav": self.nav,
            "sla_tab": "calendars",
        }
        return self.render(context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.page(ImportForm(), self.calendar(), 200)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        calendar = self.calendar()
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                count = configuration.import_csv(
                    form.cleaned_data["csv_text"], calendar=calendar, actor=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, gettext("%(count)d days imported.") % {"count": count})
                return redirect_after_post(request, self.back_url(calendar))
        return self.page(form, calendar, 400)


class StatutoryDayListView(SlaMixin, ItsmView):
    """China's statutory holidays and adjusted working days (调休) of one year, with a form
    to add a day; ?year= chooses the year (this year by default)."""

    permission = "sla.view_statutoryday"
    template_name = "sla/statutory_days.html"

    def year(self) -> int:
        raw = self.request.GET.get("year", "")
        year = int(raw) if raw.isdigit() else timezone.localdate().year
        return max(2000, min(year, 2100))

    def context(self, form: CalendarDayForm | None = None) -> dict[str, Any]:
        year = self.year()
        return {
            "year": year,
            "years": list(range(year - 2, year + 3)),
            "days": list(StatutoryDay.objects.filter(date__year=year).order_by("date")),
            "form": form or CalendarDayForm(),
            "can_change": self.request.user.has_perm("sla.add_statutoryday"),
            "nav": self.nav,
            "sla_tab": "statutory",
        }

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render(self.context())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        remove = request.POST.get("remove", "")
        if remove:
            if not request.user.has_perm("sla.delete_statutoryday"):
                raise PermissionDenied(gettext("You may not change service level settings."))
            day = get_object_or_404(StatutoryDay, pk=remove if remove.isdigit() else 0)
            configuration.remove_statutory(day, actor=request.user)
            messages.success(request, gettext("Day removed."))
            return redirect_after_post(
                request, "%s?year=%d" % (reverse("sla:statutory_days"), day.date.year)
            )
        if not request.user.has_perm("sla.add_statutoryday"):
            raise PermissionDenied(gettext("You may not change service level settings."))
        form = CalendarDayForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                day = configuration.add_statutory(
                    data["date"], data["kind"], data["name"], actor=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, gettext("Day added."))
                return redirect_after_post(
                    request, "%s?year=%d" % (reverse("sla:statutory_days"), day.date.year)
                )
        return self.render(self.context(form), status=400)


# --------------------------------------------------------------------------------------
# Duty roster


class DutyShiftListView(SlaMixin, ObjectListView):
    """The on-duty managers, current and coming shifts first."""

    model = DutyShift
    permission = "sla.view_dutyshift"
    filterset_class = DutyShiftFilterSet
    template_name = "sla/duty_list.html"
    select_related = ("user",)
    sort_fields = {"starts": ("-starts_at",)}
    default_sort = "starts"

    def get_filter_data(self) -> QueryDict:
        data = self.request.GET.copy()
        if "after" not in data:
            data["after"] = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()
        return data

    def get_context_data(self, **context: Any) -> dict[str, Any]:
        now = timezone.now()
        return {
            **context,
            "now": now,
            "can_change": self.request.user.has_perm("sla.change_dutyshift"),
            "nav": self.nav,
            "sla_tab": "duty",
        }


class DutyShiftEditView(SlaMixin, ObjectEditView):
    model = DutyShift
    form_class = DutyShiftForm
    template_name = "sla/duty_edit.html"
    success_message = _("Duty shift saved.")
    permission_message = _("Only IT managers and administrators keep the duty roster.")

    def check_permission(self) -> None:
        permission = "sla.change_dutyshift" if "pk" in self.kwargs else "sla.add_dutyshift"
        if not self.request.user.has_perm(permission):
            raise PermissionDenied(str(self.permission_message))

    def get_context_data(self, obj: Any, form: forms.BaseForm, **context: Any) -> dict[str, Any]:
        return super().get_context_data(obj, form, nav=self.nav, sla_tab="duty", **context)

    def save(self, form: forms.BaseForm, obj: Any, version: int | None) -> Any:
        return configuration.save_duty_shift(obj, form.cleaned_data, actor=self.request.user)

    def get_success_url(self, obj: Any) -> str:
        return reverse("sla:duty_list")


class DutyShiftDeleteView(SlaMixin, ItsmView):
    model = DutyShift
    permission = "sla.delete_dutyshift"
    permission_message = _("Only IT managers and administrators keep the duty roster.")

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        shift = get_object_or_404(DutyShift, pk=pk)
        configuration.delete_duty_shift(shift, actor=request.user)
        messages.success(request, gettext("Duty shift removed."))
        return redirect_after_post(request, reverse("sla:duty_list"))

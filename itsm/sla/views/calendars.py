"""Business calendars with their weekly hours and own days, and the national table of
statutory holidays and adjusted working days (调休)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.core.views import (
    ItsmView,
    ObjectDetailView,
    ObjectEditView,
    add_service_errors,
    redirect_after_post,
)
from itsm.sla import configuration
from itsm.sla.calendars import calendar_warnings
from itsm.sla.choices import Weekday
from itsm.sla.forms import CalendarDayForm, CalendarForm, ImportForm
from itsm.sla.models import BusinessCalendar, CalendarDay, StatutoryDay
from itsm.sla.views.base import SlaMixin

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

"""The change calendar's pages: month, week and list views of the booked changes (approved,
scheduled, implementing) with the blackout windows shaded, filtered by service, item and
group; the blackout windows' list and edit pages; and the iCalendar feed engineers
subscribe to (`/changes/calendar.ics`), signed in or with a personal feed token.

Every view reads changes through `visible_to`: a vendor engineer sees his groups' changes
only, in the pages and in his feed."""

from __future__ import annotations

import calendar as monthcalendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from itsm.accounts.models import SupportGroup, User
from itsm.accounts.tokens import user_for_request_token
from itsm.changes.blackouts import save_blackout_window
from itsm.changes.calendar import (
    CALENDAR_CHECK_STATUSES,
    Occurrence,
    blackout_occurrences,
    booked_changes,
    conflicts_for_viewer,
    local_zone,
)
from itsm.changes.choices import BlackoutKind
from itsm.changes.ical import change_event, ical_calendar
from itsm.changes.models import WEEKDAY_SHORT_NAMES, BlackoutWindow, Change
from itsm.cmdb.models import Service
from itsm.core.moments import DateTimeInput, datetime_field
from itsm.core.views import ItsmView, ObjectEditView, prepare_filter_form

VIEWS = ("month", "week", "list")
FEED_SALT = "itsm.changes.calendar-feed"
# The feed reaches 30 days back and 180 days ahead.
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=180)


# The change page -------------------------------------------------------------------------


def calendar_context(change: Change, user: Any) -> dict[str, Any]:
    """What the change page shows of the calendar: the conflicts (warnings) while the
    change is not done, and the blackout override if one was given."""
    return {
        "conflicts": (
            conflicts_for_viewer(change, user) if change.status in CALENDAR_CHECK_STATUSES else []
        ),
        "blackout_override_by": (
            User.objects.filter(pk=change.blackout_override_by_id).first()
            if change.blackout_override_by_id
            else None
        ),
    }


# Filters ----------------------------------------------------------------------------------


class CalendarFilterSet(django_filters.FilterSet):  # type: ignore[misc]
    """The calendar's filters: a service, an item by its code, a group."""

    service = django_filters.ModelChoiceFilter(
        label=_("Service"), queryset=Service.objects.order_by("code")
    )
    ci = django_filters.CharFilter(
        label=_("Configuration item code"),
        field_name="configuration_items__code",
        lookup_expr="iexact",
        max_length=64,
    )
    assignment_group = django_filters.ModelChoiceFilter(
        label=_("Assignment group"), queryset=SupportGroup.objects.order_by("name")
    )

    class Meta:
        model = Change
        fields = ("service", "ci", "assignment_group")


# The calendar pages -----------------------------------------------------------------------


@dataclass
class Day:
    """One day of the calendar with the changes and blackout occurrences touching it."""

    date: date
    in_period: bool
    changes: list[Change] = field(default_factory=list)
    blackouts: list[Occurrence] = field(default_factory=list)

    @property
    def is_today(self) -> bool:
        return self.date == timezone.localdate(timezone=local_zone())

    @property
    def shaded(self) -> bool:
        """A dated window (a holiday, an inspection week) shades the day; recurring ones
        (the outpatient peak, every working day) are listed without shading, or every
        working day would be grey."""
        return any(o.window.kind == BlackoutKind.DATED for o in self.blackouts)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=local_zone())


def _period(view: str, anchor: date) -> tuple[date, date, date, date]:
    """(first day shown, day after the last shown, start of the period, its end) — a month
    view shows whole weeks around the month."""
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return first, first + timedelta(days=7), first, first + timedelta(days=7)
    month_first = anchor.replace(day=1)
    days = monthcalendar.monthrange(anchor.year, anchor.month)[1]
    month_end = month_first + timedelta(days=days)
    if view == "list":
        return month_first, month_end, month_first, month_end
    first = month_first - timedelta(days=month_first.weekday())
    last = month_end + timedelta(days=(7 - month_end.weekday()) % 7)
    return first, last, month_first, month_end


def _shift(view: str, anchor: date, step: int) -> date:
    if view == "week":
        return anchor + timedelta(days=7 * step)
    month = anchor.month - 1 + step
    return date(anchor.year + month // 12, month % 12 + 1, 1)


class ChangeCalendarView(ItsmView):
    """The change calendar: `?view=month|week|list&date=YYYY-MM-DD` and the filters."""

    permission = "changes.view_change"
    template_name = "changes/calendar.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        view = request.GET.get("view", "month")
        if view not in VIEWS:
            view = "month"
        try:
            anchor = date.fromisoformat(request.GET.get("date", ""))
        except ValueError:
            anchor = timezone.localdate(timezone=local_zone())
        first, last, start, end = _period(view, anchor)
        filterset = CalendarFilterSet(
            request.GET, queryset=Change.objects.visible_to(request.user), request=request
        )
        status = 200
        visible: QuerySet[Change] = filterset.qs if filterset.is_valid() else Change.objects.none()
        if not filterset.is_valid():
            status = 400
        prepare_filter_form(filterset.form)
        changes = list(
            booked_changes(_midnight(first), _midnight(last))
            .filter(pk__in=visible.values("pk"))
            .select_related("service", "implementer", "assignment_group")
            .order_by("planned_start", "pk")
        )
        occurrences = blackout_occurrences(_midnight(first), _midnight(last))
        days = []
        day = first
        while day < last:
            begins, ends = _midnight(day), _midnight(day + timedelta(days=1))
            days.append(
                Day(
                    date=day,
                    in_period=start <= day < end,
                    changes=[
                        c
                        for c in changes
                        if c.planned_start < ends and c.planned_end > begins  # type: ignore[operator]
                    ],
                    blackouts=[o for o in occurrences if o.start < ends and o.end > begins],
                )
            )
            day += timedelta(days=1)
        query = request.GET.copy()
        for key in ("view", "date"):
            query.pop(key, None)
        return self.render(
            {
                "nav": "changes",
                "view": view,
                "views": [(v, label) for v, label in zip(VIEWS, VIEW_LABELS, strict=True)],
                "anchor": anchor,
                "start": start,
                "end": end - timedelta(days=1),
                "previous": _shift(view, anchor, -1),
                "next": _shift(view, anchor, 1),
                "today": timezone.localdate(timezone=local_zone()),
                "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
                "days": days,
                "changes": changes,
                "blackouts": occurrences,
                "filterset": filterset,
                "filter_query": query.urlencode(),
                "weekday_names": WEEKDAY_NAMES,
                "feed_url": request.build_absolute_uri(feed_url(request.user)),
            },
            status=status,
        )


VIEW_LABELS = (_("Month"), _("Week"), _("List"))
WEEKDAY_NAMES = WEEKDAY_SHORT_NAMES


# The iCalendar feed ------------------------------------------------------------------------


def feed_token(user: Any) -> str:
    """The user's personal feed token: his id and an HMAC of it and his password hash, so
    that changing the password revokes every calendar subscribed with the old one."""
    digest = salted_hmac(FEED_SALT, "%s:%s" % (user.pk, user.password)).hexdigest()[:32]
    return "%d-%s" % (user.pk, digest)


def feed_url(user: Any) -> str:
    return "%s?token=%s" % (reverse("changes:calendar_feed"), feed_token(user))


def user_for_feed_token(token: str) -> User | None:
    pk, _sep, _digest = token.partition("-")
    if not pk.isdigit():
        return None
    user = User.objects.filter(pk=int(pk), is_active=True).first()
    if user is None or not constant_time_compare(feed_token(user), token):
        return None
    return user


class CalendarFeedView(View):
    """`/changes/calendar.ics`: the booked changes the user may see, 30 days back to 180
    days ahead, filtered like the calendar. Signed in by session, by the personal feed
    token (`?token=`, what calendar applications can send) or by the API token
    (`Authorization: Token …`)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = self.authenticate(request)
        if user is None:
            response = HttpResponse(gettext("Sign in or give your feed token."), status=401)
            response["WWW-Authenticate"] = 'Token realm="itsm"'
            return response
        if not user.has_perm("changes.view_change"):
            raise PermissionDenied(gettext("You may not see changes."))
        filterset = CalendarFilterSet(request.GET, queryset=Change.objects.visible_to(user))
        if not filterset.is_valid():
            return HttpResponse(gettext("Some filters are not valid."), status=400)
        now = timezone.now()
        changes = (
            booked_changes(now - FEED_PAST, now + FEED_AHEAD)
            .filter(pk__in=filterset.qs.values("pk"))
            .select_related("service", "implementer", "assignment_group")
            .order_by("planned_start", "pk")
        )
        base = request.build_absolute_uri("/")[:-1]
        body = ical_calendar(
            gettext("Change calendar"),
            [change_event(c, base_url=base, host=request.get_host()) for c in changes],
        )
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="changes.ics"'
        return response

    def authenticate(self, request: HttpRequest) -> Any:
        if request.user.is_authenticated:
            return request.user
        token = request.GET.get("token", "")
        if token:
            return user_for_feed_token(token)
        return user_for_request_token(request)


# Blackout windows ---------------------------------------------------------------------------


class BlackoutListView(ItsmView):
    permission = "changes.view_change"
    template_name = "changes/blackout_list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        windows = BlackoutWindow.objects.select_related("service").order_by(
            "-active", "kind", "name", "pk"
        )
        return self.render({"windows": windows, "nav": "changes"})


class BlackoutForm(forms.ModelForm):  # type: ignore[type-arg]
    weekday_set = forms.TypedMultipleChoiceField(
        label=_("Weekdays"),
        choices=[(i + 1, name) for i, name in enumerate(WEEKDAY_NAMES)],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    starts_at = datetime_field(_("Starts at"))
    ends_at = datetime_field(_("Ends at"))

    class Meta:
        model = BlackoutWindow
        fields = (
            "name",
            "kind",
            "service",
            "start_time",
            "end_time",
            "valid_from",
            "valid_until",
            "starts_at",
            "ends_at",
            "reason",
            "active",
        )
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["weekday_set"] = list(self.instance.weekday_numbers)
        self.fields["starts_at"].widget = DateTimeInput()
        self.fields["ends_at"].widget = DateTimeInput()

    def _post_clean(self) -> None:
        # The service verb validates the window (BlackoutWindow.clean) and shows its
        # errors per field; the form does not validate the model a second time.
        pass

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "weekday_set"}
        days = self.cleaned_data.get("weekday_set") or []
        data["weekdays"] = ",".join(str(d) for d in sorted(days))
        if data.get("kind") == BlackoutKind.DATED:
            data.update(weekdays="", start_time=None, end_time=None)
        else:
            data.update(starts_at=None, ends_at=None)
        return data


class BlackoutEditView(ObjectEditView):
    """Create or edit a blackout window: the change manager only."""

    model = BlackoutWindow
    form_class = BlackoutForm
    versioned = True
    template_name = "changes/blackout_edit.html"
    success_message = _("Blackout window “%(object)s” saved.")

    def check_permission(self) -> None:
        if not self.request.user.has_perm("changes.manage_change"):
            raise PermissionDenied(gettext("Only the change manager may edit blackout windows."))

    def get_success_url(self, obj: Any) -> str:
        return reverse("changes:blackout_list")

    def get_context_data(self, obj: Any, form: forms.BaseForm, **context: Any) -> dict[str, Any]:
        return super().get_context_data(obj, form, nav="changes", **context)

    def save(self, form: forms.BaseForm, obj: Any, version: int | None) -> Any:
        assert isinstance(form, BlackoutForm)
        try:
            return save_blackout_window(
                obj, form.service_data(), actor=self.request.user, version=version
            )
        except ValidationError as exc:
            # The weekdays are ticked in the form's weekday_set.
            if hasattr(exc, "error_dict") and "weekdays" in exc.error_dict:
                exc.error_dict["weekday_set"] = exc.error_dict.pop("weekdays")
            raise

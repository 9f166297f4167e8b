"""Forms of the service level pages: agreements with their targets (one row per priority)
and escalation rules, calendars with their weekly hours (one line per weekday), extra days,
CSV imports and the duty roster. Durations are typed as people say them: "30m", "4h",
"1h30m", "2d" (working days of the agreement's calendar)."""

from __future__ import annotations

import datetime
import itertools
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import SupportGroup, User
from itsm.core.choices import TicketPendingReason, TicketPriority
from itsm.sla.choices import CalendarDayKind, ClockMetric, Weekday
from itsm.sla.models import Agreement, BusinessCalendar, DutyShift

# --------------------------------------------------------------------------------------
# Durations

DAY = 86_400
_UNITS = {
    "d": "d",
    "day": "d",
    "days": "d",
    "天": "d",
    "工作日": "d",
    "h": "h",
    "hr": "h",
    "hour": "h",
    "hours": "h",
    "小时": "h",
    "时": "h",
    "m": "m",
    "min": "m",
    "mins": "m",
    "minute": "m",
    "minutes": "m",
    "分钟": "m",
    "分": "m",
}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z\u4e00-\u9fff]+)")


# A dataclass, not a NamedTuple: a NamedTuple next to Form classes sends the django-stubs
# plugin into an endless semantic analysis loop.
@dataclass(frozen=True)
class WorkDuration:
    """A target as typed: whole working days plus working seconds. The days become seconds
    only with the calendar, whose working day may be 8.5 hours or 24."""

    days: float
    seconds: int

    def total(self, day_seconds: int) -> int:
        return round(self.days * day_seconds) + self.seconds


def parse_duration(text: str) -> WorkDuration:
    """ "1h30m", "90 min", "2d", "4小时", "2天" → WorkDuration. Raises ValidationError."""
    value = text.strip().lower().replace(" ", "")
    error = ValidationError(
        _("Write a duration such as 30m, 4h, 1h30m or 2d (working days)."), code="invalid"
    )
    if not value:
        raise error
    days = 0.0
    seconds = 0.0
    position = 0
    for match in _PART.finditer(value):
        if match.start() != position:
            raise error
        position = match.end()
        unit = _UNITS.get(match.group(2))
        amount = float(match.group(1))
        if unit is None:
            raise error
        if unit == "d":
            days += amount
        else:
            seconds += amount * (3600 if unit == "h" else 60)
    if position != len(value):
        raise error
    return WorkDuration(days, round(seconds))


def working_day_seconds(calendar: BusinessCalendar | None) -> int:
    """How long one working day of the calendar is: 24 hours for 7×24, otherwise Monday's
    periods (adjusted working days (调休) have Monday's hours too). 0 when Monday has none."""
    if calendar is None or calendar.always_open:
        return DAY
    total = 0
    for period in calendar.periods.all():
        if period.weekday == Weekday.MONDAY:
            start = datetime.datetime.combine(datetime.date.min, period.starts)
            end = datetime.datetime.combine(datetime.date.min, period.ends)
            total += int((end - start).total_seconds())
    return total


def format_duration(seconds: int, day_seconds: int = 0, *, always_open: bool = False) -> str:
    """A target for people: "30 min", "4 h", "1 h 30 min", "2 working days" (when the seconds
    are whole working days of the calendar), "3 days" on 7×24."""
    if day_seconds and seconds >= day_seconds and seconds % day_seconds == 0:
        days = seconds // day_seconds
        if always_open or day_seconds == DAY:
            return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}
        return ngettext("%(days)d working day", "%(days)d working days", days) % {"days": days}
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours and minutes:
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return gettext("%(hours)d h") % {"hours": hours}
    return gettext("%(minutes)d min") % {"minutes": minutes}


def duration_input(seconds: int, day_seconds: int = 0) -> str:
    """The text an edit form shows for a stored target ("2d", "1h30m")."""
    if day_seconds and seconds >= day_seconds and seconds % day_seconds == 0:
        return "%dd" % (seconds // day_seconds)
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    return ("%dh" % hours if hours else "") + ("%dm" % minutes if minutes or not hours else "")


# --------------------------------------------------------------------------------------
# Agreements


class AgreementForm(forms.ModelForm):  # type: ignore[type-arg]
    """The agreement's own fields. The model's rules (an OLA names its group, a UC its
    vendor) show under the fields they concern."""

    pause_reasons = forms.MultipleChoiceField(
        label=_("Pending reasons that pause the clock"),
        choices=TicketPendingReason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Agreement
        fields = (
            "kind",
            "name",
            "description",
            "calendar",
            "support_group",
            "vendor",
            "services",
            "departments",
            "pause_reasons",
            "valid_from",
            "valid_until",
            "active",
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "services": forms.SelectMultiple(attrs={"size": 6}),
            "departments": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups: Any = self.fields["support_group"]
        groups.queryset = SupportGroup.objects.filter(active=True)
        self.fields["services"].help_text = _("None: every service.")
        self.fields["departments"].help_text = _("None: every department.")


class TargetForm(forms.Form):
    """One priority's targets; both blank means the agreement promises nothing for it."""

    priority = forms.TypedChoiceField(
        choices=TicketPriority.choices, coerce=int, widget=forms.HiddenInput
    )
    response = forms.CharField(label=_("Response target"), required=False, max_length=32)
    resolution = forms.CharField(label=_("Resolution target"), required=False, max_length=32)

    def clean_response(self) -> WorkDuration | None:
        return self._duration("response")

    def clean_resolution(self) -> WorkDuration | None:
        return self._duration("resolution")

    def _duration(self, name: str) -> WorkDuration | None:
        text = self.cleaned_data.get(name) or ""
        return parse_duration(text) if text.strip() else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "response" in data and "resolution" in data:
            if (data["response"] is None) != (data["resolution"] is None):
                missing = "response" if data["response"] is None else "resolution"
                self.add_error(missing, _("Give both targets, or neither."))
        return data

    @property
    def priority_label(self) -> str:
        priority = self["priority"].value()
        return str(dict(TicketPriority.choices).get(int(priority or 0), priority))


class BaseTargetFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def rows(self, day_seconds: int) -> list[dict[str, Any]]:
        """The filled rows as the service takes them, in working seconds."""
        rows = []
        for form in self.forms:
            data = form.cleaned_data
            if data.get("response") is None or data.get("resolution") is None:
                continue
            rows.append(
                {
                    "priority": data["priority"],
                    "response_seconds": data["response"].total(day_seconds),
                    "resolution_seconds": data["resolution"].total(day_seconds),
                }
            )
        return rows


TargetFormSet = forms.formset_factory(TargetForm, formset=BaseTargetFormSet, extra=0)


# The clocks as the service level pages name them; the bare "Resolution" reads as the
# incident's resolution (解决方案) in Chinese.
METRIC_LABELS = {
    ClockMetric.RESPONSE: _("Response target"),
    ClockMetric.RESOLUTION: _("Resolution target"),
}


class RuleForm(forms.Form):
    """One escalation rule. A row with neither clock nor share is an empty row, skipped
    (the page offers two); the checkboxes alone do not make a row."""

    metric = forms.ChoiceField(
        label=_("Clock"), choices=[("", "—"), *METRIC_LABELS.items()], required=False
    )
    percent = forms.IntegerField(
        label=_("Share of the target (percent)"), min_value=1, max_value=1000, required=False
    )
    notify_assignee = forms.BooleanField(label=_("Assignee"), required=False, initial=True)
    notify_group_lead = forms.BooleanField(label=_("Group lead"), required=False, initial=True)
    notify_managers = forms.BooleanField(label=_("IT managers"), required=False)
    reassign_to = forms.ModelChoiceField(
        label=_("Reassign to"), queryset=SupportGroup.objects.filter(active=True), required=False
    )
    raise_priority = forms.BooleanField(label=_("Raise priority"), required=False)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not data.get("metric") and data.get("percent") is None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_blank() or data.get("DELETE"):
            return data
        if not data.get("metric") and "metric" not in self.errors:
            self.add_error("metric", _("Choose the clock."))
        if data.get("percent") is None and "percent" not in self.errors:
            self.add_error("percent", _("Give the share of the target."))
        return data


class BaseRuleFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for form in self.forms:
            assert isinstance(form, RuleForm)
            if form.is_blank() or form.cleaned_data.get("DELETE"):
                continue
            rows.append({k: v for k, v in form.cleaned_data.items() if k != "DELETE"})
        return rows


RuleFormSet = forms.formset_factory(RuleForm, formset=BaseRuleFormSet, extra=2, can_delete=True)


# --------------------------------------------------------------------------------------
# Calendars

_TIME_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–~—至]\s*(\d{1,2}):(\d{2})$")


def parse_periods(text: str) -> list[tuple[datetime.time, datetime.time]]:
    """ "08:00–12:00, 13:30–17:30" → [(08:00, 12:00), (13:30, 17:30)]. Periods must not
    overlap; "24:00" ends a period at midnight."""
    periods: list[tuple[datetime.time, datetime.time]] = []
    for part in re.split(r"[,，;；\s]+", text.strip()):
        if not part:
            continue
        match = _TIME_RANGE.match(part)
        if match is None:
            raise ValidationError(
                _("Write periods such as 08:00–12:00, 13:30–17:30."), code="invalid"
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            starts = datetime.time(h1, m1)
            ends = datetime.time.max.replace(microsecond=0) if (h2, m2) == (24, 0) else None
            ends = ends or datetime.time(h2, m2)
        except ValueError as exc:
            raise ValidationError(
                _("“%(value)s” is not a time of day."), params={"value": part}
            ) from exc
        if starts >= ends:
            raise ValidationError(
                _("“%(value)s” ends before it starts."), params={"value": part}, code="invalid"
            )
        periods.append((starts, ends))
    periods.sort()
    for (_s1, e1), (s2, _e2) in itertools.pairwise(periods):
        if s2 < e1:
            raise ValidationError(_("The periods overlap."), code="invalid")
    return periods


def format_periods(periods: list[tuple[datetime.time, datetime.time]]) -> str:
    return ", ".join(
        "%s–%s"
        % (starts.strftime("%H:%M"), "24:00" if ends.second == 59 else ends.strftime("%H:%M"))
        for starts, ends in periods
    )


class CalendarForm(forms.ModelForm):  # type: ignore[type-arg]
    """The calendar's fields, and its weekly hours as one line per weekday."""

    class Meta:
        model = BusinessCalendar
        fields = ("name", "time_zone", "always_open", "statutory_holidays", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        by_day: dict[int, list[tuple[datetime.time, datetime.time]]] = {}
        if self.instance.pk:
            for period in self.instance.periods.all():
                by_day.setdefault(period.weekday, []).append((period.starts, period.ends))
        for value, label in Weekday.choices:
            self.fields["day_%d" % value] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                initial=format_periods(by_day.get(value, [])),
                widget=forms.TextInput(attrs={"placeholder": "08:00–12:00, 13:30–17:30"}),
            )

    def weekday_fields(self) -> list[forms.BoundField]:
        return [self["day_%d" % value] for value in Weekday.values]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for value in Weekday.values:
            name = "day_%d" % value
            if name in data:
                try:
                    data[name] = parse_periods(data[name] or "")
                except ValidationError as exc:
                    self.add_error(name, exc)
        return data

    def periods(self) -> list[dict[str, Any]]:
        return [
            {"weekday": value, "starts": starts, "ends": ends}
            for value in Weekday.values
            for starts, ends in self.cleaned_data.get("day_%d" % value) or []
        ]


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=CalendarDayKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)


class ImportForm(forms.Form):
    """Days as CSV lines "date,kind,name" (kind: holiday or workday), uploaded as a file or
    pasted."""

    file = forms.FileField(label=_("CSV file"), required=False)
    text = forms.CharField(
        label=_("or paste the lines"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "2027-01-01,holiday,元旦"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            if upload.size > 1_000_000:
                raise ValidationError({"file": _("The file is larger than 1 MB.")})
            raw = upload.read()
            try:
                data["csv_text"] = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                try:
                    data["csv_text"] = raw.decode("gb18030")
                except UnicodeDecodeError:
                    raise ValidationError(
                        {"file": _("Save the file as UTF-8 or GBK text.")}
                    ) from None
        else:
            data["csv_text"] = data.get("text") or ""
        if not data["csv_text"].strip():
            raise ValidationError({"text": _("Upload a file or paste the lines.")})
        return data


# --------------------------------------------------------------------------------------
# Duty roster


def duty_managers() -> Any:
    """The people who may be put on duty: active users who may change agreements (the IT
    managers and administrators)."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(groups__permissions__codename="change_agreement")
            | Q(user_permissions__codename="change_agreement")
            | Q(is_superuser=True)
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class DutyShiftForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = DutyShift
        fields = ("user", "starts_at", "ends_at", "note")
        widgets = {
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "ends_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users: Any = self.fields["user"]
        users.queryset = duty_managers()

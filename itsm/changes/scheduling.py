"""The rules of a change's schedule, in one place: the service verbs that set a planned
window (raise, edit, schedule) all call `check_window`, and the `schedule` transition
calls `check_schedule`.

`check_schedule` is the hook where the change calendar's checks belong (blackout windows,
conflicts with other changes on related items, the implementer booked twice): add them
there, raising ValidationError per field for what must be refused. It runs inside the
schedule transition's transaction, on the locked change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


def window_errors(
    start: datetime | None, end: datetime | None, *, allow_past: bool = False
) -> dict[str, str]:
    """What is wrong with a planned window, per field: an end not after the start, a start
    already past (allowed for an emergency change being done now)."""
    errors: dict[str, str] = {}
    if start is not None and end is not None and end <= start:
        errors["planned_end"] = _("The planned end must be after the planned start.")
    if start is not None and not allow_past and start < timezone.now():
        errors["planned_start"] = _("The planned start is in the past.")
    return errors


def check_window(start: datetime | None, end: datetime | None, *, allow_past: bool = False) -> None:
    errors = window_errors(start, end, allow_past=allow_past)
    if errors:
        raise ValidationError(errors)


def check_schedule(change: Any, *, actor: Any) -> None:
    """Refuse to schedule a change whose window is missing, inverted or past. Extended by
    the change calendar with conflict and blackout checks."""
    errors: dict[str, str] = {}
    if change.planned_start is None:
        errors["planned_start"] = _("Give the planned start.")
    if change.planned_end is None:
        errors["planned_end"] = _("Give the planned end.")
    errors.update(window_errors(change.planned_start, change.planned_end))
    if errors:
        raise ValidationError(errors)

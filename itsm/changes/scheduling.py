"""The rules of a change's schedule, in one place: the service verbs that set a planned
window (raise, edit, schedule) all call `check_window`, and the `schedule` transition
calls `check_schedule`.

`check_schedule` runs inside the schedule transition's transaction, on the locked change:
besides the window's own rules it refuses a window in a blackout (409) unless the change
manager overrides it with a reason; the conflicts themselves are `itsm.changes.calendar`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.changes.calendar import conflicts_of
from itsm.core.exceptions import ConflictError


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


def check_schedule(change: Any, *, actor: Any, data: dict[str, Any] | None = None) -> None:
    """Refuse to schedule a change whose window is missing, inverted or past (400 per
    field), or falls in a blackout window (409) unless the change manager overrides it:
    `data` carries `blackout_override` and `blackout_override_reason`. An override by
    someone without `changes.manage_change` is 403, one without a reason 400; a granted
    override is recorded on the change (and so in the transition's audit entry). Other
    conflicts (changes on the same or related items, the implementer booked twice) do not
    stop the schedule: the change page and the API show them as warnings."""
    errors: dict[str, str] = {}
    if change.planned_start is None:
        errors["planned_start"] = _("Give the planned start.")
    if change.planned_end is None:
        errors["planned_end"] = _("Give the planned end.")
    errors.update(window_errors(change.planned_start, change.planned_end))
    if errors:
        raise ValidationError(errors)
    data = data or {}
    reason = str(data.get("blackout_override_reason") or "").strip()
    override = bool(data.get("blackout_override")) or bool(reason)
    if override:
        if not actor.has_perm("changes.manage_change"):
            raise PermissionDenied(_("Only the change manager may override a blackout window."))
        if not reason:
            raise ValidationError(
                {
                    "blackout_override_reason": _(
                        "Say why the change must be done in a blackout window."
                    )
                }
            )
    blackouts = [c for c in conflicts_of(change) if c.blocks]
    if not blackouts:
        return
    if not override:
        raise ConflictError(
            " ".join(c.reason for c in blackouts)
            + " "
            + _("Only the change manager may schedule it there, with a reason for the override.")
        )
    change.blackout_override_by = actor
    change.blackout_override_reason = reason
    change.blackout_override_at = timezone.now()
    # The transition's audit note: the history then says why, not only that.
    data["note"] = _("Blackout window overridden: %(reason)s") % {"reason": reason}

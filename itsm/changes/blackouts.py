"""The service verb that writes blackout windows, called by the blackout pages and the API:
only the change manager (`changes.manage_change`) writes them; each write is checked by
`BlackoutWindow.clean` (400 per field), applied only on the version read (409 otherwise)
and audited in the same transaction. Windows are never deleted: set them inactive."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.changes.models import BlackoutWindow
from itsm.core.exceptions import StaleVersion
from itsm.core.services import diff, write_audit

BLACKOUT_FIELDS = (
    "name",
    "reason",
    "kind",
    "service",
    "weekdays",
    "start_time",
    "end_time",
    "valid_from",
    "valid_until",
    "starts_at",
    "ends_at",
    "active",
)


def _snapshot(window: BlackoutWindow) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in BLACKOUT_FIELDS:
        attname = "service_id" if name == "service" else name
        value = getattr(window, attname)
        values[attname] = value.strftime("%H:%M") if isinstance(value, time) else value
    return values


@transaction.atomic
def save_blackout_window(
    window: BlackoutWindow | None,
    data: Mapping[str, Any],
    *,
    actor: Any,
    version: int | None = None,
) -> BlackoutWindow:
    """Create a blackout window (`window` None) or edit one with the given fields."""
    if not actor.has_perm("changes.manage_change"):
        raise PermissionDenied(_("Only the change manager may edit blackout windows."))
    if window is None:
        target = BlackoutWindow()
        before: dict[str, Any] = {}
    else:
        target = BlackoutWindow.objects.select_for_update().get(pk=window.pk)
        if version is not None and target.version != version:
            raise StaleVersion()
        before = _snapshot(target)
    if isinstance(data.get("weekdays"), list | tuple):
        data = {**data, "weekdays": ",".join(str(d) for d in data["weekdays"])}
    for name, value in data.items():
        if name in BLACKOUT_FIELDS:
            setattr(target, name, value)
    target.full_clean()
    changes = diff(before, _snapshot(target))
    if window is not None and not changes:
        return target
    if window is not None:
        target.version += 1
    target.updated_at = timezone.now()
    target.save()
    write_audit(
        target, actor=actor, action="create" if window is None else "update", changes=changes
    )
    return target

"""Personal data shown by role: a requester's phone number is masked for vendors' engineers
(138****1234). One rule, used by every page, the API and exports."""

from __future__ import annotations

from typing import Any

from itsm.accounts.choices import Role
from itsm.accounts.models import SupportGroup


def is_vendor_engineer(viewer: Any) -> bool:
    """A back-line engineer in a vendor's support group: he works the hospital's tickets
    under a maintenance contract, and does not need to read patients' and staff's numbers."""
    if not getattr(viewer, "is_authenticated", False) or getattr(viewer, "pk", None) is None:
        return False
    cached: bool | None = getattr(viewer, "_vendor_engineer_cache", None)
    if cached is None:
        cached = viewer.has_role(Role.BACK_LINE) and (
            SupportGroup.objects.filter(members=viewer, vendor__isnull=False).exists()
        )
        viewer._vendor_engineer_cache = cached
    return cached


def mask_phone(phone: str) -> str:
    """Keep the first three and the last four characters of a number (a Chinese mobile
    number: 138****1234); a short number keeps only its last two."""
    if len(phone) >= 8:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    keep = 2 if len(phone) > 2 else 0
    return "*" * (len(phone) - keep) + phone[len(phone) - keep :]


def display_phone(phone: str | None, viewer: Any) -> str:
    """The phone number as this viewer may read it."""
    if not phone:
        return ""
    return mask_phone(phone) if is_vendor_engineer(viewer) else phone

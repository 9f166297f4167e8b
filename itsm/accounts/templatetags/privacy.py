"""Template filters for personal data: `{{ person.phone|phone_for:request.user }}`."""

from __future__ import annotations

from typing import Any

from django import template

from itsm.accounts.privacy import display_phone

register = template.Library()


@register.filter
def phone_for(phone: str | None, viewer: Any) -> str:
    """The phone number as the viewer may read it (masked for vendors' engineers)."""
    return display_phone(phone, viewer)

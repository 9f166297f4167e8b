"""Template filters for roles: `{% if user|has_role:"security_admin,auditor" %}`,
`{{ group.name|role_label }}`."""

from __future__ import annotations

from typing import Any

from django import template

from itsm.accounts.choices import Role

register = template.Library()


@register.filter
def has_role(user: Any, roles: str) -> bool:
    """Whether the user holds one of the comma-separated roles."""
    return bool(getattr(user, "is_authenticated", False)) and bool(user.has_role(*roles.split(",")))


@register.filter
def role_label(name: str) -> str:
    return str(Role(name).label) if name in Role.values else name

"""Configuration items and relationships for the cmdb tests."""

from __future__ import annotations

from itsm.cmdb.choices import ConfigurationItemClass
from itsm.cmdb.models import ConfigurationItem, Relationship


def make_ci(
    code: str, ci_class: str = ConfigurationItemClass.SERVER, **fields: object
) -> ConfigurationItem:
    return ConfigurationItem.objects.create(
        code=code, name=str(fields.pop("name", code)), ci_class_id=ci_class, **fields
    )


def link(source: ConfigurationItem, type: str, target: ConfigurationItem) -> Relationship:
    """An edge written directly, without the service's rules: for building graphs."""
    return Relationship.objects.create(source=source, target=target, type=type)

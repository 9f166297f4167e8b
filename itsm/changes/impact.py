"""What a change touches, from the CMDB: the services and departments above its items
(shown on the change, deciding its impact) and the items related to them (where another
change at the same time conflicts)."""

from __future__ import annotations

from dataclasses import dataclass, field

from itsm.accounts.models import Department
from itsm.changes.models import Change
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.cmdb.services import impact_of


@dataclass
class ChangeImpact:
    """The business services above a change's configuration items and the departments
    that rely on them (`whole_hospital` when a service serves every department)."""

    services: list[Service] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)
    whole_hospital: bool = False
    # The items above and below the change's own in the CMDB (ids): where another change
    # at the same time is a conflict.
    related_ids: set[int] = field(default_factory=set)


def impact_of_change(change: Change, items: list[ConfigurationItem] | None = None) -> ChangeImpact:
    """The CMDB's upward impact of each affected item, merged, plus the change's own
    service."""
    items = list(change.configuration_items.all()) if items is None else items
    services: dict[int, Service] = {}
    departments: dict[int, Department] = {}
    related: set[int] = set()
    whole = False
    for item in items:
        found = impact_of(item)
        related.update(r.ci.id for r in (*found.affected, *found.depends_on))
        services.update((s.pk, s) for s in found.services)
        departments.update((d.pk, d) for d in found.departments)
        whole = whole or found.whole_hospital
    if change.service_id and change.service_id not in services:
        service = Service.objects.prefetch_related("departments").get(pk=change.service_id)
        services[service.pk] = service
        served = list(service.departments.all())
        departments.update((d.pk, d) for d in served)
        whole = whole or not served
    return ChangeImpact(
        services=sorted(services.values(), key=lambda s: (s.criticality, s.code)),
        departments=sorted(departments.values(), key=lambda d: d.name),
        whole_hospital=whole,
        related_ids=related - {item.pk for item in items},
    )

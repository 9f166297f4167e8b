"""Who may read and write the CMDB over the API."""

from __future__ import annotations

from rest_framework.permissions import DjangoModelPermissions

VIEW_CMDB = "cmdb.view_configurationitem"


def cmdb_permissions(**writes: list[str]) -> type[DjangoModelPermissions]:
    """Reading needs view_configurationitem (whoever sees the CMDB sees its classes and
    schemas); each write method its own permissions."""
    perms_map = {method: [VIEW_CMDB] for method in DjangoModelPermissions.perms_map}
    perms_map["OPTIONS"] = []
    perms_map.update({method.upper(): perms for method, perms in writes.items()})
    return type("CmdbPermissions", (DjangoModelPermissions,), {"perms_map": perms_map})


class ConfigurationItemPermissions(DjangoModelPermissions):
    """Relationships belong to the items they join: reading them needs
    view_configurationitem; the service checks change_configurationitem for writes."""

    perms_map = {
        method: ([] if method == "OPTIONS" else [VIEW_CMDB])
        for method in DjangoModelPermissions.perms_map
    }

"""The rules of the relationship types, in one table keyed by the built-in class codes
(`ConfigurationItemClass`). A subclass (built-in or an administrator's) joins whatever an
ancestor may join: the rules are checked against each end's lineage.

"A <type> B" means B's failure affects A: the source relies on the target."""

from __future__ import annotations

from collections.abc import Sequence

from itsm.cmdb.choices import ConfigurationItemClass as C
from itsm.cmdb.choices import RelationshipType as T

_SOFTWARE = {C.BUSINESS_SERVICE, C.APPLICATION, C.DATABASE}
_INFRASTRUCTURE = {C.SERVER, C.STORAGE, C.NETWORK_DEVICE}
_ENDPOINTS = {C.WORKSTATION, C.PRINTER, C.KIOSK, C.MEDICAL_DEVICE_INTERFACE}
_HARDWARE = {*_INFRASTRUCTURE, *_ENDPOINTS}


def _pairs(sources: set[C], targets: set[C]) -> frozenset[tuple[str, str]]:
    return frozenset((str(s), str(t)) for s in sources for t in targets)


# Which (source class, target class) pairs each type may join.
ALLOWED: dict[str, frozenset[tuple[str, str]]] = {
    # Logical dependencies: a service on its applications, an application on its database,
    # an interface engine on the HIS, anything on a shared server, array or network.
    T.DEPENDS_ON: _pairs(
        {*_SOFTWARE, C.MEDICAL_DEVICE_INTERFACE, C.KIOSK}, {*_SOFTWARE, *_INFRASTRUCTURE}
    ),
    # Software on the machine that executes it.
    T.RUNS_ON: _pairs({C.APPLICATION, C.DATABASE, C.MEDICAL_DEVICE_INTERFACE}, {C.SERVER})
    | _pairs({C.APPLICATION}, {C.WORKSTATION, C.KIOSK}),
    # A virtual machine on its host, a server's disks on an array.
    T.HOSTED_ON: _pairs({C.SERVER}, {C.SERVER, C.STORAGE}),
    # Physical links: every piece of hardware to the network; switch to switch may loop.
    T.CONNECTED_TO: _pairs(_HARDWARE, {C.NETWORK_DEVICE}) | _pairs({C.SERVER}, {C.STORAGE}),
    # Where the copies go.
    T.BACKED_UP_BY: _pairs({C.APPLICATION, C.DATABASE, C.SERVER, C.STORAGE}, {C.SERVER, C.STORAGE}),
    # Looser use: an application calling another, a workstation printing, a server's LUN.
    T.USES: _pairs(
        {C.APPLICATION, C.DATABASE, C.SERVER, *_ENDPOINTS},
        {C.APPLICATION, C.DATABASE, C.STORAGE, C.PRINTER, C.MEDICAL_DEVICE_INTERFACE},
    )
    # Licences: what runs under one.
    | _pairs({C.APPLICATION, C.DATABASE, C.SERVER, C.WORKSTATION}, {C.SOFTWARE_LICENCE}),
}

# Types that must not loop, grouped in families: a new edge is refused when a path of
# edges of its family already leads from its target back to its source. Running on,
# hosted on and depends on are one family (an application cannot depend on what runs on
# it); connected_to and uses may loop (rings of switches, applications calling each other).
ACYCLIC_FAMILIES: dict[str, str] = {
    T.DEPENDS_ON: "dependency",
    T.RUNS_ON: "dependency",
    T.HOSTED_ON: "dependency",
    T.BACKED_UP_BY: "backup",
}


def is_allowed(
    relationship_type: str, source_lineage: Sequence[str], target_lineage: Sequence[str]
) -> bool:
    """Whether the type may join items of these classes; each end given as its class and
    ancestors (`ClassTree.lineage`), a built-in class alone as a 1-tuple."""
    pairs = ALLOWED.get(relationship_type, frozenset())
    return any((s, t) in pairs for s in source_lineage for t in target_lineage)


def family_types(relationship_type: str) -> frozenset[str]:
    """The types whose edges close a forbidden cycle with an edge of this type; empty when
    the type may loop."""
    family = ACYCLIC_FAMILIES.get(relationship_type)
    if family is None:
        return frozenset()
    return frozenset(t for t, f in ACYCLIC_FAMILIES.items() if f == family)

"""The impact analysis of a configuration item as a graph the browser draws (Apache ECharts):
the item in the centre, what fails with it above, what it relies on below, and over them the
business services and the departments concerned.

Nodes carry a `layer` (negative above the item, positive below) and the browser lays the
rows out; links run in the relationships' real direction ("A runs on B": A → B). Item
classes are named by their code only, so the drawing maps codes to symbols and falls back
for a class it does not know."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from enum import IntEnum
from typing import Any

from django.db.models import Model
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from itsm.cmdb.choices import RelationshipType
from itsm.cmdb.models import ConfigurationItem, Relationship
from itsm.cmdb.services import Impact, Reached

# Beyond some eighty nodes a drawing is a hairball: the nearest items are drawn one by
# one, the rest as one node per side, depth and class ("工作站 ×412"), and counted in
# `omitted`.
MAX_NODES = 80
# More items than this of one class at one depth on one side (the workstations of a
# hospital behind a database) are one box, whatever the room.
GROUP_OVER = 6
HOSPITAL = "hospital"


class Category(IntEnum):
    """The legend's entries, in the order of `categories`."""

    ITEM = 0
    AFFECTED = 1
    DEPENDS_ON = 2
    SERVICE = 3
    DEPARTMENT = 4


CATEGORY_NAMES = {
    Category.ITEM: _("This item"),
    Category.AFFECTED: _("Affected (fails with it)"),
    Category.DEPENDS_ON: _("Relied on"),
    Category.SERVICE: _("Business services"),
    Category.DEPARTMENT: _("Departments"),
}


def ci_node_id(pk: int) -> str:
    return "ci-%d" % pk


def _relation_label(type: str) -> str:
    if type in RelationshipType.values:
        return str(RelationshipType(type).label)
    return type


def _url_maker(name: str) -> Callable[[int], str] | None:
    """How to link a node to its page, if the page exists: the item pages are built
    separately, and the graph must work before (and without) them."""
    try:
        reverse(name, args=[1])
    except NoReverseMatch:
        return None
    return lambda pk: reverse(name, args=[pk])


def _class_code(ci: ConfigurationItem) -> str:
    """The class code of an item, whether the class is a field of codes or a relation to a
    class table keyed by code (`attname` is the column either way)."""
    return str(getattr(ci, ConfigurationItem._meta.get_field("ci_class").attname))


def _class_names(codes: Iterable[str]) -> dict[str, str]:
    """The class names to show for these codes: from the choices of the class field, or
    from the class records it refers to (one query). An unknown code shows as itself."""
    field: Any = ConfigurationItem._meta.get_field("ci_class")
    wanted = set(codes)
    if not wanted:
        return {}
    if field.is_relation:
        key = field.target_field.name
        classes: Iterable[Model] = field.related_model._default_manager.filter(
            **{key + "__in": wanted}
        )
        return {str(getattr(c, key)): str(getattr(c, "label", None) or c) for c in classes}
    return {str(code): str(label) for code, label in field.flatchoices if code in wanted}


def _path(reached: Reached, centre: str, *, upwards: bool) -> str:
    """The chain of relationship types between the item and the analysed one, in the
    edges' direction: "APP —depends on→ … —runs on→ SRV" (… for the items in between)."""
    labels = [_relation_label(type) for type in reached.via]
    if upwards:
        names = [reached.ci.code, *["…"] * (len(labels) - 1), centre]
        labels.reverse()
    else:
        names = [centre, *["…"] * (len(labels) - 1), reached.ci.code]
    parts = [names[0]]
    for label, name in zip(labels, names[1:], strict=True):
        parts.append("—%s→ %s" % (label, name))
    return " ".join(parts)


def _nearest(
    impact: Impact, room: int
) -> tuple[list[tuple[Reached, bool]], list[tuple[Reached, bool]]]:
    """The reached items to draw one by one, nearest first (the affected before the
    relied-on at the same depth), and those that did not fit. An item reached both ways (a
    ring) is drawn once, as affected: that is what its failure does."""
    affected_ids = {r.ci.id for r in impact.affected}
    reached = [(r, True) for r in impact.affected] + [
        (r, False) for r in impact.depends_on if r.ci.id not in affected_ids
    ]
    reached.sort(key=lambda pair: (pair[0].depth, not pair[1], pair[0].ci.code))
    sizes = Counter((up, r.depth, r.ci.ci_class) for r, up in reached)
    crowded = [(r, up) for r, up in reached if sizes[up, r.depth, r.ci.ci_class] > GROUP_OVER]
    single = [(r, up) for r, up in reached if sizes[up, r.depth, r.ci.ci_class] <= GROUP_OVER]
    room = max(room, 0)
    return single[:room], single[room:] + crowded


def impact_graph(impact: Impact, *, limit: int | None = None) -> dict[str, Any]:
    """`impact` as ECharts graph data: `nodes`, `links`, `categories` (the legend), the
    node id of the analysed item (`centre`), how many nodes were left out to stay within
    `limit` (MAX_NODES unless given) in `omitted`, and whether the walk itself stopped at
    its depth limit (`truncated`).

    The services and departments concerned are kept before distant items: they are what
    the analysis is for; then the items nearest first. The impact carries paths, not
    edges, so the edges between the drawn items and the items' services are read here:
    two queries (three with a class table), whatever the size."""
    ci = impact.ci
    room = max((MAX_NODES if limit is None else limit) - 1, 0)
    services = sorted(impact.services, key=lambda s: s.code)[:room]
    room -= len(services)
    hospital = impact.whole_hospital and room > 0
    room -= hospital
    departments = impact.departments[:room]
    room -= len(departments)
    reached, rest = _nearest(impact, room)
    omitted = len(rest)
    omitted += len(impact.services) - len(services) + len(impact.departments) - len(departments)
    omitted += impact.whole_hospital and not hospital

    ci_url = _url_maker("cmdb:ci_detail")
    service_url = _url_maker("sla:service_detail")
    centre_class = _class_code(ci)
    class_names = _class_names(
        {centre_class, *(r.ci.ci_class for r, _up in reached), *(r.ci.ci_class for r, _up in rest)}
    )
    deepest = max((r.depth for r, up in reached if up), default=0)
    service_layer = -deepest - 1
    department_layer = service_layer - 1 if services else service_layer

    def ci_node(
        pk: int, code: str, name: str, class_code: str, category: Category, layer: int
    ) -> dict[str, Any]:
        node: dict[str, Any] = {
            "id": ci_node_id(pk),
            "name": code,
            "title": name,
            "kind": "ci",
            "category": int(category),
            "layer": layer,
            "ci_class": class_code,
            "details": [
                gettext("Class: %(class)s") % {"class": class_names.get(class_code, class_code)}
            ],
        }
        if ci_url is not None:
            node["url"] = ci_url(pk)
        return node

    nodes = [ci_node(ci.pk, ci.code, ci.name, centre_class, Category.ITEM, 0)]
    for r, upwards in reached:
        node = ci_node(
            r.ci.id,
            r.ci.code,
            r.ci.name,
            r.ci.ci_class,
            Category.AFFECTED if upwards else Category.DEPENDS_ON,
            -r.depth if upwards else r.depth,
        )
        node["depth"] = r.depth
        node["details"] += [
            gettext("Depth: %(depth)d") % {"depth": r.depth},
            _path(r, ci.code, upwards=upwards),
        ]
        nodes.append(node)
    for service in services:
        node = {
            "id": "service-%d" % service.pk,
            "name": service.code,
            "title": service.name,
            "kind": "service",
            "category": int(Category.SERVICE),
            "layer": service_layer,
            "details": [gettext("Business service")],
        }
        if service_url is not None:
            node["url"] = service_url(service.pk)
        nodes.append(node)
    for department in departments:
        nodes.append(
            {
                "id": "department-%d" % department.pk,
                "name": department.name,
                "title": "",
                "kind": "department",
                "category": int(Category.DEPARTMENT),
                "layer": department_layer,
                "details": [gettext("Department")],
            }
        )
    if hospital:
        nodes.append(
            {
                "id": HOSPITAL,
                "name": gettext("Whole hospital"),
                "title": "",
                "kind": HOSPITAL,
                "category": int(Category.DEPARTMENT),
                "layer": department_layer,
                "details": [gettext("A service serving no department serves them all.")],
            }
        )

    groups: dict[tuple[bool, int, str], int] = {}
    for r, upwards in rest:
        key = (upwards, r.depth, r.ci.ci_class)
        groups[key] = groups.get(key, 0) + 1
    group_links = []
    for (upwards, depth, class_code), count in sorted(groups.items()):
        group_id = "group-%s-%d-%s" % ("up" if upwards else "down", depth, class_code)
        class_name = class_names.get(class_code, class_code)
        nodes.append(
            {
                "id": group_id,
                "name": "%s ×%d" % (class_name, count),
                "title": "",
                "kind": "group",
                "category": int(Category.AFFECTED if upwards else Category.DEPENDS_ON),
                "layer": -depth if upwards else depth,
                "depth": depth,
                "details": [
                    ngettext(
                        "%(count)d more %(class)s, %(depth)d away, not drawn one by one.",
                        "%(count)d more %(class)s, %(depth)d away, not drawn one by one.",
                        count,
                    )
                    % {"count": count, "class": class_name, "depth": depth}
                ],
            }
        )
        # Towards the item: what fails with it points at it, what it relies on away.
        source, target = (group_id, ci_node_id(ci.pk)) if upwards else (ci_node_id(ci.pk), group_id)
        group_links.append(
            {"source": source, "target": target, "type": "group", "relation": "×%d" % count}
        )

    drawn = {ci.pk, *(r.ci.id for r, _up in reached)}
    links = _relationship_links(drawn) + group_links
    links += _service_links(drawn, services, {d.pk for d in departments}, hospital)
    department_ids = {d.pk for d in departments}
    owners = [(ci.pk, ci.department_id)] + [(r.ci.id, r.ci.department_id) for r, up in reached]
    belongs = gettext("belongs to")
    links += [
        {
            "source": ci_node_id(pk),
            "target": "department-%d" % department_id,
            "type": "belongs_to",
            "relation": belongs,
        }
        for pk, department_id in owners
        if department_id in department_ids
    ]
    return {
        "centre": ci_node_id(ci.pk),
        "nodes": nodes,
        "links": links,
        "categories": [{"name": str(CATEGORY_NAMES[c])} for c in Category],
        "omitted": omitted,
        "truncated": impact.truncated,
    }


def _relationship_links(drawn: set[int]) -> list[dict[str, Any]]:
    """Every relationship between two drawn items (not only those on the walk's paths: a
    shortcut between two affected items is real too). The ids are at most MAX_NODES."""
    rows = (
        Relationship.objects.filter(source_id__in=drawn, target_id__in=drawn)
        .order_by("source_id", "type", "target_id")
        .values_list("source_id", "target_id", "type")
    )
    return [
        {
            "source": ci_node_id(source),
            "target": ci_node_id(target),
            "type": type,
            "relation": _relation_label(type),
        }
        for source, target, type in rows
    ]


def _service_links(
    drawn: set[int], services: list[Any], department_ids: set[int], hospital: bool
) -> list[dict[str, Any]]:
    """Item → the services it supports (one query), service → the departments it serves,
    or → the whole hospital when it names none."""
    if not services:
        return []
    through: Any = ConfigurationItem.services.through
    rows = (
        through.objects.filter(
            configurationitem_id__in=drawn, service_id__in=[s.pk for s in services]
        )
        .order_by("service_id", "configurationitem_id")
        .values_list("configurationitem_id", "service_id")
    )
    supports, serves = gettext("supports"), gettext("serves")
    links = [
        {
            "source": ci_node_id(pk),
            "target": "service-%d" % service_id,
            "type": "supports",
            "relation": supports,
        }
        for pk, service_id in rows
    ]
    for service in services:
        served = [d.pk for d in service.departments.all()]
        targets = ["department-%d" % pk for pk in served if pk in department_ids]
        if not served and hospital:
            targets = [HOSPITAL]
        links += [
            {
                "source": "service-%d" % service.pk,
                "target": target,
                "type": "serves",
                "relation": serves,
            }
            for target in targets
        ]
    return links

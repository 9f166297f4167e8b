"""The relationships sheet: ends, types, the class rules and loops over the whole file."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from itsm.cmdb.choices import RelationshipType
from itsm.cmdb.importing.common import (
    ImportPlan,
    NewRelationship,
    RowError,
    cell_text,
    chunks,
    field_label,
)
from itsm.cmdb.importing.reading import choice_map, normalise, relationship_aliases
from itsm.cmdb.models import Relationship
from itsm.cmdb.relationships import ACYCLIC_FAMILIES, is_allowed

if TYPE_CHECKING:
    from itsm.cmdb.importing.planning import Planner


def plan_relationships(rows: list[list[Any]], planner: Planner, plan: ImportPlan) -> None:
    aliases = relationship_aliases()
    header = rows[0] if rows else []
    index: dict[str, tuple[int, str]] = {}
    for position, raw in enumerate(header):
        text = cell_text(raw)
        if not text:
            continue
        name = aliases.get(normalise(text))
        if name is None:
            plan.errors.append(RowError("relationships", 1, text, _("Unknown column.")))
        else:
            index[name] = (position, text)
    for name in ("source", "type", "target"):
        if name not in index:
            label = str(field_label(Relationship, name))
            plan.errors.append(
                RowError("relationships", 1, label, _("The file has no such column."))
            )
    if any(name not in index for name in ("source", "type", "target")):
        return
    types = choice_map(RelationshipType)
    tree = planner.lookups.tree
    wanted: dict[tuple[int, int, str], int] = {}
    notes: dict[tuple[int, int, str], str] = {}

    def cell(row: list[Any], name: str) -> str:
        position = index[name][0] if name in index else len(row)
        return cell_text(row[position]) if position < len(row) else ""

    for number, row in enumerate(rows[1:], start=2):
        if not any(v not in (None, "") for v in row):
            continue
        ends: dict[str, int] = {}
        failed = False
        for name in ("source", "target"):
            code = cell(row, name)
            key = planner.keys.get(code)
            if not code or key is None or key not in planner.classes:
                message = (
                    _("No configuration item “%(value)s”.") % {"value": code}
                    if code
                    else _("This field cannot be blank.")
                )
                plan.errors.append(RowError("relationships", number, index[name][1], message))
                failed = True
            else:
                ends[name] = key
        type: str | None = types.get(normalise(cell(row, "type")))
        if type is None:
            plan.errors.append(
                RowError("relationships", number, index["type"][1], _("Unknown relationship type."))
            )
            failed = True
        if failed or type is None:
            continue
        source, target = ends["source"], ends["target"]
        if source == target:
            plan.errors.append(
                RowError(
                    "relationships",
                    number,
                    index["target"][1],
                    _("A configuration item cannot be related to itself."),
                )
            )
            continue
        source_class, target_class = planner.classes[source], planner.classes[target]
        lineage = planner.lookups.lineage
        if not is_allowed(type, lineage(source_class), lineage(target_class)):
            plan.errors.append(
                RowError(
                    "relationships",
                    number,
                    index["type"][1],
                    _("A relationship “%(type)s” cannot go from a %(source)s to a %(target)s.")
                    % {
                        "source": tree.classes[source_class].label,
                        "type": RelationshipType(type).label,
                        "target": tree.classes[target_class].label,
                    },
                )
            )
            continue
        wanted.setdefault((source, target, type), number)
        notes.setdefault((source, target, type), cell(row, "note")[:200])
    existing = _existing_edges(wanted)
    plan.existing_relationships = len(existing)
    new = {edge: number for edge, number in wanted.items() if edge not in existing}
    for edge, number in _edges_in_loops(new):
        source, target, _type = edge
        plan.errors.append(
            RowError(
                "relationships",
                number,
                index["target"][1],
                _("%(target)s already relies on %(source)s: this relationship would make a loop.")
                % {"target": planner.code_of(target), "source": planner.code_of(source)},
            )
        )
    plan.relationships = [NewRelationship(s, t, ty, notes[(s, t, ty)]) for s, t, ty in new]


def _existing_edges(wanted: dict[tuple[int, int, str], int]) -> set[tuple[int, int, str]]:
    sources = sorted({s for s, _t, _ty in wanted if s > 0})
    found: set[tuple[int, int, str]] = set()
    for chunk in chunks(sources):
        found.update(
            Relationship.objects.filter(source_id__in=chunk).values_list(
                "source_id", "target_id", "type"
            )
        )
    return found & wanted.keys()


def _edges_in_loops(new: dict[tuple[int, int, str], int]) -> list[tuple[tuple[int, int, str], int]]:
    """The new edges of a type that may not loop which close a loop with the existing
    edges of its family and the other new ones: an edge is on a loop exactly when both its
    ends are in one strongly connected component of the family's graph."""
    looped: list[tuple[tuple[int, int, str], int]] = []
    for family in sorted(set(ACYCLIC_FAMILIES.values())):
        types = [t for t, f in ACYCLIC_FAMILIES.items() if f == family]
        added = [edge for edge in new if edge[2] in types]
        if not added:
            continue
        graph: dict[int, list[int]] = defaultdict(list)
        for source, target in Relationship.objects.filter(type__in=types).values_list(
            "source_id", "target_id"
        ):
            graph[source].append(target)
        for source, target, _type in added:
            graph[source].append(target)
        component = _components(graph)
        looped.extend(
            (edge, new[edge])
            for edge in added
            if component.get(edge[0], edge[0]) == component.get(edge[1], edge[1])
        )
    return sorted(looped, key=lambda item: item[1])


def _components(graph: dict[int, list[int]]) -> dict[int, int]:
    """Tarjan's strongly connected components, iteratively (graphs of 100,000s of nodes
    would overflow Python's recursion): node → the root of its component."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    component: dict[int, int] = {}
    counter = 0
    for start in list(graph):
        if start in index:
            continue
        work: list[tuple[int, int]] = [(start, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = graph.get(node, [])
            recursed = False
            while position < len(children):
                child = children[position]
                position += 1
                if child not in index:
                    work.append((node, position))
                    work.append((child, 0))
                    recursed = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if recursed:
                continue
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = node
                    if member == node:
                        break
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return component

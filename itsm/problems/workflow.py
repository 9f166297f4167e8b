"""The problem lifecycle: new → investigating → root_cause_known → known_error → resolved →
closed, with reopen and cancel. Drawn in docs/processes/problem.md."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.core.workflow import Transition, Workflow
from itsm.incidents.choices import IncidentResolutionCode
from itsm.incidents.models import Incident
from itsm.incidents.services import transition_incident
from itsm.problems.choices import ProblemStatus
from itsm.problems.forms import ReasonForm, ResolveProblemForm, RootCauseForm, WorkaroundForm
from itsm.problems.models import Problem

S = ProblemStatus


def is_routed_to_actor(problem: Problem, actor: Any) -> str | None:
    """Engineers who do not see every incident work only problems with their groups."""
    if actor.has_perm("incidents.view_all_incidents"):
        return None
    if problem.assignment_group_id and problem.assignment_group_id in actor.group_ids():
        return None
    return _("This problem is not with one of your groups.")


def set_root_cause(problem: Problem, *, actor: Any, data: dict[str, Any]) -> None:
    problem.root_cause = data["root_cause"]
    problem.cause_category = data["cause_category"]
    if data.get("five_whys"):
        problem.five_whys = data["five_whys"]


def set_workaround(problem: Problem, *, actor: Any, data: dict[str, Any]) -> None:
    problem.workaround = data["workaround"]


def set_resolution(problem: Problem, *, actor: Any, data: dict[str, Any]) -> None:
    problem.resolution_notes = data["resolution_notes"]
    if data.get("change_number"):
        problem.change_number = data["change_number"]


def clear_resolution(problem: Problem, *, actor: Any, data: dict[str, Any]) -> None:
    problem.resolved_at = None


def resolve_linked_incidents(problem: Problem, *, actor: Any, data: dict[str, Any]) -> None:
    """When asked, resolve the problem's open incidents through the incidents' own
    workflow, with the message as their resolution notes: their requesters are told."""
    if not data.get("resolve_incidents"):
        return
    linked = Incident.objects.filter(problem_links__problem=problem)
    # Parents first: resolving a parent resolves its open children with it.
    for pk in (
        linked.open()
        .order_by(F("parent_id").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)
    ):
        incident = linked.open().filter(pk=pk).first()
        if incident is None:
            continue
        transition_incident(
            incident,
            "resolve",
            actor=actor,
            data={
                "resolution_code": IncidentResolutionCode.FIXED,
                "resolution_notes": data["message"],
            },
        )


PROBLEM_WORKFLOW: Workflow[Problem] = Workflow(
    initial=S.NEW,
    timestamps={S.RESOLVED: "resolved_at", S.CLOSED: "closed_at", S.CANCELLED: "closed_at"},
    transitions=(
        Transition(
            "investigate",
            gettext_lazy("Start investigation"),
            (S.NEW,),
            S.INVESTIGATING,
            "problems.change_problem",
            guards=(is_routed_to_actor,),
            style="primary",
        ),
        Transition(
            "root_cause",
            gettext_lazy("Root cause found"),
            (S.INVESTIGATING,),
            S.ROOT_CAUSE_KNOWN,
            "problems.change_problem",
            form=RootCauseForm,
            guards=(is_routed_to_actor,),
            action=set_root_cause,
            style="primary",
        ),
        Transition(
            "known_error",
            gettext_lazy("Record as known error"),
            (S.INVESTIGATING, S.ROOT_CAUSE_KNOWN),
            S.KNOWN_ERROR,
            "problems.change_problem",
            form=WorkaroundForm,
            guards=(is_routed_to_actor,),
            action=set_workaround,
            style="warning",
        ),
        Transition(
            "resolve",
            gettext_lazy("Resolve"),
            (S.INVESTIGATING, S.ROOT_CAUSE_KNOWN, S.KNOWN_ERROR),
            S.RESOLVED,
            "problems.manage_problem",
            form=ResolveProblemForm,
            action=set_resolution,
            effects=(resolve_linked_incidents,),
            style="success",
        ),
        Transition(
            "close",
            gettext_lazy("Close"),
            (S.RESOLVED,),
            S.CLOSED,
            "problems.manage_problem",
            style="success",
        ),
        Transition(
            "reopen",
            gettext_lazy("Reopen"),
            (S.RESOLVED,),
            S.INVESTIGATING,
            "problems.manage_problem",
            form=ReasonForm,
            action=clear_resolution,
            style="warning",
        ),
        Transition(
            "cancel",
            gettext_lazy("Cancel"),
            (S.NEW, S.INVESTIGATING, S.ROOT_CAUSE_KNOWN, S.KNOWN_ERROR),
            S.CANCELLED,
            "problems.manage_problem",
            form=ReasonForm,
            style="danger",
        ),
    ),
)

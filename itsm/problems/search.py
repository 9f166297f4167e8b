"""What of a problem the shared search indexes: number, title, symptoms, root cause and
workaround, so that an agent typing a caller's words finds the known error. Problems are
IT's internal records: `Problem.objects.visible_to` decides who finds one."""

from __future__ import annotations

from typing import Any

from itsm.core.choices import SearchKind, SearchVisibility
from itsm.core.search import index_object, register
from itsm.problems.choices import OPEN_PROBLEM_STATUSES, ProblemStatus
from itsm.problems.models import Problem


def problem_document(problem: Problem) -> dict[str, Any] | None:
    if problem.status == ProblemStatus.CANCELLED:
        return None
    return {
        "title": "%s %s" % (problem.number, problem.title),
        "body": "\n".join(
            text
            for text in (
                problem.description,
                problem.symptoms,
                problem.root_cause,
                problem.workaround,
            )
            if text
        ),
        "visibility": SearchVisibility.INTERNAL,
        "service_id": problem.service_id,
        "category": problem.cause_category,
        "open": problem.status in OPEN_PROBLEM_STATUSES,
        "updated_at": problem.updated_at,
    }


def index_problem(problem: Problem) -> None:
    index_object(problem, SearchKind.PROBLEM)


def register_problems() -> None:
    register(Problem, SearchKind.PROBLEM, problem_document)

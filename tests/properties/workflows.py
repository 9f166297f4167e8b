"""What the workflow properties need: each process's table with a way to create its record
and to take a transition through its service verb, input generated from a transition's
own form, and the replay of a record's audit log."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from hypothesis import strategies as st

from itsm.changes.services import transition_change
from itsm.changes.tests.factories import rfc, set_up_change_management
from itsm.changes.workflow import CHANGE_WORKFLOW
from itsm.core.models import AuditEntry
from itsm.core.services import _jsonable, next_number
from itsm.core.testing import BaseTestCase
from itsm.core.workflow import Transition, Workflow
from itsm.incidents.services import transition_incident
from itsm.incidents.tests.factories import log
from itsm.incidents.workflow import INCIDENT_WORKFLOW
from itsm.knowledge.services import transition_article
from itsm.knowledge.tests.factories import write
from itsm.knowledge.workflow import ARTICLE_WORKFLOW
from itsm.problems.services import transition_problem
from itsm.problems.tests.factories import problem
from itsm.problems.workflow import PROBLEM_WORKFLOW
from itsm.releases.services import transition_release
from itsm.releases.tests.factories import application, change, release
from itsm.releases.workflow import RELEASE_WORKFLOW

PERSONAS = (
    "nurse",
    "doctor",
    "agent",
    "engineer",
    "vendor",
    "other_vendor",
    "manager",
    "admin",
    "outsider",
)


@dataclass(frozen=True)
class Process:
    """One workflow table, how a record of it is born, and the verb that moves it."""

    name: str
    workflow: Workflow[Any]
    create: Callable[[BaseTestCase], models.Model]
    transition: Callable[..., models.Model]
    setup: Callable[[BaseTestCase], None] = field(default=lambda case: None)


def _release(case: BaseTestCase) -> models.Model:
    item = application(code="APP-%s" % next_number("TST"))
    return release(case, items=[item], changes=[change(case.engineer)])


PROCESSES = (
    Process(
        "incidents",
        INCIDENT_WORKFLOW,
        lambda case: log(case.agent, requester=case.nurse),
        transition_incident,
    ),
    Process("problems", PROBLEM_WORKFLOW, lambda case: problem(case.manager), transition_problem),
    Process(
        "changes",
        CHANGE_WORKFLOW,
        lambda case: rfc(case.engineer),
        transition_change,
        set_up_change_management,
    ),
    Process("releases", RELEASE_WORKFLOW, _release, transition_release),
    Process("articles", ARTICLE_WORKFLOW, lambda case: write(case.engineer), transition_article),
)


def reachable(workflow: Workflow[Any]) -> set[str]:
    """The statuses the table can lead to from its initial one."""
    seen, frontier = {workflow.initial}, [workflow.initial]
    while frontier:
        status = frontier.pop()
        for transition in workflow:
            if status in transition.sources and transition.target not in seen:
                seen.add(transition.target)
                frontier.append(transition.target)
    return seen


TEXT = st.text(alphabet=st.sampled_from("打印机故障已处理 abcXYZ019-\n"), max_size=30)


@st.composite
def value_for(draw: st.DrawFn, form_field: forms.Field) -> Any:
    """A value a person could type into this field: seven times in eight a valid one,
    else a wrong one (blank text, an unknown choice or record), so that the form's own
    validation is exercised as well."""
    wrong = draw(st.integers(0, 7)) == 0
    return draw(_invalid(form_field) if wrong else _valid(form_field))


def _valid(form_field: forms.Field) -> st.SearchStrategy[Any]:
    if isinstance(form_field, forms.ModelChoiceField):
        pks = list(form_field.queryset.values_list("pk", flat=True))  # type: ignore[union-attr]
        return st.sampled_from(pks) if pks else st.just(0)
    if isinstance(form_field, forms.ChoiceField):
        choices = cast(list[tuple[Any, Any]], form_field.choices)
        return st.sampled_from([value for value, _label in choices if value != ""])
    if isinstance(form_field, forms.BooleanField):
        return st.booleans()
    if isinstance(form_field, forms.DateTimeField):
        base = timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)
        return st.integers(min_value=-48, max_value=24 * 30).map(
            lambda hours: (base + datetime.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")
        )
    return TEXT.map(lambda text: "已处理" + text)


def _invalid(form_field: forms.Field) -> st.SearchStrategy[Any]:
    if isinstance(form_field, forms.ModelChoiceField):
        return st.just(0)
    if isinstance(form_field, forms.ChoiceField):
        return st.just("no-such-choice")
    if isinstance(form_field, forms.BooleanField):
        return st.booleans()
    if isinstance(form_field, forms.DateTimeField):
        return st.just("31/02/2026")
    return st.sampled_from(["", " ", "\n"])


@st.composite
def form_data(draw: st.DrawFn, transition: Transition) -> dict[str, Any]:
    """Input for a transition's form: each required field filled nine times in ten, each
    optional one half of the time."""
    data: dict[str, Any] = {}
    if transition.form is None:
        return data
    for name, form_field in transition.form.base_fields.items():
        filled = draw(st.integers(0, 9)) != 0 if form_field.required else draw(st.booleans())
        if filled:
            data[name] = draw(value_for(form_field))
    return data


def snapshot(record: models.Model) -> dict[str, Any]:
    """The stored row as its audit entries write values (JSON-ready)."""
    fresh = type(record)._default_manager.get(pk=record.pk)
    return {f.attname: _jsonable(getattr(fresh, f.attname)) for f in fresh._meta.concrete_fields}


def audit_entries(record: models.Model) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        ).order_by("pk")
    )


def replay(record: models.Model) -> dict[str, Any]:
    """The record's concrete fields rebuilt from nothing by folding its audit entries in
    order: each {field: [old, new]} sets the field to new. A field never audited is None,
    as the creation entry leaves out the fields it created empty."""
    state: dict[str, Any] = {}
    for entry in audit_entries(record):
        for key, (_old, new) in (entry.changes or {}).items():
            state[key] = new
    concrete = [f.attname for f in record._meta.concrete_fields]
    return {key: state.get(key) for key in concrete}


def compare(record: models.Model) -> dict[str, tuple[Any, Any]]:
    """The fields where the audit log's replay and the stored row disagree."""
    stored = snapshot(record)
    replayed = replay(record)
    return {
        key: (replayed[key], stored[key]) for key in stored if not _same(replayed[key], stored[key])
    }


def _same(replayed: Any, stored: Any) -> bool:
    """Equal as stored values: an audited datetime is compared as an instant, whatever its
    text's precision or offset."""
    if isinstance(stored, str) and isinstance(replayed, str) and "T" in stored:
        try:
            return datetime.datetime.fromisoformat(replayed) == datetime.datetime.fromisoformat(
                stored
            )
        except ValueError:
            return replayed == stored
    return bool(replayed == stored)

"""Issue 7, item 12: every workflow table holds whatever people do. Random sequences of
transitions, by random personas with input generated from each transition's own form,
never leave the table: a refused step changes nothing and is refused for the right reason
(409 for the record's state, 403 for the actor, 400 for the input), a taken step lands on
its target, and after every step the record's audit log, replayed from nothing, gives the
stored row field by field."""

from __future__ import annotations

import importlib
import os
import pkgutil
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.test import SimpleTestCase
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from itsm.core.exceptions import ConflictError, TransitionNotAllowed
from itsm.core.testing import BaseTestCase
from itsm.core.workflow import Workflow
from tests.properties.workflows import (
    PERSONAS,
    PROCESSES,
    Process,
    audit_entries,
    compare,
    form_data,
    reachable,
    snapshot,
)

MAX_STEPS = 8
# 30 walks per workflow in `make test`; ITSM_PROPERTY_EXAMPLES=500 for a deeper search.
WALKS = settings(
    max_examples=int(os.environ.get("ITSM_PROPERTY_EXAMPLES", "30")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REFUSALS = (ConflictError, PermissionDenied, ValidationError)


def filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


class WorkflowPropertyTests(HypothesisTestCase, BaseTestCase):
    """Hypothesis' Django test case runs each example in its own transaction, rolled back
    afterwards, so that every walk starts from the same hospital."""

    def walk(self, process: Process, data: st.DataObject) -> None:
        workflow = process.workflow
        allowed = reachable(workflow)
        process.setup(self)
        record: Any = process.create(self)
        self.assertEqual(record.status, workflow.initial)
        self.assertEqual(compare(record), {})
        for _step in range(data.draw(st.integers(1, MAX_STEPS), label="steps")):
            status = type(record)._default_manager.get(pk=record.pk).status
            possible = [t for t in workflow if status in t.sources]
            # Mostly a transition the table offers now, so that walks go deep; sometimes any.
            anything = not possible or data.draw(st.integers(0, 3), label="any") == 0
            choices = list(workflow) if anything else possible
            transition = data.draw(st.sampled_from(choices), label="transition")
            # Mostly someone holding the transition's permission; sometimes anyone.
            able = [p for p in PERSONAS if getattr(self, p).has_perm(transition.permission)]
            anyone = not able or data.draw(st.integers(0, 3), label="anyone") == 0
            role = data.draw(st.sampled_from(PERSONAS if anyone else able), label="role")
            actor = self.reload(getattr(self, role))
            given_data = data.draw(form_data(transition), label="data")
            before, audited = snapshot(record), len(audit_entries(record))
            try:
                record = process.transition(record, transition.name, actor=actor, data=given_data)
            except REFUSALS as refusal:
                self.assertEqual(snapshot(record), before, "a refused step wrote")
                self.assertEqual(len(audit_entries(record)), audited, "a refused step audited")
                if status not in transition.sources:
                    self.assertIsInstance(refusal, TransitionNotAllowed)
                elif not actor.has_perm(transition.permission):
                    self.assertIsInstance(refusal, PermissionDenied)
            else:
                self.assertIn(status, transition.sources)
                self.assertTrue(actor.has_perm(transition.permission))
                for name in transition.required_fields():
                    self.assertTrue(filled(given_data.get(name)), "%s was required" % name)
                stored = type(record)._default_manager.get(pk=record.pk).status
                self.assertEqual(stored, transition.target)
                self.assertIn(stored, allowed)
                event("%s → %s" % (status, stored))  # --hypothesis-show-statistics: coverage
                actions = [e.action for e in audit_entries(record)[audited:]]
                self.assertEqual(actions.count("transition:%s" % transition.name), 1, actions)
            self.assertEqual(compare(record), {}, "the audit log does not replay to the row")


def _property(process: Process) -> Any:
    @WALKS
    @given(data=st.data())
    def test(self: WorkflowPropertyTests, data: st.DataObject) -> None:
        self.walk(process, data)

    test.__doc__ = "The %s workflow holds under random walks." % process.name
    return test


for _process in PROCESSES:
    setattr(
        WorkflowPropertyTests, "test_the_%s_workflow_holds" % _process.name, _property(_process)
    )


class EveryWorkflowIsWalkedTests(SimpleTestCase):
    def test_every_workflow_table_of_every_app_is_walked(self) -> None:
        """A process added later cannot escape the properties: every Workflow found in an
        app's workflow module must have its Process here."""
        import itsm

        tables: set[int] = set()
        for app in pkgutil.iter_modules(itsm.__path__):
            try:
                module = importlib.import_module("itsm.%s.workflow" % app.name)
            except ModuleNotFoundError:
                continue
            tables.update(id(v) for v in vars(module).values() if isinstance(v, Workflow))
        self.assertEqual(tables, {id(p.workflow) for p in PROCESSES})

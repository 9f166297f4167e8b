"""`apply_transition` and `Workflow`, tried on a small workflow of their own so that each rule
of the mechanism is seen apart from any process's table."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from itsm.core.exceptions import StaleVersion, TransitionNotAllowed
from itsm.core.models import AuditEntry, Comment, Notification
from itsm.core.services import add_comment, notify
from itsm.core.testing import BaseTestCase
from itsm.core.workflow import Transition, Workflow, apply_transition
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.services import log_incident

S = IncidentStatus
EFFECTS: list[tuple[int, dict[str, Any]]] = []


class ReasonForm(forms.Form):
    reason = forms.CharField()
    detail = forms.CharField(required=False)


def record_effect(ticket: Incident, *, actor: Any, data: dict[str, Any]) -> None:
    EFFECTS.append((ticket.pk, data))
    notify([actor], ticket, "effect of %s" % ticket.status)


def comment_then_fail(ticket: Incident, *, actor: Any, data: dict[str, Any]) -> None:
    add_comment(ticket, actor=actor, body="written before the failure")
    raise ValidationError({"reason": "refused by the action"})


def refuse(ticket: Incident, actor: Any) -> str | None:
    return "not you"


def not_now(ticket: Incident, actor: Any) -> str | None:
    return "not now"


FLOW: Workflow[Incident] = Workflow(
    initial=S.NEW,
    timestamps={S.RESOLVED: "resolved_at"},
    transitions=(
        Transition(
            "start",
            "Start",
            (S.NEW,),
            S.IN_PROGRESS,
            "incidents.work_incident",
            form=ReasonForm,
            effects=(record_effect,),
        ),
        Transition("finish", "Finish", (S.IN_PROGRESS,), S.RESOLVED, "incidents.resolve_incident"),
        Transition(
            "guarded",
            "Guarded",
            (S.NEW,),
            S.IN_PROGRESS,
            "incidents.work_incident",
            guards=(refuse,),
            conditions=(not_now,),
        ),
        Transition(
            "conditioned",
            "Conditioned",
            (S.NEW,),
            S.IN_PROGRESS,
            "incidents.work_incident",
            conditions=(not_now,),
        ),
        Transition(
            "explode",
            "Explode",
            (S.NEW,),
            S.IN_PROGRESS,
            "incidents.work_incident",
            action=comment_then_fail,
        ),
    ),
)


def audits(ticket: Incident) -> int:
    return AuditEntry.objects.filter(object_id=ticket.pk, content_type__model="incident").count()


class ApplyTransitionTests(BaseTestCase):
    def setUp(self) -> None:
        EFFECTS.clear()
        self.ticket = log_incident({"title": "测试"}, actor=self.agent)

    def snapshot(self) -> tuple[dict[str, Any], int, int]:
        fresh = Incident.objects.get(pk=self.ticket.pk)
        return fresh.field_snapshot(), audits(fresh), Comment.objects.count()

    def test_it_sets_the_status_bumps_the_version_and_audits_the_change(self) -> None:
        done = apply_transition(
            self.ticket, FLOW, "start", actor=self.engineer, data={"reason": "开始处理"}
        )
        done.refresh_from_db()
        self.assertEqual(done.status, S.IN_PROGRESS)
        self.assertEqual(done.version, 2)
        entry = AuditEntry.objects.filter(object_id=done.pk).order_by("-id").first()
        assert entry is not None
        self.assertEqual(entry.action, "transition:start")
        self.assertEqual(entry.actor, self.engineer)
        self.assertEqual(entry.changes["status"], [S.NEW, S.IN_PROGRESS])
        self.assertEqual(entry.changes["version"], [1, 2])
        self.assertEqual(entry.note, "开始处理")

    def test_it_stamps_the_time_of_the_target_status(self) -> None:
        started = apply_transition(
            self.ticket, FLOW, "start", actor=self.engineer, data={"reason": "x"}
        )
        self.assertIsNone(started.resolved_at)
        finished = apply_transition(started, FLOW, "finish", actor=self.engineer)
        self.assertIsNotNone(finished.resolved_at)
        self.assertEqual(finished.resolved_at, finished.updated_at)

    def test_effects_run_in_the_transaction_after_the_status_is_set(self) -> None:
        apply_transition(self.ticket, FLOW, "start", actor=self.engineer, data={"reason": "x"})
        self.assertEqual(EFFECTS, [(self.ticket.pk, {"reason": "x", "detail": ""})])
        self.assertEqual(
            list(
                Notification.objects.filter(object_id=self.ticket.pk).values_list(
                    "message", flat=True
                )
            ),
            ["effect of %s" % S.IN_PROGRESS],
        )

    def test_what_effects_wrote_rolls_back_with_the_surrounding_transaction(self) -> None:
        try:
            with transaction.atomic():
                apply_transition(
                    self.ticket, FLOW, "start", actor=self.engineer, data={"reason": "x"}
                )
                raise RuntimeError("the caller fails afterwards")
        except RuntimeError:
            pass
        self.assertFalse(Notification.objects.filter(object_id=self.ticket.pk).exists())
        self.assertEqual(Incident.objects.get(pk=self.ticket.pk).status, S.NEW)

    def test_a_failing_action_rolls_back_everything_it_wrote(self) -> None:
        before = self.snapshot()
        with self.assertRaises(ValidationError):
            apply_transition(self.ticket, FLOW, "explode", actor=self.engineer)
        self.assertEqual(self.snapshot(), before)

    def test_missing_fields_are_reported_per_field(self) -> None:
        before = self.snapshot()
        with self.assertRaises(ValidationError) as raised:
            apply_transition(self.ticket, FLOW, "start", actor=self.engineer, data={})
        self.assertEqual(list(raised.exception.message_dict), ["reason"])
        self.assertEqual(self.snapshot(), before)

    def test_a_wrong_source_status_is_a_conflict(self) -> None:
        before = self.snapshot()
        with self.assertRaises(TransitionNotAllowed):
            apply_transition(self.ticket, FLOW, "finish", actor=self.engineer)
        self.assertEqual(self.snapshot(), before)

    def test_the_source_status_is_checked_before_the_permission(self) -> None:
        with self.assertRaises(TransitionNotAllowed):
            apply_transition(self.ticket, FLOW, "finish", actor=self.reload(self.outsider))

    def test_a_missing_permission_is_permission_denied(self) -> None:
        before = self.snapshot()
        with self.assertRaises(PermissionDenied):
            apply_transition(
                self.ticket, FLOW, "start", actor=self.reload(self.nurse), data={"reason": "x"}
            )
        self.assertEqual(self.snapshot(), before)

    def test_a_guard_refuses_with_403_before_conditions_are_asked(self) -> None:
        with self.assertRaises(PermissionDenied) as raised:
            apply_transition(self.ticket, FLOW, "guarded", actor=self.engineer)
        self.assertEqual(str(raised.exception), "not you")

    def test_a_condition_refuses_with_409_and_its_reason(self) -> None:
        with self.assertRaises(TransitionNotAllowed) as raised:
            apply_transition(self.ticket, FLOW, "conditioned", actor=self.engineer)
        self.assertEqual(str(raised.exception), "not now")

    def test_a_stale_version_is_refused(self) -> None:
        before = self.snapshot()
        with self.assertRaises(StaleVersion):
            apply_transition(
                self.ticket,
                FLOW,
                "start",
                actor=self.engineer,
                data={"reason": "x"},
                version=self.ticket.version + 1,
            )
        self.assertEqual(self.snapshot(), before)

    def test_the_current_version_is_accepted(self) -> None:
        done = apply_transition(
            self.ticket,
            FLOW,
            "start",
            actor=self.engineer,
            data={"reason": "x"},
            version=self.ticket.version,
        )
        self.assertEqual(done.status, S.IN_PROGRESS)

    def test_an_unknown_transition_is_a_conflict(self) -> None:
        with self.assertRaises(TransitionNotAllowed):
            apply_transition(self.ticket, FLOW, "fly", actor=self.engineer)


class WorkflowTableTests(BaseTestCase):
    def test_refusal_gives_the_http_status_and_the_reason(self) -> None:
        ticket = log_incident({"title": "测试"}, actor=self.agent)
        start = FLOW.get("start")
        finish = FLOW.get("finish")
        assert start is not None and finish is not None
        self.assertIsNone(FLOW.refusal(ticket, start, self.engineer))
        refused = FLOW.refusal(ticket, start, self.reload(self.nurse))
        assert refused is not None
        self.assertEqual(refused[0], 403)
        refused = FLOW.refusal(ticket, finish, self.engineer)
        assert refused is not None
        self.assertEqual(refused[0], 409)

    def test_available_lists_the_transitions_the_user_may_take_now(self) -> None:
        ticket = log_incident({"title": "测试"}, actor=self.agent)
        self.assertEqual(
            [t.name for t in FLOW.available(ticket, self.engineer)], ["start", "explode"]
        )
        self.assertEqual(FLOW.available(ticket, self.reload(self.outsider)), [])

    def test_a_transition_describes_its_fields(self) -> None:
        start = FLOW.get("start")
        assert start is not None
        self.assertEqual(start.required_fields(), ["reason"])
        self.assertEqual(
            [(f["name"], f["required"]) for f in start.describe_fields()],
            [("reason", True), ("detail", False)],
        )
        finish = FLOW.get("finish")
        assert finish is not None
        self.assertEqual(finish.required_fields(), [])
        self.assertEqual(finish.describe_fields(), [])

    def test_iterating_a_workflow_gives_its_transitions_in_order(self) -> None:
        self.assertEqual([t.name for t in FLOW][:2], ["start", "finish"])
        self.assertIsNone(FLOW.get("nothing"))

"""Emergency changes (implemented before approval, the emergency CAB after the fact, the
review mandatory) and standard changes (from a template, no CAB)."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.changes.choices import ApprovalStepKind, ApprovalStepStatus, ChangeStatus, ChangeType
from itsm.changes.models import Change
from itsm.changes.services import (
    approve_change,
    raise_standard_change,
    reject_change,
    schedule_change,
    transition_change,
)
from itsm.changes.tests.factories import (
    change_in,
    rfc,
    set_up_change_management,
    state_of,
    template,
    window,
)
from itsm.core.exceptions import TransitionNotAllowed
from itsm.core.testing import BaseTestCase

S = ChangeStatus
NOT_APPROVED = gettext_lazy(
    "This change is not approved yet: only an emergency change may be implemented before approval."
)


class EmergencyChangeTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)

    def emergency_change(self) -> Change:
        start = timezone.now() - timedelta(minutes=10)
        change = rfc(
            self.engineer,
            title="核心交换机故障紧急更换板卡",
            change_type=ChangeType.EMERGENCY,
            planned_start=start,
            planned_end=start + timedelta(hours=1),
        )
        return transition_change(change, "submit", actor=self.engineer)

    def test_it_is_implemented_before_approval_and_approved_after_the_fact(self) -> None:
        change = self.emergency_change()
        step = change.approval_steps.get()
        self.assertEqual(step.kind, ApprovalStepKind.EMERGENCY_CAB)
        change = transition_change(change, "start", actor=self.engineer)
        self.assertIsNotNone(change.actual_start)
        change = transition_change(change, "complete", actor=self.engineer)
        with self.assertRaises(TransitionNotAllowed):
            transition_change(change, "close", actor=self.manager)
        change = transition_change(change, "review", actor=self.manager)
        with self.assertRaises(TransitionNotAllowed) as caught:
            transition_change(change, "close", actor=self.manager, data={"review_notes": "x"})
        self.assertEqual(
            str(caught.exception), _("The emergency CAB has not decided on this change yet.")
        )
        approve_change(change, actor=self.admin, comment="事后追认")
        change.refresh_from_db()
        self.assertEqual(change.status, S.REVIEW)
        self.assertEqual(change.approval_steps.get().status, ApprovalStepStatus.APPROVED)
        with self.assertRaises(ValidationError) as refused:
            transition_change(change, "close", actor=self.manager, data={})
        self.assertIn("review_notes", refused.exception.message_dict)
        change = transition_change(
            change, "close", actor=self.manager, data={"review_notes": "板卡老化，已列入更换计划"}
        )
        self.assertEqual(change.status, S.CLOSED)
        self.assertEqual(change.review_notes, "板卡老化，已列入更换计划")

    def test_the_emergency_cab_may_approve_before_the_work(self) -> None:
        change = self.emergency_change()
        approve_change(change, actor=self.manager)
        change.refresh_from_db()
        self.assertEqual(change.status, S.APPROVED)
        change = transition_change(change, "start", actor=self.engineer)
        self.assertEqual(change.status, S.IMPLEMENTING)

    def test_a_rejection_after_the_fact_is_recorded_without_moving_the_change(self) -> None:
        change = transition_change(self.emergency_change(), "start", actor=self.engineer)
        reject_change(change, actor=self.manager, comment="未按规定报备")
        change.refresh_from_db()
        self.assertEqual(change.status, S.IMPLEMENTING)
        self.assertEqual(change.approval_steps.get().status, ApprovalStepStatus.REJECTED)

    def test_a_normal_change_is_not_implemented_before_approval(self) -> None:
        for status in (S.SUBMITTED, S.ASSESSMENT, S.AWAITING_APPROVAL):
            change = change_in(self, status)
            before = state_of(change)
            with self.subTest(status=status), self.assertRaises(TransitionNotAllowed) as caught:
                transition_change(change, "start", actor=self.manager)
            self.assertEqual(str(caught.exception), NOT_APPROVED)
            self.assertEqual(state_of(change), before)

    def test_a_failed_or_backed_out_change_is_closed_with_its_review(self) -> None:
        for status in (S.FAILED, S.BACKED_OUT):
            change = change_in(self, status)
            with self.subTest(status=status):
                with self.assertRaises(TransitionNotAllowed):
                    transition_change(change, "close", actor=self.manager)
                change = transition_change(change, "review", actor=self.manager)
                before = state_of(change)
                with self.assertRaises(ValidationError):
                    transition_change(change, "close", actor=self.manager, data={})
                self.assertEqual(state_of(change), before)
                done = transition_change(
                    change,
                    "close",
                    actor=self.manager,
                    data={"review_notes": "回退成功，原因已查明"},
                )
                self.assertEqual(done.status, S.CLOSED)


class StandardChangeTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)

    def test_a_standard_change_from_a_template_is_scheduled_without_cab(self) -> None:
        model = template(self)
        start, _end = window()
        change = raise_standard_change(model, {"planned_start": start}, actor=self.engineer)
        self.assertEqual(change.change_type, ChangeType.STANDARD)
        self.assertEqual(change.title, "医保接口证书更新")
        self.assertEqual(change.planned_end, start + timedelta(minutes=30))
        self.assertEqual(change.assignment_group, self.front_group)
        change = transition_change(change, "submit", actor=self.engineer)
        with self.assertRaises(TransitionNotAllowed):
            transition_change(change, "assess", actor=self.manager)
        change = schedule_change(change, actor=self.engineer)
        self.assertEqual(change.status, S.SCHEDULED)
        self.assertFalse(change.approval_steps.exists())

    def test_a_standard_change_is_not_scheduled_in_the_past(self) -> None:
        model = template(self)
        with self.assertRaises(ValidationError):
            raise_standard_change(
                model, {"planned_start": timezone.now() - timedelta(hours=1)}, actor=self.engineer
            )

    def test_scheduling_into_the_past_is_refused_and_nothing_written(self) -> None:
        change = change_in(self, S.APPROVED)
        before = state_of(change)
        past = timezone.now() - timedelta(days=1)
        with self.assertRaises(ValidationError) as caught:
            schedule_change(
                change,
                actor=self.engineer,
                planned_start=past,
                planned_end=past + timedelta(hours=1),
            )
        self.assertIn("planned_start", caught.exception.message_dict)
        self.assertEqual(state_of(change), before)

    def test_scheduling_with_the_end_before_the_start_is_refused(self) -> None:
        change = change_in(self, S.APPROVED)
        start, _end = window(days=5)
        with self.assertRaises(ValidationError) as caught:
            schedule_change(
                change,
                actor=self.engineer,
                planned_start=start,
                planned_end=start - timedelta(hours=1),
            )
        self.assertIn("planned_end", caught.exception.message_dict)

"""The approval path by type, risk and impact, and each approver's decision: recorded and
audited; an approver not on the step (403), a second decision (409), a rejection without
reason (400) and a decision out of turn (409) are refused with nothing written."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from itsm.changes.choices import ApprovalStepKind, ApprovalStepStatus, ChangeStatus
from itsm.changes.models import Approval, ApprovalStep, Change
from itsm.changes.services import (
    approve_change,
    assess_risk,
    reject_change,
    transition_change,
)
from itsm.changes.tests.factories import (
    change_in,
    high_risk_answers,
    rfc,
    set_up_change_management,
    state_of,
)
from itsm.core.exceptions import ConflictError, TransitionNotAllowed
from itsm.core.models import AuditEntry, Notification
from itsm.core.testing import BaseTestCase

S = ChangeStatus


class ApprovalPathTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)

    def high_risk_change(self) -> Change:
        change = change_in(self, S.ASSESSMENT)
        change = assess_risk(change, high_risk_answers(), actor=self.manager)
        return transition_change(change, "request_approval", actor=self.manager)

    def test_a_low_risk_change_needs_the_change_manager_only(self) -> None:
        change = change_in(self, S.AWAITING_APPROVAL)
        steps = list(change.approval_steps.all())
        self.assertEqual([s.kind for s in steps], [ApprovalStepKind.CHANGE_MANAGER])
        # The requester (the engineer) is not among the approvers of his own change.
        self.assertEqual(set(steps[0].approvers.all()), {self.manager, self.admin})
        self.assertTrue(
            Notification.objects.filter(recipient=self.manager, object_id=change.pk).exists()
        )
        approve_change(change, actor=self.manager, comment="同意")
        change.refresh_from_db()
        self.assertEqual(change.status, S.APPROVED)
        self.assertIsNotNone(change.approved_at)

    def test_a_high_risk_change_goes_to_the_cab_with_its_quorum(self) -> None:
        change = self.high_risk_change()
        self.assertEqual(
            [s.kind for s in change.approval_steps.all()],
            [ApprovalStepKind.CHANGE_MANAGER, ApprovalStepKind.CAB],
        )
        approve_change(change, actor=self.manager)
        approve_change(change, actor=self.manager, comment="CAB 同意")
        change.refresh_from_db()
        self.assertEqual(change.status, S.AWAITING_APPROVAL)
        approve_change(change, actor=self.engineer, comment="同意")
        change.refresh_from_db()
        self.assertEqual(change.status, S.APPROVED)
        cab = change.approval_steps.get(kind=ApprovalStepKind.CAB)
        self.assertEqual(cab.status, ApprovalStepStatus.APPROVED)
        self.assertEqual(cab.approvals.count(), 2)
        self.assertEqual(
            AuditEntry.objects.filter(
                content_type__model="change", object_id=change.pk, action="approval:approve"
            ).count(),
            3,
        )

    def test_someone_not_on_the_step_is_refused_and_nothing_is_written(self) -> None:
        change = change_in(self, S.AWAITING_APPROVAL)
        before = state_of(change)
        for user in (self.engineer, self.vendor, self.agent):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied) as caught:
                approve_change(change, actor=user)
            self.assertEqual(str(caught.exception), _("You are not an approver of this step."))
        self.assertEqual(state_of(change), before)
        self.assertFalse(Approval.objects.exists())

    def test_approving_twice_is_refused(self) -> None:
        change = self.high_risk_change()
        approve_change(change, actor=self.manager)
        approve_change(change, actor=self.manager)
        before = state_of(change)
        with self.assertRaises(ConflictError) as caught:
            approve_change(change, actor=self.manager)
        self.assertEqual(caught.exception.message, _("You have already decided on this step."))
        self.assertEqual(state_of(change), before)

    def test_a_cab_member_waits_for_the_change_manager(self) -> None:
        change = self.high_risk_change()
        with self.assertRaises(ConflictError):
            approve_change(change, actor=self.engineer)
        self.assertFalse(Approval.objects.exists())

    def test_a_rejection_needs_a_reason_and_rejects_the_change(self) -> None:
        change = change_in(self, S.AWAITING_APPROVAL)
        with self.assertRaises(ValidationError) as caught:
            reject_change(change, actor=self.manager, comment="  ")
        self.assertIn("comment", caught.exception.message_dict)
        reject_change(change, actor=self.manager, comment="回退方案不完整")
        change.refresh_from_db()
        self.assertEqual(change.status, S.REJECTED)
        self.assertIsNotNone(change.closed_at)
        step = ApprovalStep.objects.get(change=change)
        self.assertEqual(step.status, ApprovalStepStatus.REJECTED)
        self.assertEqual(step.approvals.get().comment, "回退方案不完整")

    def test_a_change_not_waiting_for_approval_takes_no_decision(self) -> None:
        for status in (S.DRAFT, S.APPROVED, S.CLOSED):
            change = change_in(self, status)
            with self.subTest(status=status), self.assertRaises(ConflictError):
                approve_change(change, actor=self.manager)

    def test_approval_is_not_taken_by_hand(self) -> None:
        change = change_in(self, S.AWAITING_APPROVAL)
        with self.assertRaises(TransitionNotAllowed):
            transition_change(change, "approve", actor=self.manager)

    def test_without_a_cab_a_high_risk_change_cannot_go_for_approval(self) -> None:
        from itsm.changes.models import AdvisoryBoard

        AdvisoryBoard.objects.update(active=False)
        change = change_in(self, S.ASSESSMENT)
        change = assess_risk(change, high_risk_answers(), actor=self.manager)
        before = state_of(change)
        with self.assertRaises(ConflictError):
            transition_change(change, "request_approval", actor=self.manager)
        self.assertEqual(state_of(change), before)
        self.assertFalse(ApprovalStep.objects.exists())

    def test_a_normal_change_is_assessed_before_approval(self) -> None:
        change = transition_change(rfc(self.engineer), "submit", actor=self.engineer)
        with self.assertRaises(TransitionNotAllowed):
            transition_change(change, "request_approval", actor=self.manager)
        change = transition_change(change, "assess", actor=self.manager)
        with self.assertRaises(TransitionNotAllowed) as caught:
            transition_change(change, "request_approval", actor=self.manager)
        self.assertEqual(str(caught.exception), _("Answer the risk questionnaire first."))

"""The change workflow table, walked pair by pair: every (status, transition) combination
for a normal change, the required fields, and the conditions that refuse a transition whose
source matches (approval, implementation before approval, review before close)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError

from itsm.changes.choices import ChangeStatus
from itsm.changes.models import Change
from itsm.changes.services import transition_change
from itsm.changes.tests.factories import audit_count, change_in, set_up_change_management, state_of
from itsm.changes.workflow import CHANGE_WORKFLOW
from itsm.core.exceptions import TransitionNotAllowed
from itsm.core.testing import BaseTestCase

S = ChangeStatus

VALID_DATA: dict[str, dict[str, Any]] = {
    "fail": {"note": "升级脚本报错"},
    "back_out": {"note": "按回退方案恢复"},
    "close": {"review_notes": "变更后复盘"},
    "cancel": {"reason": "需求取消"},
}

# Pairs whose source matches but which a normal, low-risk change may not take: approval
# and rejection follow the approvers' decisions, a normal change is assessed before it is
# sent for approval, scheduled only once approved, implemented only once scheduled.
REFUSED_BY_CONDITION = {
    (S.SUBMITTED, "request_approval"),
    (S.SUBMITTED, "schedule"),
    *((status, "start") for status in (S.SUBMITTED, S.ASSESSMENT, S.AWAITING_APPROVAL, S.APPROVED)),
    *((status, "approve") for status in (S.SUBMITTED, S.ASSESSMENT, S.AWAITING_APPROVAL)),
    *((status, "reject") for status in (S.SUBMITTED, S.ASSESSMENT, S.AWAITING_APPROVAL)),
}


class WorkflowTableTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)

    def test_every_status_of_the_model_is_named_in_the_table(self) -> None:
        used = {CHANGE_WORKFLOW.initial}
        for transition in CHANGE_WORKFLOW:
            used.update(transition.sources)
            used.add(transition.target)
        self.assertEqual(used, set(S.values))

    def test_transition_names_are_unique(self) -> None:
        names = [t.name for t in CHANGE_WORKFLOW]
        self.assertEqual(len(names), len(set(names)))

    def test_every_transition_permission_exists(self) -> None:
        for transition in CHANGE_WORKFLOW:
            app_label, codename = transition.permission.split(".")
            with self.subTest(transition=transition.name):
                self.assertTrue(
                    Permission.objects.filter(
                        content_type__app_label=app_label, codename=codename
                    ).exists()
                )

    def test_it_tries_every_status_and_transition_pair(self) -> None:
        """Success exactly when the status is a source and no condition refuses; otherwise
        a 409 that leaves the row and its audit log as they were."""
        for status in S.values:
            for transition in CHANGE_WORKFLOW:
                with self.subTest(status=status, transition=transition.name):
                    change = change_in(self, status)
                    self.assertEqual(change.status, status)
                    before = state_of(change)
                    data = VALID_DATA.get(transition.name, {})
                    allowed = status in transition.sources and (
                        (status, transition.name) not in REFUSED_BY_CONDITION
                    )
                    if allowed:
                        done = transition_change(
                            change, transition.name, actor=self.manager, data=data
                        )
                        self.assertEqual(done.status, transition.target)
                        self.assertEqual(
                            Change.objects.get(pk=change.pk).version, before[0]["version"] + 1
                        )
                        self.assertGreater(audit_count(change), before[1])
                    else:
                        with self.assertRaises(TransitionNotAllowed):
                            transition_change(
                                change, transition.name, actor=self.manager, data=data
                            )
                        self.assertEqual(state_of(change), before)

    def test_an_unknown_transition_is_refused_and_changes_nothing(self) -> None:
        change = change_in(self, S.DRAFT)
        before = state_of(change)
        with self.assertRaises(TransitionNotAllowed):
            transition_change(change, "teleport", actor=self.manager)
        self.assertEqual(state_of(change), before)

    def test_it_rejects_each_transition_without_its_required_fields(self) -> None:
        for transition in CHANGE_WORKFLOW:
            required = transition.required_fields()
            if not required:
                continue
            with self.subTest(transition=transition.name):
                change = change_in(self, transition.sources[-1])
                before = state_of(change)
                with self.assertRaises(ValidationError) as raised:
                    transition_change(change, transition.name, actor=self.manager, data={})
                self.assertEqual(set(raised.exception.message_dict), set(required))
                self.assertEqual(state_of(change), before)

    def test_the_desk_may_not_take_any_transition(self) -> None:
        change = change_in(self, S.DRAFT)
        with self.assertRaises(PermissionDenied):
            transition_change(change, "submit", actor=self.agent)
        self.assertEqual(CHANGE_WORKFLOW.available(change, self.agent), [])

    def test_a_vendor_works_only_changes_of_his_groups(self) -> None:
        change = change_in(self, S.DRAFT, assignment_group=self.vendor_group)
        with self.assertRaises(PermissionDenied):
            transition_change(change, "submit", actor=self.other_vendor)
        done = transition_change(change, "submit", actor=self.vendor)
        self.assertEqual(done.status, S.SUBMITTED)

"""The release workflow table, walked pair by pair, and the rules on who may move a
release and what must hold before it enters deploy or is closed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError

from itsm.changes.choices import ChangeStatus
from itsm.core.exceptions import StaleVersion, TransitionNotAllowed
from itsm.core.testing import BaseTestCase
from itsm.releases.choices import ReleaseStatus
from itsm.releases.models import Release
from itsm.releases.services import transition_release
from itsm.releases.tests.factories import application, audit_count, change, release, release_in
from itsm.releases.workflow import RELEASE_WORKFLOW

S = ReleaseStatus

VALID_DATA: dict[str, dict[str, Any]] = {
    "return_to_build": {"reason": "测试发现挂号打印缺陷"},
    "cancel": {"reason": "厂商撤回该版本"},
}
# Pairs whose source matches but whose condition refuses for the fixture: a release in
# deploy has no production deployment yet, so it cannot be closed.
REFUSED_BY_CONDITION = {(S.DEPLOY, "close")}


class ReleaseWorkflowTableTests(BaseTestCase):
    def test_every_status_of_the_model_is_named_in_the_table(self) -> None:
        used = {RELEASE_WORKFLOW.initial}
        for transition in RELEASE_WORKFLOW:
            used.update(transition.sources)
            used.add(transition.target)
        self.assertEqual(used, set(S.values))

    def test_transition_names_are_unique(self) -> None:
        names = [t.name for t in RELEASE_WORKFLOW]
        self.assertEqual(len(names), len(set(names)))

    def test_every_transition_permission_exists(self) -> None:
        for transition in RELEASE_WORKFLOW:
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
            for transition in RELEASE_WORKFLOW:
                with self.subTest(status=status, transition=transition.name):
                    rel = release_in(self, status)
                    self.assertEqual(rel.status, status)
                    before = (Release.objects.get(pk=rel.pk).field_snapshot(), audit_count(rel))
                    data = VALID_DATA.get(transition.name, {})
                    allowed = status in transition.sources and (
                        (status, transition.name) not in REFUSED_BY_CONDITION
                    )
                    if allowed:
                        done = transition_release(
                            rel, transition.name, actor=self.manager, data=data
                        )
                        self.assertEqual(done.status, transition.target)
                        self.assertEqual(
                            Release.objects.get(pk=rel.pk).version, before[0]["version"] + 1
                        )
                        self.assertEqual(audit_count(rel), before[1] + 1)
                    else:
                        with self.assertRaises(TransitionNotAllowed):
                            transition_release(rel, transition.name, actor=self.manager, data=data)
                        after = (Release.objects.get(pk=rel.pk).field_snapshot(), audit_count(rel))
                        self.assertEqual(after, before)


class ReleaseWorkflowRuleTests(BaseTestCase):
    def test_it_refuses_stages_in_the_wrong_order(self) -> None:
        rel = release_in(self, S.BUILD)
        with self.assertRaises(TransitionNotAllowed):
            transition_release(rel, "start_deploy", actor=self.manager)
        with self.assertRaises(TransitionNotAllowed):
            transition_release(rel, "close", actor=self.manager)
        self.assertEqual(Release.objects.get(pk=rel.pk).status, S.BUILD)

    def test_it_refuses_deploy_while_a_bundled_change_is_not_approved(self) -> None:
        waiting = change(self.engineer, ChangeStatus.AWAITING_APPROVAL)
        rel = release(self, items=[application()], changes=[change(self.engineer), waiting])
        rel = transition_release(rel, "start_test", actor=self.engineer)
        with self.assertRaisesMessage(TransitionNotAllowed, waiting.number):
            transition_release(rel, "start_deploy", actor=self.manager)

    def test_it_refuses_deploy_without_any_bundled_change(self) -> None:
        rel = release(self, items=[application()])
        rel = transition_release(rel, "start_test", actor=self.engineer)
        with self.assertRaises(TransitionNotAllowed):
            transition_release(rel, "start_deploy", actor=self.manager)

    def test_it_accepts_every_status_from_approved_on(self) -> None:
        statuses = (ChangeStatus.SCHEDULED, ChangeStatus.IMPLEMENTED, ChangeStatus.CLOSED)
        rel = release(self, changes=[change(self.engineer, s) for s in statuses])
        rel = transition_release(rel, "start_test", actor=self.engineer)
        done = transition_release(rel, "start_deploy", actor=self.manager)
        self.assertEqual(done.status, S.DEPLOY)

    def test_a_failed_change_does_not_authorise_deploying(self) -> None:
        rel = release(self, changes=[change(self.engineer, ChangeStatus.BACKED_OUT)])
        rel = transition_release(rel, "start_test", actor=self.engineer)
        with self.assertRaises(TransitionNotAllowed):
            transition_release(rel, "start_deploy", actor=self.manager)

    def test_only_the_release_manager_approves_for_deployment(self) -> None:
        rel = release_in(self, S.TEST)
        with self.assertRaises(PermissionDenied):
            transition_release(rel, "start_deploy", actor=self.engineer)
        with self.assertRaises(PermissionDenied):
            transition_release(rel, "cancel", actor=self.engineer, data={"reason": "x"})

    def test_a_vendor_engineer_works_only_his_groups_releases(self) -> None:
        mine = release_in(self, S.BUILD, assignment_group=self.vendor_group)
        other = release_in(self, S.BUILD, assignment_group=self.other_vendor_group)
        with self.assertRaises(PermissionDenied):
            transition_release(other, "start_test", actor=self.vendor)
        done = transition_release(mine, "start_test", actor=self.vendor)
        self.assertEqual(done.status, S.TEST)

    def test_return_to_build_needs_a_reason(self) -> None:
        rel = release_in(self, S.TEST)
        with self.assertRaises(ValidationError) as caught:
            transition_release(rel, "return_to_build", actor=self.engineer, data={})
        self.assertIn("reason", caught.exception.message_dict)

    def test_a_stale_version_is_refused(self) -> None:
        rel = release_in(self, S.BUILD)
        with self.assertRaises(StaleVersion):
            transition_release(rel, "start_test", actor=self.engineer, version=rel.version + 1)
        self.assertEqual(Release.objects.get(pk=rel.pk).status, S.BUILD)

"""The incident workflow table, walked pair by pair: every (status, transition) combination,
required fields, permissions per role, and the guards and conditions of each transition."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from itsm.accounts.models import User
from itsm.core.exceptions import TransitionNotAllowed
from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import (
    IncidentPendingReason,
    IncidentResolutionCode,
    IncidentRoutingKind,
    IncidentStatus,
)
from itsm.incidents.models import Incident, IncidentAssignment
from itsm.incidents.services import transition_incident
from itsm.incidents.tests.factories import RESOLUTION, audit_count, incident_in, state_of
from itsm.incidents.workflow import INCIDENT_WORKFLOW

S = IncidentStatus


def valid_data(case: BaseTestCase, incident: Incident, name: str) -> dict[str, Any]:
    """Input that passes the transition's form for an incident routed to the front line."""
    return {
        "assign": {"assignment_group": case.front_group.pk},
        "escalate": {"assignment_group": case.vendor_group.pk, "reason": "需要厂商处理"},
        "reassign": {"assignment_group": case.desk_group.pk, "reason": "分派错误"},
        "pend": {"pending_reason": IncidentPendingReason.VENDOR, "note": "等待厂商"},
        "resolve": dict(RESOLUTION),
        "confirm": {"note": "已恢复"},
        "close": {"note": "电话确认"},
        "reopen": {"reason": "问题再次出现"},
        "cancel": {"reason": "重复报修"},
    }.get(name, {})


class WorkflowTableTests(BaseTestCase):
    def test_every_status_of_the_model_is_reachable_and_named_in_the_table(self) -> None:
        used = {INCIDENT_WORKFLOW.initial}
        for transition in INCIDENT_WORKFLOW:
            used.update(transition.sources)
            used.add(transition.target)
        self.assertEqual(used, set(S.values))

    def test_transition_names_are_unique(self) -> None:
        names = [t.name for t in INCIDENT_WORKFLOW]
        self.assertEqual(len(names), len(set(names)))

    def test_every_transition_permission_exists(self) -> None:
        from django.contrib.auth.models import Permission

        for transition in INCIDENT_WORKFLOW:
            app_label, codename = transition.permission.split(".")
            with self.subTest(transition=transition.name):
                self.assertTrue(
                    Permission.objects.filter(
                        content_type__app_label=app_label, codename=codename
                    ).exists()
                )

    def test_it_tries_every_status_and_transition_pair(self) -> None:
        """Success exactly when the status is a source; otherwise a 409 that leaves the row,
        its audit log and its routing hops as they were."""
        for status in S.values:
            for transition in INCIDENT_WORKFLOW:
                with self.subTest(status=status, transition=transition.name):
                    incident = incident_in(self, status)
                    self.assertEqual(incident.status, status)
                    before = state_of(incident)
                    data = valid_data(self, incident, transition.name)
                    if status in transition.sources:
                        done = transition_incident(
                            incident, transition.name, actor=self.agent, data=data
                        )
                        self.assertEqual(done.status, transition.target)
                        self.assertEqual(
                            Incident.objects.get(pk=incident.pk).version, before[0]["version"] + 1
                        )
                        self.assertEqual(audit_count(incident), before[1] + 1)
                    else:
                        with self.assertRaises(TransitionNotAllowed):
                            transition_incident(
                                incident, transition.name, actor=self.agent, data=data
                            )
                        self.assertEqual(state_of(incident), before)

    def test_an_unknown_transition_is_refused_and_changes_nothing(self) -> None:
        incident = incident_in(self, S.ASSIGNED)
        before = state_of(incident)
        with self.assertRaises(TransitionNotAllowed):
            transition_incident(incident, "teleport", actor=self.agent)
        self.assertEqual(state_of(incident), before)


class RequiredFieldTests(BaseTestCase):
    def test_it_rejects_each_transition_without_its_required_fields(self) -> None:
        for transition in INCIDENT_WORKFLOW:
            required = transition.required_fields()
            if not required:
                continue
            with self.subTest(transition=transition.name):
                incident = incident_in(self, transition.sources[0])
                before = state_of(incident)
                with self.assertRaises(ValidationError) as raised:
                    transition_incident(incident, transition.name, actor=self.agent, data={})
                self.assertEqual(set(raised.exception.message_dict), set(required))
                self.assertEqual(state_of(incident), before)

    def test_the_table_lists_the_required_fields_the_docs_promise(self) -> None:
        required = {t.name: set(t.required_fields()) for t in INCIDENT_WORKFLOW}
        self.assertEqual(required["resolve"], {"resolution_code", "resolution_notes"})
        self.assertEqual(required["escalate"], {"assignment_group", "reason"})
        self.assertEqual(required["pend"], {"pending_reason"})
        self.assertEqual(required["assign"], {"assignment_group"})
        self.assertEqual(required["accept"], set())

    def test_it_rejects_resolve_with_an_unknown_code(self) -> None:
        incident = incident_in(self, S.IN_PROGRESS)
        before = state_of(incident)
        with self.assertRaises(ValidationError) as raised:
            transition_incident(
                incident,
                "resolve",
                actor=self.engineer,
                data={"resolution_code": "magic", "resolution_notes": "x"},
            )
        self.assertIn("resolution_code", raised.exception.message_dict)
        self.assertEqual(state_of(incident), before)

    def test_it_rejects_an_assignee_who_is_not_a_member_of_the_group(self) -> None:
        incident = incident_in(self, S.NEW)
        before = state_of(incident)
        with self.assertRaises(ValidationError) as raised:
            transition_incident(
                incident,
                "assign",
                actor=self.agent,
                data={"assignment_group": self.front_group.pk, "assignee": self.vendor.pk},
            )
        self.assertIn("assignee", raised.exception.message_dict)
        self.assertEqual(state_of(incident), before)


class PermissionTests(BaseTestCase):
    def personas(self) -> list[User]:
        return [
            self.nurse,
            self.agent,
            self.engineer,
            self.vendor,
            self.manager,
            self.admin,
            self.outsider,
        ]

    def test_each_role_without_the_permission_gets_permission_denied(self) -> None:
        for transition in INCIDENT_WORKFLOW:
            for persona in self.personas():
                user = self.reload(persona)
                if user.has_perm(transition.permission):
                    continue
                with self.subTest(transition=transition.name, role=user.username):
                    incident = incident_in(self, transition.sources[0])
                    before = state_of(incident)
                    with self.assertRaises(PermissionDenied):
                        transition_incident(
                            incident,
                            transition.name,
                            actor=user,
                            data=valid_data(self, incident, transition.name),
                        )
                    self.assertEqual(state_of(incident), before)

    def test_the_roles_lacking_each_permission_are_the_expected_ones(self) -> None:
        lacking = {
            t.name: {
                p.username
                for p in map(self.reload, self.personas())
                if not p.has_perm(t.permission)
            }
            for t in INCIDENT_WORKFLOW
        }
        self.assertEqual(lacking["assign"], {"nurse", "vendor", "outsider"})
        self.assertEqual(lacking["accept"], {"nurse", "outsider"})
        self.assertEqual(lacking["escalate"], {"nurse", "outsider"})
        self.assertEqual(lacking["resolve"], {"nurse", "outsider"})
        self.assertEqual(lacking["confirm"], {"vendor", "outsider"})
        self.assertEqual(lacking["close"], {"nurse", "vendor", "outsider"})
        self.assertEqual(lacking["reopen"], {"vendor", "outsider"})
        self.assertEqual(lacking["cancel"], {"vendor", "outsider"})

    def test_available_lists_only_what_the_user_may_take_now(self) -> None:
        incident = incident_in(self, S.RESOLVED)

        def names(user: User) -> set[str]:
            return {t.name for t in INCIDENT_WORKFLOW.available(incident, user)}

        self.assertEqual(names(self.reload(self.nurse)), {"confirm", "reopen"})
        self.assertEqual(names(self.reload(self.doctor)), set())
        self.assertEqual(names(self.reload(self.agent)), {"confirm", "close", "reopen"})
        self.assertEqual(names(self.reload(self.outsider)), set())


class VendorGuardTests(BaseTestCase):
    def test_a_vendor_cannot_accept_an_incident_not_with_his_group(self) -> None:
        incident = incident_in(self, S.ASSIGNED, group=self.other_vendor_group)
        before = state_of(incident)
        with self.assertRaises(PermissionDenied):
            transition_incident(incident, "accept", actor=self.reload(self.vendor))
        self.assertEqual(state_of(incident), before)

    def test_a_vendor_works_an_incident_routed_to_his_group(self) -> None:
        incident = incident_in(self, S.ASSIGNED, group=self.vendor_group)
        incident = transition_incident(incident, "accept", actor=self.reload(self.vendor))
        self.assertEqual(incident.status, S.IN_PROGRESS)
        self.assertEqual(incident.assignee, self.vendor)
        incident = transition_incident(
            incident, "resolve", actor=self.reload(self.vendor), data=RESOLUTION
        )
        self.assertEqual(incident.status, S.RESOLVED)

    def test_a_vendor_can_no_longer_work_an_incident_routed_away_from_his_group(self) -> None:
        incident = incident_in(self, S.IN_PROGRESS, group=self.vendor_group)
        incident = transition_incident(
            incident,
            "reassign",
            actor=self.agent,
            data={"assignment_group": self.other_vendor_group.pk, "reason": "不是HIS问题"},
        )
        for name in ("accept", "resolve", "escalate", "reassign"):
            with self.subTest(transition=name), self.assertRaises(PermissionDenied):
                transition_incident(
                    incident,
                    name,
                    actor=self.reload(self.vendor),
                    data=valid_data(self, incident, name),
                )

    def test_the_front_line_may_work_an_incident_of_any_group(self) -> None:
        # Desk roles (agent, front line, manager) see every incident and may work any of them.
        incident = incident_in(self, S.IN_PROGRESS, group=self.vendor_group)
        incident = transition_incident(
            incident,
            "pend",
            actor=self.engineer,
            data={"pending_reason": IncidentPendingReason.PARTS},
        )
        self.assertEqual(incident.status, S.PENDING)


class RequesterGuardTests(BaseTestCase):
    def test_a_requester_confirms_his_own_resolved_incident(self) -> None:
        incident = incident_in(self, S.RESOLVED)
        incident = transition_incident(incident, "confirm", actor=self.reload(self.nurse))
        self.assertEqual(incident.status, S.CLOSED)
        self.assertIsNotNone(incident.closed_at)

    def test_a_requester_cannot_confirm_someone_elses_incident(self) -> None:
        incident = incident_in(self, S.RESOLVED)
        before = state_of(incident)
        with self.assertRaises(PermissionDenied):
            transition_incident(incident, "confirm", actor=self.reload(self.doctor))
        self.assertEqual(state_of(incident), before)

    def test_a_requester_cannot_reopen_someone_elses_incident(self) -> None:
        incident = incident_in(self, S.RESOLVED)
        before = state_of(incident)
        with self.assertRaises(PermissionDenied):
            transition_incident(
                incident, "reopen", actor=self.reload(self.doctor), data={"reason": "没修好"}
            )
        self.assertEqual(state_of(incident), before)

    def test_a_requester_reopens_his_own_incident(self) -> None:
        incident = incident_in(self, S.RESOLVED)
        incident = transition_incident(
            incident, "reopen", actor=self.reload(self.nurse), data={"reason": "又不出纸了"}
        )
        self.assertEqual(incident.status, S.ASSIGNED)

    def test_a_requester_cancels_his_own_new_incident(self) -> None:
        incident = incident_in(self, S.NEW)
        incident = transition_incident(
            incident, "cancel", actor=self.reload(self.nurse), data={"reason": "已自行解决"}
        )
        self.assertEqual(incident.status, S.CANCELLED)
        self.assertIsNotNone(incident.closed_at)

    def test_a_requester_cannot_cancel_once_an_engineer_has_it(self) -> None:
        for status in (S.ASSIGNED, S.IN_PROGRESS, S.PENDING):
            with self.subTest(status=status):
                incident = incident_in(self, status)
                before = state_of(incident)
                with self.assertRaises(PermissionDenied):
                    transition_incident(
                        incident,
                        "cancel",
                        actor=self.reload(self.nurse),
                        data={"reason": "不需要了"},
                    )
                self.assertEqual(state_of(incident), before)

    def test_a_requester_cannot_cancel_someone_elses_new_incident(self) -> None:
        incident = incident_in(self, S.NEW)
        with self.assertRaises(PermissionDenied):
            transition_incident(
                incident, "cancel", actor=self.reload(self.doctor), data={"reason": "x"}
            )

    def test_the_desk_cancels_an_incident_being_worked(self) -> None:
        incident = incident_in(self, S.PENDING)
        incident = transition_incident(
            incident, "cancel", actor=self.agent, data={"reason": "科室撤回"}
        )
        self.assertEqual(incident.status, S.CANCELLED)


class RoutingConditionTests(BaseTestCase):
    def test_escalation_must_go_to_a_higher_tier(self) -> None:
        incident = incident_in(self, S.IN_PROGRESS)  # with the front line
        before = state_of(incident)
        with self.assertRaises(ValidationError) as raised:
            transition_incident(
                incident,
                "escalate",
                actor=self.engineer,
                data={"assignment_group": self.desk_group.pk, "reason": "退回"},
            )
        self.assertIn("assignment_group", raised.exception.message_dict)
        self.assertEqual(state_of(incident), before)

    def test_escalation_to_a_group_of_the_same_tier_is_refused(self) -> None:
        incident = incident_in(self, S.IN_PROGRESS, group=self.vendor_group)
        before = state_of(incident)
        with self.assertRaises(ValidationError) as raised:
            transition_incident(
                incident,
                "escalate",
                actor=self.reload(self.vendor),
                data={"assignment_group": self.other_vendor_group.pk, "reason": "影像问题"},
            )
        self.assertIn("assignment_group", raised.exception.message_dict)
        self.assertEqual(state_of(incident), before)

    def test_reassigning_to_the_same_group_is_refused(self) -> None:
        incident = incident_in(self, S.IN_PROGRESS)
        before = state_of(incident)
        with self.assertRaises(ValidationError) as raised:
            transition_incident(
                incident,
                "reassign",
                actor=self.engineer,
                data={"assignment_group": self.front_group.pk, "reason": "再派一次"},
            )
        self.assertIn("assignment_group", raised.exception.message_dict)
        self.assertEqual(state_of(incident), before)

    def test_escalation_records_the_hop_and_counts_the_reassignment(self) -> None:
        incident = incident_in(self, S.IN_PROGRESS)
        incident = transition_incident(
            incident,
            "escalate",
            actor=self.engineer,
            data={"assignment_group": self.vendor_group.pk, "reason": "HIS接口报错"},
        )
        self.assertEqual(incident.status, S.ASSIGNED)
        self.assertEqual(incident.assignment_group, self.vendor_group)
        self.assertIsNone(incident.assignee)
        self.assertEqual(incident.reassignment_count, 1)
        hop = IncidentAssignment.objects.filter(incident=incident).last()
        assert hop is not None
        self.assertEqual(hop.kind, IncidentRoutingKind.ESCALATE)
        self.assertEqual(hop.from_group, self.front_group)
        self.assertEqual(hop.reason, "HIS接口报错")
        self.assertEqual(hop.actor, self.engineer)


class ReopenTests(BaseTestCase):
    def test_reopen_clears_resolved_at_and_goes_back_to_assigned(self) -> None:
        incident = incident_in(self, S.RESOLVED)
        self.assertIsNotNone(incident.resolved_at)
        incident = transition_incident(
            incident, "reopen", actor=self.reload(self.nurse), data={"reason": "又坏了"}
        )
        incident.refresh_from_db()
        self.assertEqual(incident.status, S.ASSIGNED)
        self.assertIsNone(incident.resolved_at)
        self.assertEqual(incident.assignment_group, self.front_group)

    def test_a_reopened_incident_can_be_resolved_again(self) -> None:
        incident = incident_in(self, S.RESOLVED)
        incident = transition_incident(
            incident, "reopen", actor=self.reload(self.nurse), data={"reason": "又坏了"}
        )
        incident = transition_incident(incident, "accept", actor=self.engineer)
        incident = transition_incident(
            incident,
            "resolve",
            actor=self.engineer,
            data={
                "resolution_code": IncidentResolutionCode.HARDWARE_REPLACED,
                "resolution_notes": "更换打印机",
            },
        )
        self.assertEqual(incident.status, S.RESOLVED)
        self.assertEqual(incident.resolution_code, IncidentResolutionCode.HARDWARE_REPLACED)


class PendingTests(BaseTestCase):
    def test_pending_records_the_reason_and_resume_clears_it(self) -> None:
        incident = incident_in(self, S.PENDING)
        self.assertEqual(incident.pending_reason, IncidentPendingReason.PARTS)
        incident = transition_incident(incident, "resume", actor=self.engineer)
        self.assertEqual(incident.status, S.IN_PROGRESS)
        self.assertEqual(incident.pending_reason, "")

    def test_escalating_a_pending_incident_clears_its_pending_reason(self) -> None:
        incident = incident_in(self, S.PENDING)
        incident = transition_incident(
            incident,
            "escalate",
            actor=self.engineer,
            data={"assignment_group": self.vendor_group.pk, "reason": "需厂商更换部件"},
        )
        incident.refresh_from_db()
        self.assertEqual(incident.status, S.ASSIGNED)
        self.assertEqual(incident.pending_reason, "")

    def test_resolving_a_pending_incident_clears_its_pending_reason(self) -> None:
        incident = incident_in(self, S.PENDING)
        incident = transition_incident(incident, "resolve", actor=self.engineer, data=RESOLUTION)
        self.assertEqual(incident.pending_reason, "")

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError

from itsm.accounts.choices import Role
from itsm.core.exceptions import StaleVersion, TransitionNotAllowed
from itsm.core.models import AuditEntry, Notification
from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.tests.factories import incident_in, log
from itsm.problems.choices import CauseCategory, ProblemStatus
from itsm.problems.models import Problem
from itsm.problems.services import (
    link_incidents_to_problem,
    resolve_problem,
    transition_problem,
    unlink_incident,
    update_problem,
)
from itsm.problems.tests.factories import problem

ROOT_CAUSE = {
    "root_cause": "打印机驱动版本与 HIS 打印控件不兼容",
    "cause_category": CauseCategory.SOFTWARE,
    "five_whys": "1. 为什么卡纸？驱动走纸长度错误",
}


class RaiseProblemTests(BaseTestCase):
    def test_raise_numbers_prioritises_links_and_audits(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        found = problem(self.engineer, incidents=[incident], service=self.his)
        self.assertTrue(found.number.startswith("PRB"))
        self.assertEqual(found.status, ProblemStatus.NEW)
        self.assertEqual(found.priority, 3)
        self.assertEqual(found.requester, self.engineer)
        self.assertEqual(list(found.incidents.all()), [incident])
        entry = AuditEntry.objects.get(content_type__model="problem", object_id=found.pk)
        self.assertEqual(entry.changes["incidents"], [[], [incident.number]])

    def test_desk_and_requesters_may_not_raise(self) -> None:
        for user in (self.agent, self.nurse, self.vendor):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied):
                problem(user)

    def test_title_is_required(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            problem(self.engineer, title="")
        self.assertIn("title", caught.exception.message_dict)


class UpdateProblemTests(BaseTestCase):
    def test_update_with_stale_version_is_refused(self) -> None:
        found = problem(self.engineer)
        updated = update_problem(
            found, {"symptoms": "每天早上第一张腕带卡纸"}, actor=self.engineer, version=1
        )
        self.assertEqual(updated.version, 2)
        with self.assertRaises(StaleVersion):
            update_problem(found, {"symptoms": "x"}, actor=self.manager, version=1)
        self.assertEqual(Problem.objects.get(pk=found.pk).symptoms, "每天早上第一张腕带卡纸")

    def test_back_line_edits_only_problems_of_his_groups(self) -> None:
        found = problem(self.engineer, assignment_group=self.vendor_group)
        update_problem(found, {"five_whys": "供应商分析"}, actor=self.vendor, version=1)
        with self.assertRaises(PermissionDenied):
            update_problem(found, {"five_whys": "x"}, actor=self.other_vendor, version=2)

    def test_link_and_unlink(self) -> None:
        found = problem(self.engineer)
        incident = log(self.agent, requester=self.nurse)
        link_incidents_to_problem(found, [incident], actor=self.engineer)
        link_incidents_to_problem(found, [incident], actor=self.engineer)
        self.assertEqual(found.links.count(), 1)
        self.assertEqual(found.links.get().linked_by, self.engineer)
        unlink_incident(found, incident, actor=self.engineer)
        self.assertEqual(found.links.count(), 0)
        with self.assertRaises(ValidationError):
            unlink_incident(found, incident, actor=self.engineer)


class WorkflowTests(BaseTestCase):
    def test_full_lifecycle(self) -> None:
        found = problem(self.engineer)
        found = transition_problem(found, "investigate", actor=self.engineer)
        self.assertEqual(found.status, ProblemStatus.INVESTIGATING)
        found = transition_problem(found, "root_cause", actor=self.engineer, data=ROOT_CAUSE)
        self.assertEqual(found.status, ProblemStatus.ROOT_CAUSE_KNOWN)
        self.assertEqual(found.cause_category, CauseCategory.SOFTWARE)
        found = transition_problem(
            found, "known_error", actor=self.engineer, data={"workaround": "重启打印服务"}
        )
        self.assertEqual(found.status, ProblemStatus.KNOWN_ERROR)
        found = resolve_problem(
            found, actor=self.manager, resolution_notes="升级驱动", change_number="CHG0000012"
        )
        self.assertEqual(found.status, ProblemStatus.RESOLVED)
        self.assertIsNotNone(found.resolved_at)
        self.assertEqual(found.change_number, "CHG0000012")
        found = transition_problem(found, "close", actor=self.manager)
        self.assertEqual(found.status, ProblemStatus.CLOSED)
        self.assertIsNotNone(found.closed_at)

    def test_refusals(self) -> None:
        found = problem(self.engineer)
        with self.assertRaises(TransitionNotAllowed):
            transition_problem(found, "close", actor=self.manager)
        with self.assertRaises(PermissionDenied):
            transition_problem(found, "investigate", actor=self.agent)
        found = transition_problem(found, "investigate", actor=self.engineer)
        with self.assertRaises(ValidationError) as caught:
            transition_problem(found, "root_cause", actor=self.engineer, data={})
        self.assertEqual(set(caught.exception.message_dict), {"root_cause", "cause_category"})
        with self.assertRaises(StaleVersion):
            transition_problem(found, "cancel", actor=self.manager, data={"reason": "x"}, version=1)

    def test_resolve_asks_for_a_message_when_resolving_incidents(self) -> None:
        found = transition_problem(problem(self.engineer), "investigate", actor=self.engineer)
        with self.assertRaises(ValidationError) as caught:
            resolve_problem(found, actor=self.manager, resolution_notes="x", resolve_incidents=True)
        self.assertIn("message", caught.exception.message_dict)


class ResolveWithIncidentsTests(BaseTestCase):
    def test_open_linked_incidents_are_resolved_and_requesters_told(self) -> None:
        first = incident_in(self, IncidentStatus.IN_PROGRESS, requester=self.nurse)
        second = log(self.agent, requester=self.doctor)
        closed = incident_in(self, IncidentStatus.CLOSED, requester=self.nurse)
        found = problem(self.engineer, incidents=[first, second, closed])
        found = transition_problem(found, "investigate", actor=self.engineer)
        Notification.objects.all().delete()
        resolve_problem(
            found,
            actor=self.manager,
            resolution_notes="升级打印机驱动到 5.2",
            resolve_incidents=True,
            message="已升级驱动，如仍有问题请再报修",
        )
        for incident in (first, second):
            incident.refresh_from_db()
            self.assertEqual(incident.status, IncidentStatus.RESOLVED)
            self.assertEqual(incident.resolution_notes, "已升级驱动，如仍有问题请再报修")
        closed.refresh_from_db()
        self.assertEqual(closed.status, IncidentStatus.CLOSED)
        told = set(Notification.objects.values_list("recipient__username", flat=True))
        self.assertEqual(told, {"nurse", "doctor"})

    def test_a_linked_parent_and_its_linked_child_are_resolved_once(self) -> None:
        parent = log(self.agent, requester=self.nurse)
        child = log(self.agent, requester=self.doctor, parent=parent)
        found = problem(self.engineer, incidents=[child, parent])
        found = transition_problem(found, "investigate", actor=self.engineer)
        resolve_problem(
            found, actor=self.manager, resolution_notes="x", resolve_incidents=True, message="好了"
        )
        for incident in (parent, child):
            incident.refresh_from_db()
            self.assertEqual(incident.status, IncidentStatus.RESOLVED)

    def test_without_the_option_incidents_stay_open(self) -> None:
        first = log(self.agent, requester=self.nurse)
        found = problem(self.engineer, incidents=[first])
        found = transition_problem(found, "investigate", actor=self.engineer)
        resolve_problem(found, actor=self.manager, resolution_notes="x")
        first.refresh_from_db()
        self.assertEqual(first.status, IncidentStatus.NEW)

    def test_failure_on_an_incident_rolls_everything_back(self) -> None:
        first = log(self.agent, requester=self.nurse)
        found = problem(self.engineer, incidents=[first])
        found = transition_problem(found, "investigate", actor=self.engineer)
        # A manager without the right to resolve incidents cannot resolve them through
        # the problem: nothing is written.
        Group.objects.get(name=Role.MANAGER).permissions.remove(
            Permission.objects.get(codename="resolve_incident")
        )
        manager = self.reload(self.manager)
        with self.assertRaises(PermissionDenied):
            resolve_problem(
                found, actor=manager, resolution_notes="x", resolve_incidents=True, message="m"
            )
        found.refresh_from_db()
        self.assertEqual(found.status, ProblemStatus.INVESTIGATING)
        first.refresh_from_db()
        self.assertEqual(first.status, IncidentStatus.NEW)

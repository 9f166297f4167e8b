"""Implementation tasks, the problems a change fixes and the incidents it caused, and the
monthly report of success and change-induced incident rates."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from itsm.changes.choices import ChangeOutcome, ChangeStatus, ChangeTaskStatus
from itsm.changes.models import Change, ChangeIncident
from itsm.changes.services import (
    add_change_task,
    change_report,
    finish_change_task,
    link_incident,
    link_problem,
    transition_change,
    unlink_incident,
    unlink_problem,
)
from itsm.changes.tests.factories import change_in, set_up_change_management
from itsm.core.exceptions import ConflictError, TransitionNotAllowed
from itsm.core.testing import BaseTestCase
from itsm.incidents.tests.factories import log
from itsm.problems.models import Problem
from itsm.problems.tests.factories import problem

S = ChangeStatus


class TaskTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)

    def test_open_tasks_keep_the_change_from_completing(self) -> None:
        change = change_in(self, S.IMPLEMENTING)
        task = add_change_task(
            change, {"title": "备份数据库", "assignee": self.vendor}, actor=self.engineer
        )
        self.assertEqual(task.position, 1)
        with self.assertRaises(TransitionNotAllowed):
            transition_change(change, "complete", actor=self.engineer)
        # The assignee finishes his own task even without working the change.
        finish_change_task(task, actor=self.vendor, notes="备份完成")
        task.refresh_from_db()
        self.assertEqual(task.status, ChangeTaskStatus.DONE)
        self.assertEqual(task.done_by, self.vendor)
        with self.assertRaises(ConflictError):
            finish_change_task(task, actor=self.vendor)
        done = transition_change(change, "complete", actor=self.engineer)
        self.assertEqual(done.outcome, ChangeOutcome.SUCCESSFUL)
        self.assertIsNotNone(done.actual_end)

    def test_someone_else_may_not_finish_a_task(self) -> None:
        change = change_in(self, S.SCHEDULED)
        task = add_change_task(change, {"title": "通知临床科室"}, actor=self.engineer)
        with self.assertRaises(PermissionDenied):
            finish_change_task(task, actor=self.other_vendor)

    def test_a_task_needs_a_title(self) -> None:
        change = change_in(self, S.DRAFT)
        with self.assertRaises(ValidationError) as caught:
            add_change_task(change, {"title": ""}, actor=self.engineer)
        self.assertIn("title", caught.exception.message_dict)

    def test_no_tasks_are_added_to_a_closed_change(self) -> None:
        change = change_in(self, S.CLOSED)
        with self.assertRaises(ConflictError):
            add_change_task(change, {"title": "补录"}, actor=self.manager)


class LinkTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)

    def test_linking_a_problem_names_the_change_on_the_problem(self) -> None:
        found = problem(self.engineer)
        change = change_in(self, S.DRAFT)
        link_problem(change, found, actor=self.engineer)
        self.assertEqual(Problem.objects.get(pk=found.pk).change_number, change.number)
        self.assertEqual(list(change.problems.all()), [found])
        with self.assertRaises(ConflictError):
            link_problem(change, found, actor=self.engineer)
        unlink_problem(change, Problem.objects.get(pk=found.pk), actor=self.engineer)
        self.assertEqual(Problem.objects.get(pk=found.pk).change_number, "")

    def test_the_problem_page_leads_to_the_change_that_fixes_it(self) -> None:
        found = problem(self.engineer)
        change = change_in(self, S.DRAFT)
        link_problem(change, found, actor=self.engineer)
        self.login(self.engineer)
        page = self.client.get(found.get_absolute_url())
        target = "%s?q=%s" % (reverse("changes:change_list"), change.number)
        self.assertContains(page, 'href="%s" data-fix-change' % target)
        self.assertContains(self.client.get(target), change.get_absolute_url())

    def test_a_problem_naming_another_change_keeps_it(self) -> None:
        found = problem(self.engineer, change_number="CHG0000999")
        change = change_in(self, S.DRAFT)
        link_problem(change, found, actor=self.engineer)
        self.assertEqual(Problem.objects.get(pk=found.pk).change_number, "CHG0000999")

    def test_an_incident_is_linked_only_to_a_change_carried_out(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        planned = change_in(self, S.SCHEDULED)
        with self.assertRaises(ConflictError):
            link_incident(planned, incident, actor=self.engineer)
        done = change_in(self, S.IMPLEMENTED)
        link_incident(done, incident, actor=self.engineer, note="升级后打印异常")
        self.assertEqual(ChangeIncident.objects.get().incident, incident)
        with self.assertRaises(ConflictError):
            link_incident(done, incident, actor=self.engineer)
        unlink_incident(done, incident, actor=self.engineer)
        self.assertFalse(ChangeIncident.objects.exists())
        with self.assertRaises(ValidationError):
            unlink_incident(done, incident, actor=self.engineer)


class ReportTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)

    def test_success_and_induced_incident_rates_per_month(self) -> None:
        good = change_in(self, S.IMPLEMENTED)
        change_in(self, S.FAILED)
        change_in(self, S.BACKED_OUT)
        change_in(self, S.CLOSED)
        link_incident(good, log(self.agent, requester=self.nurse), actor=self.engineer)
        link_incident(good, log(self.agent, requester=self.doctor), actor=self.engineer)
        # A change finished long ago is outside the report.
        old = change_in(self, S.IMPLEMENTED)
        Change.objects.filter(pk=old.pk).update(actual_end=timezone.now() - timedelta(days=800))
        rows = change_report(months=3)
        self.assertEqual(len(rows), 3)
        this_month = rows[-1]
        self.assertEqual(this_month.month, timezone.localdate().replace(day=1))
        self.assertEqual(
            (this_month.finished, this_month.successful, this_month.failed, this_month.backed_out),
            (4, 2, 1, 1),
        )
        self.assertEqual(this_month.success_rate, 50.0)
        self.assertEqual(this_month.induced_incidents, 2)
        self.assertEqual(this_month.induced_rate, 25.0)
        self.assertEqual(rows[0].finished, 0)
        self.assertIsNone(rows[0].success_rate)

"""The change API through real HTTP: CRUD with versions, transitions, approvals (403 not on
the step, 409 twice), risk answers, templates, tasks, links and the report; bad input is
400 per field and nothing is written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.changes.choices import ChangeStatus, ChangeType
from itsm.changes.models import Approval, Change, ChangeIncident
from itsm.changes.services import assess_risk, transition_change
from itsm.changes.tests.factories import (
    audit_count,
    change_in,
    high_risk_answers,
    low_risk_answers,
    rfc,
    set_up_change_management,
    template,
    window,
)
from itsm.core.testing import BaseTestCase
from itsm.incidents.tests.factories import log
from itsm.problems.models import Problem
from itsm.problems.tests.factories import problem

S = ChangeStatus
NOT_APPROVED = gettext_lazy(
    "This change is not approved yet: only an emergency change may be implemented before approval."
)


def rfc_payload(**fields: Any) -> dict[str, Any]:
    start, end = window()
    return {
        "title": "PACS 存储扩容",
        "change_type": ChangeType.NORMAL,
        "reason": "影像存储剩余空间不足 10%",
        "implementation_plan": "新增存储卷并挂载到 PACS 归档服务",
        "backout_plan": "卸载新卷",
        "test_plan": "调阅一例新影像",
        "planned_start": start.isoformat(),
        "planned_end": end.isoformat(),
        **fields,
    }


class ChangeApiTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)

    def test_create_read_update_with_version(self) -> None:
        api = self.api(self.engineer)
        response = api.post(
            "/api/changes/", rfc_payload(configuration_items=[self.printer.pk]), format="json"
        )
        self.assertEqual(response.status_code, 201, response.data)
        self.assertEqual(response.data["status"], S.DRAFT)
        self.assertTrue(response.data["number"].startswith("CHG"))
        pk = response.data["id"]
        patched = api.patch(
            "/api/changes/%d/" % pk, {"test_plan": "调阅两例", "version": 1}, format="json"
        )
        self.assertEqual(patched.status_code, 200, patched.data)
        self.assertEqual(patched.data["version"], 2)
        stale = api.patch("/api/changes/%d/" % pk, {"test_plan": "x", "version": 1}, format="json")
        self.assertEqual(stale.status_code, 409)
        self.assertEqual(api.get("/api/changes/%d/" % pk).data["test_plan"], "调阅两例")
        impact = api.get("/api/changes/%d/impact/" % pk)
        self.assertEqual(impact.status_code, 200)
        self.assertEqual(impact.data["services"], [])

    def test_end_before_start_and_a_past_start_are_400_and_nothing_is_written(self) -> None:
        api = self.api(self.engineer)
        start, _end = window()
        inverted = api.post(
            "/api/changes/",
            rfc_payload(planned_end=(start - timedelta(hours=1)).isoformat()),
            format="json",
        )
        self.assertEqual(inverted.status_code, 400)
        self.assertIn("planned_end", inverted.data)
        past = timezone.now() - timedelta(days=2)
        response = api.post(
            "/api/changes/",
            rfc_payload(
                planned_start=past.isoformat(), planned_end=(past + timedelta(hours=1)).isoformat()
            ),
            format="json",
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.data["planned_start"], [_("The planned start is in the past.")])
        self.assertFalse(Change.objects.exists())

    def test_bad_input_is_400_per_field(self) -> None:
        api = self.api(self.engineer)
        response = api.post(
            "/api/changes/",
            {"title": "", "change_type": "bogus", "status": "closed", "urgency": 9},
            format="json",
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.data), {"title", "change_type", "status", "urgency"})
        standard = api.post(
            "/api/changes/", rfc_payload(change_type=ChangeType.STANDARD), format="json"
        )
        self.assertEqual(standard.status_code, 400)
        self.assertIn("change_type", standard.data)
        self.assertFalse(Change.objects.exists())

    def test_access(self) -> None:
        change = change_in(self, S.DRAFT, assignment_group=self.vendor_group)
        url = "/api/changes/%d/" % change.pk
        self.assertEqual(self.api(None).get(url).status_code, 401)
        self.assertEqual(self.api(self.nurse).get("/api/changes/").status_code, 403)
        self.assertEqual(self.api(self.outsider).get(url).status_code, 403)
        self.assertEqual(self.api(self.vendor).get(url).status_code, 200)
        self.assertEqual(self.api(self.other_vendor).get(url).status_code, 404)
        self.assertEqual(self.api(self.agent).get(url).status_code, 200)
        self.assertEqual(
            self.api(self.agent).post("/api/changes/", rfc_payload(), format="json").status_code,
            403,
        )

    def test_transitions_list_and_take(self) -> None:
        change = change_in(self, S.DRAFT)
        api = self.api(self.engineer)
        url = "/api/changes/%d/transitions/" % change.pk
        menu = api.get(url)
        self.assertEqual(menu.status_code, 200)
        self.assertEqual([t["name"] for t in menu.data["transitions"]], ["submit", "cancel"])
        done = api.post(url, {"name": "submit", "version": 1}, format="json")
        self.assertEqual(done.status_code, 200, done.data)
        self.assertEqual(done.data["status"], S.SUBMITTED)
        again = api.post(url, {"name": "submit"}, format="json")
        self.assertEqual(again.status_code, 409)
        forbidden = self.api(self.engineer).post(url, {"name": "assess"}, format="json")
        self.assertEqual(forbidden.status_code, 403)

    def test_implementing_before_approval_is_409_with_the_reason(self) -> None:
        change = change_in(self, S.AWAITING_APPROVAL)
        before = audit_count(change)
        response = self.api(self.manager).post(
            "/api/changes/%d/transitions/" % change.pk, {"name": "start"}, format="json"
        )
        self.assertEqual(response.status_code, 409)
        self.assertEqual(response.data["detail"], NOT_APPROVED)
        self.assertEqual(audit_count(change), before)

    def test_approve_reject_endpoints(self) -> None:
        change = change_in(self, S.AWAITING_APPROVAL)
        url = "/api/changes/%d/" % change.pk
        not_on_step = self.api(self.engineer).post(url + "approve/", {}, format="json")
        self.assertEqual(not_on_step.status_code, 403)
        self.assertEqual(not_on_step.data["detail"], _("You are not an approver of this step."))
        no_reason = self.api(self.admin).post(url + "reject/", {}, format="json")
        self.assertEqual(no_reason.status_code, 400)
        self.assertIn("comment", no_reason.data)
        self.assertFalse(Approval.objects.exists())
        approved = self.api(self.manager).post(url + "approve/", {"comment": "同意"}, format="json")
        self.assertEqual(approved.status_code, 200, approved.data)
        self.assertEqual(approved.data["status"], S.APPROVED)
        self.assertEqual(approved.data["approval_steps"][0]["approvals"][0]["comment"], "同意")
        twice = self.api(self.manager).post(url + "approve/", {}, format="json")
        self.assertEqual(twice.status_code, 409)
        self.assertEqual(Approval.objects.count(), 1)

    def test_approving_twice_within_a_step_is_409(self) -> None:
        change = transition_change(rfc(self.engineer), "submit", actor=self.engineer)
        change = transition_change(change, "assess", actor=self.manager)
        change = assess_risk(change, high_risk_answers(), actor=self.manager)
        change = transition_change(change, "request_approval", actor=self.manager)
        url = "/api/changes/%d/approve/" % change.pk
        self.assertEqual(self.api(self.manager).post(url, {}, format="json").status_code, 200)
        self.assertEqual(self.api(self.admin).post(url, {}, format="json").status_code, 200)
        self.assertEqual(self.api(self.admin).post(url, {}, format="json").status_code, 409)

    def test_risk_answers(self) -> None:
        change = change_in(self, S.SUBMITTED)
        change = self.api(self.manager).post(
            "/api/changes/%d/transitions/" % change.pk, {"name": "assess"}, format="json"
        )
        pk = change.data["id"]
        url = "/api/changes/%d/risk/" % pk
        missing = self.api(self.manager).post(url, {"answers": {}}, format="json")
        self.assertEqual(missing.status_code, 400)
        self.assertEqual(len(missing.data), 2)
        answers = {str(k): v for k, v in low_risk_answers().items()}
        done = self.api(self.manager).post(url, {"answers": answers}, format="json")
        self.assertEqual(done.status_code, 200, done.data)
        self.assertEqual((done.data["risk_level"], done.data["risk_score"]), ("low", 1))
        questions = self.api(self.manager).get("/api/risk-questions/")
        self.assertEqual(questions.status_code, 200)
        self.assertEqual(len(questions.data["results"][0]["choices"]), 2)

    def test_standard_change_from_a_template(self) -> None:
        model = template(self)
        start, _end = window()
        url = "/api/change-templates/%d/raise/" % model.pk
        response = self.api(self.engineer).post(
            url, {"planned_start": start.isoformat()}, format="json"
        )
        self.assertEqual(response.status_code, 201, response.data)
        self.assertEqual(response.data["change_type"], ChangeType.STANDARD)
        self.assertEqual(response.data["template"], model.pk)
        past = self.api(self.engineer).post(
            url, {"planned_start": (timezone.now() - timedelta(days=1)).isoformat()}, format="json"
        )
        self.assertEqual(past.status_code, 400)
        self.assertIn("planned_start", past.data)
        listed = self.api(self.engineer).get("/api/change-templates/")
        self.assertEqual(listed.status_code, 200)
        refused = self.api(self.engineer).post(
            "/api/change-templates/", {"name": "x"}, format="json"
        )
        self.assertEqual(refused.status_code, 403)
        created = self.api(self.admin).post(
            "/api/change-templates/",
            {"name": "PACS 存储卷扩容", "downtime_expected": True},
            format="json",
        )
        self.assertEqual(created.status_code, 400)
        self.assertIn("downtime_minutes", created.data)

    def test_tasks_and_links(self) -> None:
        change = change_in(self, S.IMPLEMENTING)
        api = self.api(self.engineer)
        url = "/api/changes/%d/" % change.pk
        added = api.post(url + "tasks/", {"title": "重启归档服务"}, format="json")
        self.assertEqual(added.status_code, 201, added.data)
        task = added.data["tasks"][0]["id"]
        done = api.post(url + "finish-task/", {"task": task}, format="json")
        self.assertEqual(done.status_code, 200)
        self.assertEqual(done.data["tasks"][0]["status"], "done")
        unknown = api.post(url + "finish-task/", {"task": 999999}, format="json")
        self.assertEqual(unknown.status_code, 400)
        found = problem(self.engineer)
        linked = api.post(url + "link-problem/", {"problem": found.pk}, format="json")
        self.assertEqual(linked.status_code, 200, linked.data)
        self.assertEqual(linked.data["problems"], [found.number])
        self.assertEqual(Problem.objects.get(pk=found.pk).change_number, change.number)
        incident = log(self.agent, requester=self.nurse)
        caused = api.post(
            url + "link-incident/", {"incident": incident.pk, "note": "升级后"}, format="json"
        )
        self.assertEqual(caused.status_code, 200, caused.data)
        self.assertEqual(caused.data["induced_incidents"], [incident.number])
        twice = api.post(url + "link-incident/", {"incident": incident.pk}, format="json")
        self.assertEqual(twice.status_code, 409)
        self.assertEqual(ChangeIncident.objects.count(), 1)

    def test_the_report(self) -> None:
        change_in(self, S.IMPLEMENTED)
        response = self.api(self.manager).get("/api/reports/changes/?months=2")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.data), 2)
        self.assertEqual(response.data[-1]["finished"], 1)
        self.assertEqual(response.data[-1]["success_rate"], 100.0)
        self.assertEqual(
            self.api(self.manager).get("/api/reports/changes/?months=x").status_code, 400
        )
        self.assertEqual(self.api(self.nurse).get("/api/reports/changes/").status_code, 403)

    def test_the_list_query_count_does_not_grow_with_rows(self) -> None:
        api = self.api(self.manager)
        change_in(self, S.SCHEDULED, configuration_items=[self.printer])
        api.get("/api/changes/")
        with self.assertNumQueries(12) as small:
            api.get("/api/changes/")
        for status in (S.CLOSED, S.AWAITING_APPROVAL, S.IMPLEMENTING):
            change_in(self, status, configuration_items=[self.printer])
        with self.assertNumQueries(len(small)):
            response = api.get("/api/changes/")
        self.assertEqual(response.data["count"], 4)

    def test_the_schema_documents_the_change_endpoints(self) -> None:
        response = self.api(self.manager).get("/api/schema/?format=json")
        self.assertEqual(response.status_code, 200)
        paths = response.json()["paths"]
        for path in (
            "/api/changes/{id}/transitions/",
            "/api/changes/{id}/approve/",
            "/api/change-templates/{id}/raise/",
            "/api/reports/changes/",
        ):
            with self.subTest(path=path):
                self.assertIn(path, paths)

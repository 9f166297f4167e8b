"""The change pages through real HTTP: list (permissions, filters, query count), the change
page with its CMDB impact and approvals, raise and edit, transitions, decisions, risk,
tasks, links and the report."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from itsm.changes.choices import ChangeStatus, RiskLevel
from itsm.changes.models import Approval, Change, ChangeTask
from itsm.changes.tests.factories import (
    change_in,
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
FORMAT = "%Y-%m-%dT%H:%M"


class ChangeListPageTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)

    def test_list_needs_the_permission(self) -> None:
        url = reverse("changes:change_list")
        self.login(self.nurse)
        self.assertEqual(self.client.get(url).status_code, 403)
        self.login(self.agent)
        self.assertEqual(self.client.get(url).status_code, 200)

    def test_list_query_count_does_not_grow_with_rows(self) -> None:
        self.login(self.engineer)
        url = reverse("changes:change_list")
        rfc(self.engineer, service=self.his, implementer=self.engineer)
        self.client.get(url)
        with self.assertNumQueries(7) as small:
            self.client.get(url)
        for _ in range(5):
            rfc(self.engineer, service=self.pacs, assignment_group=self.front_group)
        with self.assertNumQueries(len(small)):
            response = self.client.get(url)
        self.assertContains(response, "CHG", count=None)

    def test_filters_and_bad_filters(self) -> None:
        change_in(self, S.SUBMITTED, title="核心交换机固件升级")
        rfc(self.engineer, title="EMR 补丁")
        self.login(self.agent)
        response = self.client.get(reverse("changes:change_list") + "?status=submitted")
        self.assertContains(response, "核心交换机固件升级")
        self.assertNotContains(response, "EMR 补丁")
        bad = self.client.get(reverse("changes:change_list") + "?status=bogus")
        self.assertEqual(bad.status_code, 400)

    def test_export(self) -> None:
        rfc(self.engineer, title="HIS 版本升级")
        self.login(self.manager)
        response = self.client.get(reverse("changes:change_list") + "?export=csv")
        self.assertEqual(response.status_code, 200)
        self.assertIn("HIS 版本升级", b"".join(response.streaming_content).decode("utf-8-sig"))

    def test_a_vendor_sees_only_changes_of_his_groups(self) -> None:
        mine = rfc(self.engineer, assignment_group=self.vendor_group)
        other = rfc(self.engineer, assignment_group=self.other_vendor_group)
        self.login(self.vendor)
        self.assertEqual(self.client.get(mine.get_absolute_url()).status_code, 200)
        self.assertEqual(self.client.get(other.get_absolute_url()).status_code, 404)
        self.login(self.outsider)
        self.assertEqual(self.client.get(mine.get_absolute_url()).status_code, 404)


class ChangePageTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)

    def test_the_page_shows_plans_impact_and_actions(self) -> None:
        self.printer.services.add(self.pacs)
        change = rfc(self.engineer, configuration_items=[self.printer])
        self.login(self.engineer)
        response = self.client.get(change.get_absolute_url())
        self.assertContains(response, change.number)
        self.assertContains(response, "卸载新驱动，恢复原版本")
        self.assertContains(response, 'data-transition="submit"')
        self.assertContains(response, "PACS")
        self.assertNotContains(response, 'data-transition="assess"')

    def test_raise_and_edit_through_the_form(self) -> None:
        self.login(self.engineer)
        start, end = window()
        data = {
            "title": "医保接口证书更新",
            "change_type": "normal",
            "reason": "证书到期",
            "urgency": 2,
            "planned_start": start.strftime(FORMAT),
            "planned_end": end.strftime(FORMAT),
            "implementation_plan": "替换证书",
            "backout_plan": "恢复旧证书",
        }
        response = self.client.post(reverse("changes:change_create"), data)
        self.assertEqual(response.status_code, 302)
        change = Change.objects.get()
        self.assertEqual(change.requester, self.engineer)
        response = self.client.post(
            reverse("changes:change_edit", args=[change.pk]),
            {**data, "test_plan": "医保结算一笔", "version": 1},
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Change.objects.get().test_plan, "医保结算一笔")
        stale = self.client.post(
            reverse("changes:change_edit", args=[change.pk]), {**data, "version": 1}
        )
        self.assertEqual(stale.status_code, 409)

    def test_a_form_with_the_end_before_the_start_is_400_per_field(self) -> None:
        self.login(self.engineer)
        start, _end = window()
        past = timezone.now() - timedelta(days=1)
        for start_at, end_at, field in (
            (start, start - timedelta(hours=1), "planned_end"),
            (past, past + timedelta(hours=1), "planned_start"),
        ):
            with self.subTest(field=field):
                response = self.client.post(
                    reverse("changes:change_create"),
                    {
                        "title": "x",
                        "change_type": "normal",
                        "urgency": 3,
                        "planned_start": start_at.strftime(FORMAT),
                        "planned_end": end_at.strftime(FORMAT),
                    },
                )
                self.assertEqual(response.status_code, 400)
                self.assertIn(field, response.context["form"].errors)
        self.assertFalse(Change.objects.exists())

    def test_the_desk_may_not_raise_changes(self) -> None:
        self.login(self.agent)
        self.assertEqual(self.client.get(reverse("changes:change_create")).status_code, 403)

    def test_a_transition_through_the_page(self) -> None:
        change = rfc(self.engineer)
        self.login(self.engineer)
        url = reverse("changes:change_transition", args=[change.pk, "submit"])
        response = self.client.post(url, {"version": 1})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Change.objects.get().status, S.SUBMITTED)
        again = self.client.post(url, {"version": 2})
        self.assertEqual(again.status_code, 409)
        cancel = reverse("changes:change_transition", args=[change.pk, "cancel"])
        self.assertEqual(self.client.get(cancel).status_code, 200)
        missing = self.client.post(cancel, {"version": 2})
        self.assertEqual(missing.status_code, 400)
        self.assertEqual(Change.objects.get().status, S.SUBMITTED)

    def test_risk_and_decisions_through_the_page(self) -> None:
        change = change_in(self, S.SUBMITTED)
        self.login(self.manager)
        self.client.post(
            reverse("changes:change_transition", args=[change.pk, "assess"]), {"version": 2}
        )
        risk_url = reverse("changes:change_risk", args=[change.pk])
        self.assertEqual(self.client.post(risk_url, {}).status_code, 400)
        answers = {"q%d" % k: v for k, v in low_risk_answers().items()}
        self.assertEqual(self.client.post(risk_url, answers).status_code, 302)
        self.assertEqual(Change.objects.get().risk_level, RiskLevel.LOW)
        self.client.post(
            reverse("changes:change_transition", args=[change.pk, "request_approval"]),
            {"version": Change.objects.get().version},
        )
        page = self.client.get(change.get_absolute_url())
        self.assertContains(page, 'value="approve"')
        decide = reverse("changes:change_decide", args=[change.pk])
        self.login(self.engineer)
        self.assertEqual(self.client.post(decide, {"decision": "approve"}).status_code, 403)
        self.login(self.manager)
        self.assertEqual(self.client.post(decide, {"decision": "reject"}).status_code, 400)
        self.assertEqual(
            self.client.post(decide, {"decision": "approve", "comment": "同意"}).status_code, 302
        )
        self.assertEqual(Change.objects.get().status, S.APPROVED)
        self.assertEqual(self.client.post(decide, {"decision": "approve"}).status_code, 409)
        self.assertEqual(Approval.objects.count(), 1)
        history = self.client.get(change.get_absolute_url())
        self.assertContains(history, 'id="history"')
        self.assertContains(history, "同意")

    def test_tasks_and_links_through_the_page(self) -> None:
        change = change_in(self, S.IMPLEMENTED)
        self.login(self.engineer)
        incident = log(self.agent, requester=self.nurse)
        link = reverse("changes:change_link", args=[change.pk, "incident"])
        self.assertEqual(self.client.post(link, {"number": incident.number}).status_code, 302)
        self.assertEqual(self.client.post(link, {"number": "INC404"}).status_code, 400)
        found = problem(self.engineer)
        link = reverse("changes:change_link", args=[change.pk, "problem"])
        self.assertEqual(self.client.post(link, {"number": found.number}).status_code, 302)
        self.assertEqual(Problem.objects.get().change_number, change.number)
        page = self.client.get(change.get_absolute_url())
        self.assertContains(page, incident.number)
        self.assertContains(page, found.number)
        task_url = reverse("changes:task_add", args=[change.pk])
        self.assertEqual(self.client.post(task_url, {"title": "补录"}).status_code, 409)
        open_change = change_in(self, S.SCHEDULED)
        task_url = reverse("changes:task_add", args=[open_change.pk])
        self.assertEqual(self.client.post(task_url, {"title": ""}).status_code, 400)
        self.assertEqual(self.client.post(task_url, {"title": "通知门诊"}).status_code, 302)
        task = ChangeTask.objects.get()
        finish = reverse("changes:task_finish", args=[open_change.pk, task.pk])
        self.assertEqual(self.client.post(finish, {"status": "done"}).status_code, 302)
        self.assertEqual(ChangeTask.objects.get().status, "done")

    def test_standard_change_from_template_page(self) -> None:
        model = template(self)
        self.login(self.engineer)
        self.assertContains(self.client.get(reverse("changes:template_list")), model.name)
        url = reverse("changes:change_from_template")
        start, _end = window()
        response = self.client.post(
            url, {"template": model.pk, "planned_start": start.strftime(FORMAT)}
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Change.objects.get().template, model)
        past = timezone.now() - timedelta(days=1)
        response = self.client.post(
            url, {"template": model.pk, "planned_start": past.strftime(FORMAT)}
        )
        self.assertEqual(response.status_code, 400)

    def test_the_report_page(self) -> None:
        change_in(self, S.FAILED)
        self.login(self.manager)
        response = self.client.get(reverse("changes:report"))
        self.assertContains(response, 'data-report="changes"')
        self.assertContains(response, "0.0%")
        self.login(self.nurse)
        self.assertEqual(self.client.get(reverse("changes:report")).status_code, 403)

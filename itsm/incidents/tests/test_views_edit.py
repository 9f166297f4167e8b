"""Editing an incident and the forms on its page (reply, work note, major incident, links,
parent): optimistic locking, 400 per field, 403 without permission."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from itsm.core.choices import CommentVisibility, TicketImpact, TicketUrgency
from itsm.core.models import Comment
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.services import transition_incident, update_incident
from itsm.incidents.tests.factories import incident_in, state_of
from itsm.incidents.tests.ui import UITestCase


def edit_data(incident: Incident, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": incident.version,
        "requester": incident.requester_id,
        "title": incident.title,
        "description": incident.description,
        "impact": incident.impact,
        "urgency": incident.urgency,
        "kind": incident.kind,
        "channel": incident.channel,
        "department": incident.department_id or "",
        "service": incident.service_id or "",
    }
    data.update(fields)
    return data


class EditPageTests(UITestCase):
    def setUp(self) -> None:
        self.incident = incident_in(self, IncidentStatus.IN_PROGRESS)
        self.url = reverse("incidents:incident_edit", args=[self.incident.pk])

    def test_the_edit_page_carries_the_version(self) -> None:
        self.login(self.agent)
        response = self.client.get(self.url)
        self.assertContains(response, 'name="version" value="%d"' % self.incident.version)
        # The browser's date-time input needs ISO format, whatever the language.
        self.assertRegex(
            response.content.decode(), r'name="reported_at" value="\d{4}-\d\d-\d\dT\d\d:\d\d"'
        )

    def test_an_edit_is_saved_and_priority_follows(self) -> None:
        self.login(self.agent)
        response = self.client.post(
            self.url,
            edit_data(
                self.incident,
                title="急诊全部打印机不出纸",
                impact=TicketImpact.HIGH,
                urgency=TicketUrgency.HIGH,
            ),
        )
        self.assertRedirects(
            response, self.incident.get_absolute_url(), fetch_redirect_response=False
        )
        self.incident.refresh_from_db()
        self.assertEqual(self.incident.title, "急诊全部打印机不出纸")
        self.assertEqual(self.incident.priority, 1)

    def test_a_stale_edit_gets_409_and_overwrites_nothing(self) -> None:
        self.login(self.agent)
        page_version = self.incident.version
        update_incident(
            self.incident, {"title": "别人先改了标题"}, actor=self.engineer, version=page_version
        )
        before = state_of(self.incident)
        response = self.client.post(
            self.url,
            edit_data(self.incident, version=page_version, title="我的标题"),
            HTTP_ACCEPT_LANGUAGE="en",
        )
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "data-conflict", status_code=409)
        self.assertContains(response, "Someone else changed this record", status_code=409)
        self.assertEqual(state_of(self.incident), before)
        self.assertEqual(Incident.objects.get(pk=self.incident.pk).title, "别人先改了标题")

    def test_an_edit_without_a_version_is_refused(self) -> None:
        self.login(self.agent)
        data = edit_data(self.incident, title="没有版本号")
        del data["version"]
        before = state_of(self.incident)
        response = self.client.post(self.url, data)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(state_of(self.incident), before)

    def test_bad_input_gets_400_with_a_message_per_field(self) -> None:
        self.login(self.agent)
        before = state_of(self.incident)
        response = self.client.post(self.url, edit_data(self.incident, title="", impact=7))
        self.assertEqual(response.status_code, 400)
        errors = response.context["form"].errors
        self.assertIn("title", errors)
        self.assertIn("impact", errors)
        self.assertEqual(state_of(self.incident), before)

    def test_a_vendor_may_not_edit_an_incident_no_longer_with_his_group(self) -> None:
        routed = incident_in(self, IncidentStatus.ASSIGNED, group=self.vendor_group)
        moved = transition_incident(
            routed,
            "reassign",
            actor=self.agent,
            data={"assignment_group": self.front_group.pk, "reason": "不是HIS问题"},
        )
        self.login(self.vendor)
        page = self.client.get(reverse("incidents:incident_detail", args=[moved.pk]))
        self.assertEqual(page.status_code, 200)
        self.assertFalse(page.context["can_edit"])
        edit = reverse("incidents:incident_edit", args=[moved.pk])
        self.assertEqual(self.client.get(edit).status_code, 403)
        before = state_of(moved)
        self.assertEqual(self.client.post(edit, edit_data(moved, title="改")).status_code, 403)
        self.assertEqual(state_of(moved), before)

    def test_a_requester_may_not_edit(self) -> None:
        self.login(self.nurse)
        self.assertEqual(self.client.get(self.url).status_code, 403)
        self.assertEqual(self.client.post(self.url, edit_data(self.incident)).status_code, 403)


class PageFormTests(UITestCase):
    def setUp(self) -> None:
        self.incident = incident_in(self, IncidentStatus.IN_PROGRESS)

    def url(self, name: str) -> str:
        return reverse("incidents:incident_%s" % name, args=[self.incident.pk])

    def test_a_reply_and_a_work_note_are_posted(self) -> None:
        self.login(self.engineer)
        self.client.post(self.url("comment"), {"body": "您好，请重启电脑试试"})
        self.client.post(self.url("comment"), {"body": "驱动需重装", "internal": "on"})
        visibilities = list(Comment.objects.order_by("pk").values_list("visibility", flat=True))
        self.assertEqual(visibilities, [CommentVisibility.PUBLIC, CommentVisibility.INTERNAL])

    def test_an_empty_comment_gets_400_on_the_page(self) -> None:
        self.login(self.engineer)
        response = self.client.post(self.url("comment"), {"body": ""})
        self.assertEqual(response.status_code, 400)
        self.assertIn("body", response.context["comment_form"].errors)
        self.assertFalse(Comment.objects.exists())

    def test_a_requester_may_not_write_a_work_note(self) -> None:
        self.login(self.nurse)
        response = self.client.post(self.url("comment"), {"body": "内部", "internal": "on"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Comment.objects.exists())

    def test_the_desk_declares_and_stands_down_a_major_incident(self) -> None:
        self.login(self.agent)
        self.client.post(self.url("major"), {"major": "on", "reason": "急诊全部打印机故障"})
        self.incident.refresh_from_db()
        self.assertTrue(self.incident.major)
        self.client.post(self.url("major"), {"major": "", "reason": "已恢复"})
        self.incident.refresh_from_db()
        self.assertFalse(self.incident.major)

    def test_declaring_without_a_reason_gets_400_and_reopens_the_dialog(self) -> None:
        self.login(self.agent)
        response = self.client.post(self.url("major"), {"major": "on", "reason": ""})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "data-show-on-load", status_code=400)
        self.incident.refresh_from_db()
        self.assertFalse(self.incident.major)

    def test_an_engineer_may_not_declare_a_major_incident(self) -> None:
        self.login(self.vendor)
        routed = incident_in(self, IncidentStatus.IN_PROGRESS, group=self.vendor_group)
        response = self.client.post(
            reverse("incidents:incident_major", args=[routed.pk]), {"major": "on", "reason": "x"}
        )
        self.assertEqual(response.status_code, 403)

    def test_incidents_are_linked_by_number(self) -> None:
        other = incident_in(self, IncidentStatus.NEW)
        self.login(self.agent)
        self.client.post(self.url("link"), {"related": other.number})
        self.assertEqual(list(self.incident.related.all()), [other])

    def test_linking_to_an_unknown_or_invisible_number_gets_400(self) -> None:
        self.login(self.agent)
        response = self.client.post(self.url("link"), {"related": "INC9999999"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("related", response.context["related_form"].errors)

    def test_the_parent_is_set_and_cleared_with_the_pages_version(self) -> None:
        parent = incident_in(self, IncidentStatus.IN_PROGRESS, title="全院打印服务器宕机")
        self.login(self.agent)
        self.client.post(
            self.url("parent"), {"parent": parent.number, "version": self.incident.version}
        )
        self.incident.refresh_from_db()
        self.assertEqual(self.incident.parent, parent)
        self.client.post(self.url("parent"), {"parent": "", "version": self.incident.version})
        self.incident.refresh_from_db()
        self.assertIsNone(self.incident.parent)

    def test_an_incident_cannot_be_its_own_parent(self) -> None:
        self.login(self.agent)
        response = self.client.post(
            self.url("parent"), {"parent": self.incident.number, "version": self.incident.version}
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("parent", response.context["parent_form"].errors)

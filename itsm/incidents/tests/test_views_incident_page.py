"""The incident page: header, routing, timeline in words, and only the actions this user
may take now."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from itsm.accounts.models import User
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.services import (
    comment_on_incident,
    link_incidents,
    set_major_incident,
    transition_incident,
)
from itsm.incidents.tests.factories import incident_in
from itsm.incidents.tests.ui import UITestCase


class IncidentPageTests(UITestCase):
    def setUp(self) -> None:
        self.incident = incident_in(self, IncidentStatus.IN_PROGRESS)
        self.url = reverse("incidents:incident_detail", args=[self.incident.pk])

    def transitions_shown(self, user: User) -> set[str]:
        self.login(user)
        response = self.client.get(self.url)
        return {t.name for t, _has_form in response.context["actions"]}

    def test_it_shows_number_title_status_priority_and_requester(self) -> None:
        self.login(self.agent)
        response = self.client.get(self.url, HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(response, self.incident.number)
        self.assertContains(response, self.incident.title)
        self.assertContains(response, "status-badge")
        self.assertContains(response, "priority-%d" % self.incident.priority)
        self.assertContains(response, "王芳")
        self.assertContains(response, self.front_group.name)

    def test_the_timeline_tells_each_change_in_words(self) -> None:
        self.login(self.agent)
        response = self.client.get(self.url, HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(response, "changed status from <b>Assigned</b> to <b>In progress</b>")
        self.assertContains(response, "set assignment group to <b>%s</b>" % self.front_group)
        self.assertContains(response, "took action “Accept”")
        self.assertContains(response, "logged this record")

    def test_work_notes_look_different_from_replies_and_requesters_never_see_them(self) -> None:
        comment_on_incident(
            self.incident, actor=self.engineer, body="已远程登录排查", internal=True
        )
        comment_on_incident(self.incident, actor=self.engineer, body="您好，工程师正在处理")
        self.login(self.agent)
        response = self.client.get(self.url)
        self.assertContains(response, 'class="tl-internal"')
        self.assertContains(response, 'class="tl-public"')
        self.assertContains(response, "已远程登录排查")
        self.login(self.nurse)
        portal = self.client.get(reverse("portal:incident_detail", args=[self.incident.pk]))
        self.assertContains(portal, "您好，工程师正在处理")
        self.assertNotContains(portal, "已远程登录排查")

    def test_it_shows_the_routing_hops_and_links(self) -> None:
        other = incident_in(self, IncidentStatus.NEW, title="同一科室另一台打印机")
        link_incidents(self.incident, other, actor=self.agent)
        set_major_incident(self.incident, actor=self.agent, major=True, reason="全院打印中断")
        self.login(self.agent)
        response = self.client.get(self.url)
        self.assertEqual(len(response.context["routing"]), 1)
        self.assertContains(response, other.number)
        self.assertContains(response, "major-badge")

    def test_only_the_actions_this_user_may_take_are_shown(self) -> None:
        self.assertEqual(
            self.transitions_shown(self.engineer),
            {"escalate", "reassign", "pend", "resolve", "cancel"},
        )
        self.assertNotIn("assign", self.transitions_shown(self.agent))
        # Routed to the front line, not to the vendor: he may look (he cannot), not act.
        self.login(self.vendor)
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_a_back_line_engineer_sees_his_actions_on_what_was_routed_to_him(self) -> None:
        routed = incident_in(self, IncidentStatus.ASSIGNED, group=self.vendor_group)
        self.url = reverse("incidents:incident_detail", args=[routed.pk])
        shown = self.transitions_shown(self.vendor)
        self.assertIn("accept", shown)
        self.assertNotIn("assign", shown)
        self.assertNotIn("cancel", shown)

    def test_a_closed_incident_offers_no_comment_form_and_no_edit(self) -> None:
        closed = incident_in(self, IncidentStatus.CLOSED)
        self.login(self.agent)
        response = self.client.get(reverse("incidents:incident_detail", args=[closed.pk]))
        self.assertFalse(response.context["can_edit"])
        self.assertNotContains(response, 'id="comment-form"')

    def test_the_page_runs_the_same_queries_however_long_the_timeline(self) -> None:
        self.login(self.agent)
        self.client.get(self.url)
        short = self.count_queries()
        for index in range(10):
            comment_on_incident(self.incident, actor=self.engineer, body="进展 %d" % index)
        escalated = transition_incident(
            self.incident,
            "escalate",
            actor=self.engineer,
            data={"assignment_group": self.vendor_group.pk, "reason": "需要厂商排查"},
        )
        transition_incident(escalated, "accept", actor=self.vendor)
        self.assertEqual(self.count_queries(), short)

    def count_queries(self) -> int:
        with CaptureQueriesContext(connection) as queries:
            self.client.get(self.url)
        return len(queries)

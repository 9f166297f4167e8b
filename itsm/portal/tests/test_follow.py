"""A requester follows his report: progress, public replies only, and his own replies."""

from __future__ import annotations

from django.urls import reverse

from itsm.core.choices import CommentVisibility
from itsm.core.models import Comment
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.services import comment_on_incident, transition_incident
from itsm.incidents.tests.factories import incident_in
from itsm.incidents.tests.ui import UITestCase


class PortalFollowTests(UITestCase):
    def setUp(self) -> None:
        self.incident = incident_in(self, IncidentStatus.IN_PROGRESS)
        self.url = reverse("portal:incident_detail", args=[self.incident.pk])

    def test_the_requester_sees_progress_and_who_is_on_it(self) -> None:
        self.login(self.nurse)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, self.incident.title)
        self.assertContains(response, 'aria-current="step"')
        self.assertContains(response, str(self.incident.assignee))

    def test_internal_work_notes_and_field_edits_stay_hidden(self) -> None:
        comment_on_incident(
            self.incident, actor=self.engineer, body="工作备注：驱动冲突", internal=True
        )
        comment_on_incident(self.incident, actor=self.engineer, body="您好，已安排工程师上门")
        self.login(self.nurse)
        response = self.client.get(self.url)
        self.assertContains(response, "您好，已安排工程师上门")
        self.assertNotContains(response, "工作备注")
        self.assertNotContains(response, 'class="tl-internal"')

    def test_the_requester_replies(self) -> None:
        self.login(self.nurse)
        response = self.client.post(
            reverse("portal:incident_reply", args=[self.incident.pk]), {"body": "还是不行"}
        )
        self.assertRedirects(response, self.url + "#reply", fetch_redirect_response=False)
        comment = Comment.objects.get()
        self.assertEqual(comment.author, self.nurse)
        self.assertEqual(comment.visibility, CommentVisibility.PUBLIC)

    def test_an_empty_reply_gets_400(self) -> None:
        self.login(self.nurse)
        response = self.client.post(
            reverse("portal:incident_reply", args=[self.incident.pk]), {"body": "  "}
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Comment.objects.exists())

    def test_nobody_else_follows_or_replies_to_my_report(self) -> None:
        self.login(self.doctor)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        response = self.client.post(
            reverse("portal:incident_reply", args=[self.incident.pk]), {"body": "路过"}
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Comment.objects.exists())

    def test_routing_reasons_written_for_engineers_stay_hidden(self) -> None:
        transition_incident(
            self.incident,
            "escalate",
            actor=self.engineer,
            data={"assignment_group": self.vendor_group.pk, "reason": "疑似HIS客户端缓存损坏"},
        )
        self.login(self.nurse)
        self.assertNotContains(self.client.get(self.url), "疑似HIS客户端缓存损坏")
        self.login(self.agent)
        staff_page = reverse("incidents:incident_detail", args=[self.incident.pk])
        self.assertContains(self.client.get(staff_page), "疑似HIS客户端缓存损坏")

"""Replies and work notes (/api/incidents/{id}/comments/) and the timeline
(/api/incidents/{id}/timeline/): requesters never see internal work notes."""

from __future__ import annotations

from itsm.api.tests.support import ApiTestCase, page
from itsm.core.models import AuditEntry, Comment
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.services import comment_on_incident
from itsm.incidents.tests.factories import incident_in

S = IncidentStatus

ACCESS = {
    "nurse": 200,
    "doctor": 404,
    "agent": 200,
    "engineer": 200,
    "vendor": 200,
    "other_vendor": 404,
    "manager": 200,
    "admin": 200,
    "outsider": 403,
    "anonymous": 401,
}


def comments(incident: Incident) -> str:
    return "/api/incidents/%d/comments/" % incident.pk


def timeline(incident: Incident) -> str:
    return "/api/incidents/%d/timeline/" % incident.pk


class CommentApiTests(ApiTestCase):
    def setUp(self) -> None:
        self.incident = incident_in(
            self, S.IN_PROGRESS, requester=self.nurse, group=self.vendor_group
        )
        comment_on_incident(self.incident, actor=self.vendor, body="已远程登录服务器查看日志")
        comment_on_incident(self.incident, actor=self.vendor, body="疑似数据库锁表", internal=True)

    def test_who_may_read_the_comments(self) -> None:
        answers = self.assert_statuses(
            lambda client, role: client.get(comments(self.incident)), ACCESS
        )
        self.assertEqual([c["body"] for c in page(answers["nurse"])], ["已远程登录服务器查看日志"])
        for role in ("agent", "engineer", "vendor", "manager", "admin"):
            with self.subTest(role=role):
                self.assertEqual(len(page(answers[role])), 2)
        note = page(answers["vendor"])[1]
        self.assertEqual(note["visibility"], "internal")
        self.assertEqual(note["author"], self.vendor.pk)
        self.assertNotIn("internal", note)

    def test_who_may_reply(self) -> None:
        answers = self.assert_statuses(
            lambda client, role: client.post(
                comments(self.incident), {"body": "请问处理进度如何？"}, format="json"
            ),
            {**ACCESS, **{role: 201 for role, code in ACCESS.items() if code == 200}},
        )
        self.assertEqual(answers["nurse"].data["visibility"], "public")
        self.assertEqual(answers["nurse"].data["author"], self.nurse.pk)

    def test_a_requester_may_not_write_an_internal_work_note(self) -> None:
        before = Comment.objects.count(), AuditEntry.objects.count()
        response = self.api(self.nurse).post(
            comments(self.incident), {"body": "内部", "internal": True}, format="json"
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual((Comment.objects.count(), AuditEntry.objects.count()), before)

    def test_it_takes_an_internal_work_note_from_it_staff(self) -> None:
        response = self.api(self.agent).post(
            comments(self.incident), {"body": "已联系厂商", "internal": True}, format="json"
        )
        self.assertEqual(response.status_code, 201, response.data)
        self.assertEqual(response.data["visibility"], "internal")
        nurse_view = self.api(self.nurse).get(comments(self.incident))
        self.assertNotIn("已联系厂商", [c["body"] for c in page(nurse_view)])

    def test_an_empty_or_missing_body_is_refused(self) -> None:
        before = Comment.objects.count()
        client = self.api(self.nurse)
        self.assert_error_fields(client.post(comments(self.incident), {}, format="json"), "body")
        self.assert_error_fields(
            client.post(comments(self.incident), {"body": "   "}, format="json"), "body"
        )
        self.assert_error_fields(
            client.post(
                comments(self.incident), {"body": "x", "visibility": "internal"}, format="json"
            ),
            "visibility",
        )
        self.assertEqual(Comment.objects.count(), before)

    def test_a_closed_incident_takes_no_more_comments(self) -> None:
        closed = incident_in(self, S.CLOSED, requester=self.nurse)
        response = self.api(self.nurse).post(comments(closed), {"body": "又坏了"}, format="json")
        self.assert_error_fields(response, "body")


class TimelineApiTests(ApiTestCase):
    def setUp(self) -> None:
        self.incident = incident_in(
            self, S.IN_PROGRESS, requester=self.nurse, group=self.vendor_group
        )
        comment_on_incident(self.incident, actor=self.vendor, body="已远程处理")
        comment_on_incident(self.incident, actor=self.vendor, body="锁表", internal=True)

    def test_who_may_read_the_timeline(self) -> None:
        self.assert_statuses(lambda client, role: client.get(timeline(self.incident)), ACCESS)

    def test_it_merges_changes_and_comments_oldest_first(self) -> None:
        response = self.api(self.agent).get(timeline(self.incident))
        entries = response.data
        self.assertEqual([e["at"] for e in entries], sorted(e["at"] for e in entries))
        actions = [e["audit"]["action"] for e in entries if e["kind"] == "audit"]
        self.assertEqual(actions, ["create", "transition:assign", "transition:accept"])
        bodies = [e["comment"]["body"] for e in entries if e["kind"] == "comment"]
        self.assertEqual(bodies, ["已远程处理", "锁表"])
        created = entries[0]
        self.assertEqual(created["actor"], {"id": self.agent.pk, "name": str(self.agent)})
        self.assertIsNone(created["comment"])
        self.assertEqual(entries[1]["audit"]["changes"]["status"], ["new", "assigned"])

    def test_a_requester_does_not_see_internal_work_notes(self) -> None:
        entries = self.api(self.nurse).get(timeline(self.incident)).data
        bodies = [e["comment"]["body"] for e in entries if e["kind"] == "comment"]
        self.assertEqual(bodies, ["已远程处理"])

"""Public replies and internal work notes on an incident."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

from itsm.core.choices import CommentVisibility
from itsm.core.models import AuditEntry, Comment
from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.services import comment_on_incident
from itsm.incidents.tests.factories import incident_in, log, state_of

S = IncidentStatus


class CommentTests(BaseTestCase):
    def test_a_public_reply_is_audited_and_tells_the_requester(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        comment = comment_on_incident(incident, actor=self.engineer, body="已安排工程师到场")
        self.assertEqual(comment.visibility, CommentVisibility.PUBLIC)
        self.assertTrue(self.nurse.notifications.filter(object_id=incident.pk).exists())
        self.assertTrue(
            AuditEntry.objects.filter(
                object_id=incident.pk, action="comment:public", actor=self.engineer
            ).exists()
        )

    def test_an_internal_note_does_not_tell_the_requester(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        comment = comment_on_incident(
            incident, actor=self.engineer, body="打印头老化", internal=True
        )
        self.assertEqual(comment.visibility, CommentVisibility.INTERNAL)
        self.assertFalse(self.nurse.notifications.exists())

    def test_a_requester_reply_tells_the_assignee(self) -> None:
        incident = log(
            self.agent,
            requester=self.nurse,
            assignment_group=self.front_group,
            assignee=self.engineer,
        )
        self.engineer.notifications.all().delete()
        comment_on_incident(incident, actor=self.reload(self.nurse), body="还是不行")
        self.assertTrue(self.engineer.notifications.filter(object_id=incident.pk).exists())
        self.assertFalse(self.nurse.notifications.exists())

    def test_a_requester_may_not_write_internal_notes(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        before = state_of(incident)
        with self.assertRaises(PermissionDenied):
            comment_on_incident(incident, actor=self.reload(self.nurse), body="x", internal=True)
        self.assertFalse(Comment.objects.exists())
        self.assertEqual(state_of(incident), before)

    def test_an_empty_comment_is_refused(self) -> None:
        incident = log(self.agent)
        with self.assertRaises(ValidationError) as raised:
            comment_on_incident(incident, actor=self.agent, body="   ")
        self.assertIn("body", raised.exception.message_dict)
        self.assertFalse(Comment.objects.exists())

    def test_a_closed_or_cancelled_incident_takes_no_more_comments(self) -> None:
        for status in (S.CLOSED, S.CANCELLED):
            with self.subTest(status=status):
                incident = incident_in(self, status)
                before = state_of(incident)
                with self.assertRaises(ValidationError):
                    comment_on_incident(incident, actor=self.agent, body="补充说明")
                self.assertEqual(state_of(incident), before)
        self.assertFalse(Comment.objects.exists())

    def test_a_comment_does_not_change_the_version(self) -> None:
        incident = log(self.agent)
        comment_on_incident(incident, actor=self.agent, body="已电话回访")
        incident.refresh_from_db()
        self.assertEqual(incident.version, 1)

"""The incident's timeline: replies, work notes and every audited change."""

from __future__ import annotations

from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.services import comment_on_incident, incident_timeline, transition_incident
from itsm.incidents.tests.factories import RESOLUTION, log

S = IncidentStatus


class TimelineTests(BaseTestCase):
    def setUp(self) -> None:
        self.incident = log(self.agent, requester=self.nurse, assignment_group=self.front_group)
        comment_on_incident(self.incident, actor=self.engineer, body="请重启打印机试试")
        comment_on_incident(
            self.incident, actor=self.engineer, body="疑似打印头故障", internal=True
        )
        comment_on_incident(self.incident, actor=self.nurse, body="重启后仍不出纸")
        self.incident = transition_incident(self.incident, "accept", actor=self.engineer)
        self.incident = transition_incident(
            self.incident, "resolve", actor=self.engineer, data=RESOLUTION
        )

    def describe(self, viewer: object) -> list[str]:
        return [
            entry.comment.body if entry.comment else entry.audit.action  # type: ignore[union-attr]
            for entry in incident_timeline(self.incident, viewer=viewer)
        ]

    def test_staff_see_everything_in_the_order_it_happened(self) -> None:
        self.assertEqual(
            self.describe(self.engineer),
            [
                "create",
                "transition:assign",
                "请重启打印机试试",
                "疑似打印头故障",
                "重启后仍不出纸",
                "transition:accept",
                "transition:resolve",
            ],
        )

    def test_requesters_do_not_see_internal_work_notes(self) -> None:
        self.assertEqual(
            self.describe(self.reload(self.nurse)),
            [
                "create",
                "transition:assign",
                "请重启打印机试试",
                "重启后仍不出纸",
                "transition:accept",
                "transition:resolve",
            ],
        )

    def test_entries_are_in_chronological_order(self) -> None:
        times = [e.at for e in incident_timeline(self.incident, viewer=self.engineer)]
        self.assertEqual(times, sorted(times))

    def test_each_entry_names_who_did_it(self) -> None:
        actors = [e.actor for e in incident_timeline(self.incident, viewer=self.engineer)]
        self.assertEqual(
            actors,
            [
                self.agent,
                self.agent,
                self.engineer,
                self.engineer,
                self.nurse,
                self.engineer,
                self.engineer,
            ],
        )

    def test_status_changes_carry_their_old_and_new_values(self) -> None:
        entries = incident_timeline(self.incident, viewer=self.engineer)
        resolve = entries[-1].audit
        assert resolve is not None
        self.assertEqual(resolve.changes["status"], [S.IN_PROGRESS, S.RESOLVED])

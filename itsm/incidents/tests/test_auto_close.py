"""Resolved incidents close themselves after ITSM_AUTO_CLOSE_DAYS if nobody reacts."""

from __future__ import annotations

from datetime import timedelta

from django.test import override_settings

from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.services import close_resolved_incidents, transition_incident
from itsm.incidents.tests.factories import incident_in, state_of

S = IncidentStatus


@override_settings(ITSM_AUTO_CLOSE_DAYS=3)
class AutoCloseTests(BaseTestCase):
    def test_it_closes_an_incident_resolved_longer_ago_than_the_setting(self) -> None:
        incident = incident_in(self, S.RESOLVED)
        assert incident.resolved_at is not None
        closed = close_resolved_incidents(now=incident.resolved_at + timedelta(days=3, hours=1))
        self.assertEqual(closed, 1)
        incident.refresh_from_db()
        self.assertEqual(incident.status, S.CLOSED)
        self.assertIsNotNone(incident.closed_at)
        entry = AuditEntry.objects.filter(object_id=incident.pk).order_by("-id").first()
        assert entry is not None
        self.assertEqual(entry.action, "transition:close")
        self.assertIsNone(entry.actor)  # the system closed it
        self.assertTrue(entry.note)

    def test_it_leaves_an_incident_resolved_more_recently_alone(self) -> None:
        incident = incident_in(self, S.RESOLVED)
        assert incident.resolved_at is not None
        before = state_of(incident)
        self.assertEqual(
            close_resolved_incidents(now=incident.resolved_at + timedelta(days=2, hours=23)), 0
        )
        self.assertEqual(state_of(incident), before)

    @override_settings(ITSM_AUTO_CLOSE_DAYS=7)
    def test_it_reads_the_number_of_days_from_the_setting(self) -> None:
        incident = incident_in(self, S.RESOLVED)
        assert incident.resolved_at is not None
        self.assertEqual(close_resolved_incidents(now=incident.resolved_at + timedelta(days=5)), 0)
        self.assertEqual(close_resolved_incidents(now=incident.resolved_at + timedelta(days=8)), 1)

    def test_it_is_idempotent(self) -> None:
        incident = incident_in(self, S.RESOLVED)
        assert incident.resolved_at is not None
        later = incident.resolved_at + timedelta(days=10)
        self.assertEqual(close_resolved_incidents(now=later), 1)
        after_first = state_of(incident)
        self.assertEqual(close_resolved_incidents(now=later), 0)
        self.assertEqual(state_of(incident), after_first)

    def test_it_touches_only_resolved_incidents(self) -> None:
        others = [incident_in(self, status) for status in S.values if status != S.RESOLVED]
        before = [state_of(i) for i in others]
        close_resolved_incidents(now=max(i.updated_at for i in others) + timedelta(days=30))
        self.assertEqual([state_of(i) for i in others], before)

    def test_a_reopened_incident_is_not_closed_by_its_old_resolution(self) -> None:
        incident = incident_in(self, S.RESOLVED)
        assert incident.resolved_at is not None
        resolved_at = incident.resolved_at
        transition_incident(
            incident, "reopen", actor=self.reload(self.nurse), data={"reason": "又坏了"}
        )
        self.assertEqual(close_resolved_incidents(now=resolved_at + timedelta(days=10)), 0)
        self.assertEqual(Incident.objects.get(pk=incident.pk).status, S.ASSIGNED)

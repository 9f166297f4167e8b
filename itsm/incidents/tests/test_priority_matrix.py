"""Priority from impact × urgency: ITIL's matrix by default, configurable per cell."""

from __future__ import annotations

from itsm.core.choices import TicketImpact, TicketPriority, TicketUrgency
from itsm.core.models import PriorityRule
from itsm.core.testing import BaseTestCase
from itsm.incidents.services import update_incident
from itsm.incidents.tests.factories import log

# ITIL's matrix as a hospital IT administrator reads it (rows: impact, columns: urgency).
ITIL_MATRIX = {
    (1, 1): 1,
    (1, 2): 2,
    (1, 3): 3,
    (2, 1): 2,
    (2, 2): 3,
    (2, 3): 4,
    (3, 1): 3,
    (3, 2): 4,
    (3, 3): 5,
}


class PriorityMatrixTests(BaseTestCase):
    def test_all_nine_cells_follow_itil_by_default(self) -> None:
        for (impact, urgency), priority in ITIL_MATRIX.items():
            with self.subTest(impact=impact, urgency=urgency):
                incident = log(self.agent, impact=impact, urgency=urgency)
                self.assertEqual(incident.priority, priority)
                self.assertEqual(priority, impact + urgency - 1)

    def test_the_matrix_falls_back_to_itil_where_no_cell_is_configured(self) -> None:
        PriorityRule.objects.all().delete()
        for (impact, urgency), priority in ITIL_MATRIX.items():
            with self.subTest(impact=impact, urgency=urgency):
                self.assertEqual(log(self.agent, impact=impact, urgency=urgency).priority, priority)

    def test_a_configured_cell_overrides_itil(self) -> None:
        PriorityRule.objects.update_or_create(
            impact=TicketImpact.MEDIUM,
            urgency=TicketUrgency.HIGH,
            defaults={"priority": TicketPriority.CRITICAL},
        )
        incident = log(self.agent, impact=TicketImpact.MEDIUM, urgency=TicketUrgency.HIGH)
        self.assertEqual(incident.priority, TicketPriority.CRITICAL)
        self.assertTrue(incident.major)
        other = log(self.agent, impact=TicketImpact.HIGH, urgency=TicketUrgency.MEDIUM)
        self.assertEqual(other.priority, TicketPriority.HIGH)

    def test_a_changed_cell_applies_when_an_incident_is_next_edited(self) -> None:
        incident = log(self.agent, impact=TicketImpact.LOW, urgency=TicketUrgency.LOW)
        PriorityRule.objects.update_or_create(
            impact=TicketImpact.LOW,
            urgency=TicketUrgency.MEDIUM,
            defaults={"priority": TicketPriority.MEDIUM},
        )
        incident = update_incident(
            incident,
            {"urgency": TicketUrgency.MEDIUM},
            actor=self.agent,
            version=incident.version,
        )
        self.assertEqual(incident.priority, TicketPriority.MEDIUM)

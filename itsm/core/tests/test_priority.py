"""`compute_priority`: the configured matrix, ITIL's impact + urgency − 1 where unset."""

from __future__ import annotations

from itsm.core.models import PriorityRule
from itsm.core.services import compute_priority
from itsm.core.testing import BaseTestCase

CELLS = [(impact, urgency) for impact in (1, 2, 3) for urgency in (1, 2, 3)]


class ComputePriorityTests(BaseTestCase):
    def test_the_installed_matrix_is_itils(self) -> None:
        self.assertEqual(
            {(r.impact, r.urgency): r.priority for r in PriorityRule.objects.all()},
            {(i, u): i + u - 1 for i, u in CELLS},
        )

    def test_every_cell_gives_impact_plus_urgency_minus_one_by_default(self) -> None:
        for impact, urgency in CELLS:
            with self.subTest(impact=impact, urgency=urgency):
                self.assertEqual(compute_priority(impact, urgency), impact + urgency - 1)

    def test_an_unconfigured_cell_falls_back_to_itil(self) -> None:
        PriorityRule.objects.all().delete()
        for impact, urgency in CELLS:
            with self.subTest(impact=impact, urgency=urgency):
                self.assertEqual(compute_priority(impact, urgency), impact + urgency - 1)

    def test_a_configured_cell_wins(self) -> None:
        PriorityRule.objects.filter(impact=3, urgency=1).update(priority=2)
        self.assertEqual(compute_priority(3, 1), 2)
        self.assertEqual(compute_priority(1, 3), 3)

    def test_a_cell_is_configured_once(self) -> None:
        from django.db import IntegrityError, transaction

        with self.assertRaises(IntegrityError), transaction.atomic():
            PriorityRule.objects.create(impact=1, urgency=1, priority=2)

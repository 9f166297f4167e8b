"""Ticket numbers: a prefix and seven digits, unique and sequential (the concurrent case is in
test_concurrency.py)."""

from __future__ import annotations

from django.db import transaction

from itsm.core.models import NumberSequence
from itsm.core.services import next_number
from itsm.core.testing import BaseTestCase
from itsm.incidents.services import log_incident


class NumberingTests(BaseTestCase):
    def test_a_number_is_the_prefix_and_seven_digits(self) -> None:
        self.assertRegex(next_number("INC"), r"^INC\d{7}$")

    def test_numbers_are_sequential(self) -> None:
        numbers = [next_number("INC") for _ in range(5)]
        first = int(numbers[0][3:])
        self.assertEqual(numbers, ["INC%07d" % n for n in range(first, first + 5)])

    def test_each_prefix_counts_on_its_own(self) -> None:
        self.assertEqual(next_number("PRB"), "PRB0000001")
        self.assertEqual(next_number("PRB"), "PRB0000002")
        self.assertEqual(next_number("CHG"), "CHG0000001")

    def test_a_rolled_back_write_gives_its_number_back(self) -> None:
        next_number("REL")
        try:
            with transaction.atomic():
                next_number("REL")
                raise RuntimeError
        except RuntimeError:
            pass
        self.assertEqual(next_number("REL"), "REL0000002")

    def test_incidents_get_unique_sequential_numbers(self) -> None:
        numbers = [log_incident({"title": "t%d" % i}, actor=self.agent).number for i in range(3)]
        self.assertEqual(len(set(numbers)), 3)
        self.assertEqual(
            [int(n[3:]) for n in numbers], list(range(int(numbers[0][3:]), int(numbers[0][3:]) + 3))
        )
        self.assertEqual(NumberSequence.objects.get(prefix="INC").last, int(numbers[-1][3:]))

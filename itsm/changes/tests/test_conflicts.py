"""Blackout windows expanded over a period, and every kind of conflict a change's planned
window can have: a blackout window (hospital-wide or of its service), another booked change
on the same item or on a related one, the implementer booked twice."""

from __future__ import annotations

from datetime import date, time

from django.core.exceptions import ValidationError

from itsm.changes.calendar import blackout_occurrences, conflicts_of, occurrences
from itsm.changes.choices import BlackoutKind, ChangeStatus, ConflictKind
from itsm.changes.models import BlackoutWindow
from itsm.changes.tests.calendar_factories import (
    SHANGHAI,
    at,
    booked,
    dated_window,
    depends,
    item,
    outpatient_peak,
)
from itsm.changes.tests.factories import set_up_change_management
from itsm.core.testing import BaseTestCase

S = ChangeStatus


class OccurrenceTests(BaseTestCase):
    def test_a_weekday_window_occurs_once_per_working_day_in_local_time(self) -> None:
        window = outpatient_peak()
        found = occurrences(window, at(0, 0), at(7, 0))
        self.assertEqual([o.start for o in found], [at(d, 7, 30) for d in range(5)])
        self.assertEqual([o.end for o in found], [at(d, 11, 30) for d in range(5)])
        # 07:30 in Shanghai is 23:30 UTC the day before: no daylight saving shifts it.
        self.assertEqual(found[0].start.astimezone(SHANGHAI).hour, 7)
        self.assertEqual(found[0].start.utcoffset(), at(120, 0).utcoffset())

    def test_a_window_ending_before_it_starts_runs_past_midnight(self) -> None:
        window = outpatient_peak(
            name="夜间批处理", weekdays="5", start_time=time(22), end_time=time(2)
        )
        found = occurrences(window, at(5, 0), at(5, 3))  # Saturday 00:00–03:00
        self.assertEqual(len(found), 1)
        self.assertEqual((found[0].start, found[0].end), (at(4, 22), at(5, 2)))

    def test_a_window_outside_its_dates_of_validity_does_not_occur(self) -> None:
        window = outpatient_peak(valid_from=date(2027, 3, 3), valid_until=date(2027, 3, 4))
        found = occurrences(window, at(0, 0), at(7, 0))
        self.assertEqual([o.start for o in found], [at(2, 7, 30), at(3, 7, 30)])

    def test_a_dated_window_occurs_when_it_overlaps_the_period(self) -> None:
        window = dated_window(at(2, 0), at(4, 0))
        self.assertEqual(len(occurrences(window, at(3, 12), at(3, 13))), 1)
        self.assertEqual(occurrences(window, at(4, 0), at(4, 1)), [])

    def test_inactive_windows_are_left_out(self) -> None:
        outpatient_peak(active=False)
        self.assertEqual(blackout_occurrences(at(0, 0), at(7, 0)), [])

    def test_a_window_checks_its_own_fields(self) -> None:
        window = BlackoutWindow(name="x", kind=BlackoutKind.RECURRING, weekdays="0,8")
        with self.assertRaises(ValidationError) as caught:
            window.full_clean()
        self.assertEqual(set(caught.exception.message_dict), {"weekdays", "start_time", "end_time"})
        dated = BlackoutWindow(
            name="x", kind=BlackoutKind.DATED, starts_at=at(1, 0), ends_at=at(0, 0)
        )
        with self.assertRaises(ValidationError) as caught:
            dated.full_clean()
        self.assertEqual(set(caught.exception.message_dict), {"ends_at"})


class ConflictTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        set_up_change_management(cls)
        cls.storage = item("SAN-01")
        cls.db = item("HIS-DB-01")
        cls.app = item("HIS-APP-01")
        depends(cls.db, cls.storage)
        depends(cls.app, cls.db)
        cls.db.services.add(cls.his)

    def kinds(self, change: object) -> list[str]:
        return [c.kind for c in conflicts_of(change)]  # type: ignore[arg-type]

    def test_a_change_without_a_window_or_overlap_has_no_conflicts(self) -> None:
        change = booked(self, at(0, 1), at(0, 3), status=S.DRAFT, configuration_items=[self.db])
        self.assertEqual(conflicts_of(change), [])

    def test_another_booked_change_on_the_same_item_conflicts(self) -> None:
        other = booked(self, at(0, 1), at(0, 3), configuration_items=[self.db])
        change = booked(self, at(0, 2), at(0, 4), status=S.DRAFT, configuration_items=[self.db])
        [conflict] = conflicts_of(change)
        self.assertEqual(conflict.kind, ConflictKind.SAME_ITEM)
        self.assertEqual(conflict.change, other)
        self.assertIn(other.number, conflict.reason)
        self.assertIn("HIS-DB-01", conflict.reason)

    def test_changes_on_items_up_and_down_the_chain_conflict(self) -> None:
        below = booked(self, at(0, 1), at(0, 3), configuration_items=[self.storage])
        above = booked(self, at(0, 1), at(0, 3), configuration_items=[self.app])
        change = booked(self, at(0, 2), at(0, 4), status=S.DRAFT, configuration_items=[self.db])
        found = conflicts_of(change)
        self.assertEqual([c.kind for c in found], [ConflictKind.RELATED_ITEM] * 2)
        self.assertEqual({c.change for c in found}, {below, above})

    def test_a_change_two_relationships_away_conflicts_too(self) -> None:
        booked(self, at(0, 1), at(0, 3), configuration_items=[self.storage])
        change = booked(self, at(0, 2), at(0, 4), status=S.DRAFT, configuration_items=[self.app])
        self.assertEqual(self.kinds(change), [ConflictKind.RELATED_ITEM])

    def test_changes_not_booked_or_not_overlapping_do_not_conflict(self) -> None:
        booked(self, at(0, 1), at(0, 3), status=S.DRAFT, configuration_items=[self.db])
        booked(self, at(0, 1), at(0, 3), status=S.CANCELLED, configuration_items=[self.db])
        booked(self, at(0, 4), at(0, 5), configuration_items=[self.db])
        change = booked(self, at(0, 2), at(0, 4), status=S.DRAFT, configuration_items=[self.db])
        self.assertEqual(conflicts_of(change), [])

    def test_scheduled_and_implementing_changes_are_booked(self) -> None:
        booked(self, at(0, 1), at(0, 3), status=S.SCHEDULED, configuration_items=[self.db])
        change = booked(self, at(0, 2), at(0, 4), status=S.DRAFT, configuration_items=[self.db])
        self.assertEqual(self.kinds(change), [ConflictKind.SAME_ITEM])

    def test_the_same_implementer_booked_twice_conflicts(self) -> None:
        other = booked(self, at(0, 1), at(0, 3), implementer=self.vendor)
        change = booked(self, at(0, 2), at(0, 4), status=S.DRAFT, implementer=self.vendor)
        [conflict] = conflicts_of(change)
        self.assertEqual((conflict.kind, conflict.change), (ConflictKind.IMPLEMENTER, other))
        self.assertIn(str(self.vendor), conflict.reason)

    def test_a_hospital_wide_blackout_conflicts_with_any_change(self) -> None:
        window = outpatient_peak()
        change = booked(self, at(1, 11), at(1, 12), status=S.DRAFT)
        [conflict] = conflicts_of(change)
        self.assertEqual((conflict.kind, conflict.window), (ConflictKind.BLACKOUT, window))
        self.assertTrue(conflict.blocks)
        self.assertIn("2027-03-02 07:30 – 2027-03-02 11:30", conflict.reason)

    def test_a_service_blackout_concerns_only_changes_on_that_service(self) -> None:
        outpatient_peak(service=self.his)
        on_his = booked(
            self, at(1, 8), at(1, 9), status=S.DRAFT, configuration_items=[self.storage]
        )
        elsewhere = booked(self, at(1, 8), at(1, 9), status=S.DRAFT, service=self.pacs)
        self.assertEqual(self.kinds(on_his), [ConflictKind.BLACKOUT])
        self.assertEqual(self.kinds(elsewhere), [])

    def test_a_change_touching_a_blackout_only_at_its_edge_does_not_conflict(self) -> None:
        outpatient_peak()
        change = booked(self, at(1, 11, 30), at(1, 13), status=S.DRAFT)
        self.assertEqual(conflicts_of(change), [])

"""The numbers of the SLA compliance report, worked out by hand from the history in
factories.py (read its docstring first)."""

from __future__ import annotations

import datetime as dt

from itsm.reports.choices import ReportDimension, ReportMetric
from itsm.reports.services import ComplianceRow, ReportQuery, compliance_rows, sla_compliance
from itsm.reports.tests.factories import NOW, ReportCase
from itsm.sla.choices import AgreementKind, ClockMetric

OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)
RESPONSE, RESOLUTION = ClockMetric.RESPONSE, ClockMetric.RESOLUTION


def numbers(rows: list[ComplianceRow]) -> list[tuple[dt.date, str, str, int, int, int]]:
    return [(r.month, r.label, r.metric, r.measured, r.met, r.breached) for r in rows]


class ServiceBreakdownTests(ReportCase):
    def test_the_sla_numbers_by_service_across_two_months(self) -> None:
        rows = sla_compliance(
            year=2026,
            dimension=ReportDimension.SERVICE,
            metric=ReportMetric.BOTH,
            kind=AgreementKind.SLA,
            now=NOW,
        )

        self.assertEqual(
            numbers(rows),
            [
                (OCT, "HIS", RESPONSE, 2, 1, 1),  # A met, B late
                (OCT, "HIS", RESOLUTION, 2, 1, 1),
                (OCT, "PACS", RESPONSE, 2, 2, 0),  # C and I; D cancelled
                (OCT, "PACS", RESOLUTION, 2, 2, 0),
                (NOV, "HIS", RESPONSE, 3, 3, 0),  # E, F, G
                (NOV, "HIS", RESOLUTION, 2, 0, 2),  # F, G running late; E not yet due
                (NOV, "PACS", RESPONSE, 1, 1, 0),  # J
                (NOV, "PACS", RESOLUTION, 1, 1, 0),
            ],
        )
        self.assertEqual([r.compliance for r in rows[:2]], [50.0, 50.0])
        self.assertEqual(rows[5].compliance, 0.0)
        self.assertEqual(rows[2].compliance, 100.0)

    def test_a_cancelled_incident_is_not_counted_although_its_clocks_ran_late(self) -> None:
        rows = sla_compliance(
            year=2026,
            month=10,
            dimension=ReportDimension.SERVICE,
            metric=ReportMetric.RESPONSE,
            kind=AgreementKind.SLA,
            now=NOW,
        )

        pacs = [r for r in rows if r.key == self.pacs.pk]
        self.assertEqual([(r.measured, r.breached) for r in pacs], [(2, 0)])

    def test_a_clock_counts_in_the_month_it_started_in_beijing_time(self) -> None:
        # I was reported at 23:30 on 31 October Beijing time (15:30 UTC), J at 00:30 on
        # 1 November (16:30 UTC on 31 October).
        rows = sla_compliance(
            year=2026,
            dimension=ReportDimension.SERVICE,
            metric=ReportMetric.RESOLUTION,
            kind=AgreementKind.SLA,
            now=NOW,
        )

        pacs = {r.month: r.measured for r in rows if r.key == self.pacs.pk}
        self.assertEqual(pacs, {OCT: 2, NOV: 1})

    def test_one_month_gives_only_that_month(self) -> None:
        rows = sla_compliance(
            year=2026,
            month=11,
            dimension=ReportDimension.SERVICE,
            metric=ReportMetric.BOTH,
            kind=AgreementKind.SLA,
            now=NOW,
        )

        self.assertEqual({r.month for r in rows}, {NOV})
        self.assertEqual(len(rows), 4)

    def test_a_running_clock_within_its_target_is_counted_once_it_is_late(self) -> None:
        later = dt.datetime(2026, 11, 18, 2, 0, tzinfo=NOW.tzinfo)  # E due 11-18 01:00

        rows = sla_compliance(
            year=2026,
            month=11,
            dimension=ReportDimension.SERVICE,
            metric=ReportMetric.RESOLUTION,
            kind=AgreementKind.SLA,
            now=later,
        )

        his = [r for r in rows if r.key == self.his.pk]
        self.assertEqual([(r.measured, r.breached) for r in his], [(3, 3)])

    def test_another_year_has_no_rows(self) -> None:
        self.assertEqual(sla_compliance(year=2025, dimension=ReportDimension.SERVICE, now=NOW), [])


class OtherBreakdownTests(ReportCase):
    def test_by_group_the_ola_counts_its_own_group_and_the_sla_the_assignment_group(
        self,
    ) -> None:
        rows = sla_compliance(
            year=2026,
            month=11,
            dimension=ReportDimension.GROUP,
            metric=ReportMetric.RESOLUTION,
            now=NOW,
        )

        # Front line: SLA of F (late) and J (met); OLA of F (late), G (handed over late)
        # and J (met). HIS vendor: SLA of G, escalated to it (late).
        self.assertEqual(
            numbers(rows),
            [
                (NOV, "卫宁HIS二线", RESOLUTION, 1, 0, 1),
                (NOV, "桌面运维组", RESOLUTION, 5, 2, 3),
            ],
        )
        front = next(r for r in rows if r.key == self.front_group.pk)
        self.assertEqual(front.compliance, 40.0)

    def test_a_handed_over_ola_clock_is_met_when_handed_over_in_time(self) -> None:
        rows = sla_compliance(
            year=2026,
            month=11,
            dimension=ReportDimension.GROUP,
            metric=ReportMetric.RESPONSE,
            kind=AgreementKind.OLA,
            now=NOW,
        )

        # E, F, G and J accepted within the OLA's response target.
        self.assertEqual(numbers(rows), [(NOV, "桌面运维组", RESPONSE, 4, 4, 0)])

    def test_by_agreement_kind(self) -> None:
        rows = sla_compliance(
            year=2026,
            month=11,
            dimension=ReportDimension.KIND,
            metric=ReportMetric.RESOLUTION,
            now=NOW,
        )

        self.assertEqual(
            [(r.key, r.measured, r.breached) for r in rows],
            [(AgreementKind.SLA, 3, 2), (AgreementKind.OLA, 3, 2)],
        )
        self.assertEqual(rows[0].compliance, 33.3)

    def test_by_priority(self) -> None:
        rows = sla_compliance(
            year=2026,
            month=11,
            dimension=ReportDimension.PRIORITY,
            metric=ReportMetric.RESOLUTION,
            kind=AgreementKind.SLA,
            now=NOW,
        )

        self.assertEqual([(r.key, r.measured, r.breached) for r in rows], [(2, 1, 0), (3, 2, 2)])
        self.assertEqual(rows[0].label, "P2 高")  # in the default language

    def test_by_department(self) -> None:
        rows = compliance_rows(
            ReportQuery(
                year=2026,
                month=10,
                dimension=ReportDimension.DEPARTMENT,
                metric=ReportMetric.RESPONSE,
                kind=AgreementKind.SLA,
            ),
            now=NOW,
        )

        by_department = {r.key: (r.measured, r.breached, r.compliance) for r in rows}
        self.assertEqual(
            by_department,
            {self.emergency.pk: (3, 1, 66.7), self.radiology.pk: (1, 0, 100.0)},
        )

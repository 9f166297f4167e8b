"""The breached tickets behind a number of the report: exactly the breached ones, only
those the user may see."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext

from itsm.reports.choices import ReportDimension, ReportMetric
from itsm.reports.services import ReportQuery, breached_tickets
from itsm.reports.tests.factories import NOW, ReportCase, frozen
from itsm.sla.choices import AgreementKind

URL = reverse("reports:sla_breached")


class DrillDownPageTests(ReportCase):
    def setUp(self) -> None:
        self.login(self.manager)

    def get(self, **params: Any) -> Any:
        with frozen(NOW):
            return self.client.get(URL + "?" + urlencode(params))

    def numbers(self, response: Any) -> list[str]:
        return [t.incident.number for t in response.context["tickets"]]

    def test_it_lists_exactly_the_breached_tickets_of_one_number(self) -> None:
        response = self.get(
            year=2026,
            month=11,
            dimension="service",
            metric="resolution",
            kind="sla",
            value=self.his.pk,
        )

        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            self.numbers(response), [self.incidents["F"].number, self.incidents["G"].number]
        )
        self.assertContains(response, self.incidents["F"].get_absolute_url())
        self.assertContains(response, "仍在计时")  # F and G are still running
        self.assertNotContains(response, self.incidents["E"].number)

    def test_a_late_response_shows_its_due_and_stop_time_and_how_late(self) -> None:
        response = self.get(
            year=2026,
            month=10,
            dimension="service",
            metric="response",
            kind="sla",
            value=self.his.pk,
        )

        self.assertEqual(self.numbers(response), [self.incidents["B"].number])
        self.assertContains(response, "2026-10-13 10:00")
        self.assertContains(response, "2026-10-13 11:00")
        self.assertContains(response, gettext("%(hours)d h") % {"hours": 1})

    def test_a_month_total_lists_every_value(self) -> None:
        response = self.get(year=2026, month=11, dimension="group", metric="resolution")

        # SLA and OLA clocks of F and G.
        self.assertEqual(len(self.numbers(response)), 4)

    def test_a_groups_number_lists_the_clocks_counted_under_that_group(self) -> None:
        response = self.get(
            year=2026,
            month=11,
            dimension="group",
            metric="resolution",
            value=self.vendor_group.pk,
        )

        # Only G's SLA clock: it was escalated to the vendor, who holds it now.
        tickets = response.context["tickets"]
        self.assertEqual(
            [(t.incident.number, t.clock.kind) for t in tickets],
            [(self.incidents["G"].number, AgreementKind.SLA)],
        )
        self.assertContains(response, "支持组：卫宁HIS二线")

    def test_tickets_without_a_value_are_asked_for_with_none(self) -> None:
        response = self.get(year=2026, month=10, dimension="service", metric="both", value="none")

        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.numbers(response), [])
        self.assertContains(response, "没有您可查看的超时工单")

    def test_a_cancelled_ticket_is_never_listed(self) -> None:
        response = self.get(year=2026, month=10, dimension="service", metric="both")

        self.assertNotIn(self.incidents["D"].number, self.numbers(response))

    def test_it_needs_a_month_and_a_value_of_the_breakdown(self) -> None:
        for params in (
            {"year": 2026, "dimension": "service"},
            {"year": 2026, "month": 10, "dimension": "service", "value": "HIS"},
            {"year": 2026, "month": 10, "dimension": "kind", "value": "7"},
        ):
            with self.subTest(params=params):
                self.assertEqual(self.get(**params).status_code, 400)

    def test_a_nurse_and_an_outsider_may_not_open_it(self) -> None:
        for user in (self.nurse, self.outsider):
            with self.subTest(user=user.username):
                self.login(user)
                self.assertEqual(self.get(year=2026, month=10).status_code, 403)


class VisibilityTests(ReportCase):
    def test_the_list_holds_only_the_incidents_the_user_may_see(self) -> None:
        query = ReportQuery(
            year=2026,
            month=10,
            dimension=ReportDimension.SERVICE,
            metric=ReportMetric.BOTH,
            kind=AgreementKind.SLA,
        )

        mine = breached_tickets(query, user=self.nurse, now=NOW)
        theirs = breached_tickets(query, user=self.doctor, now=NOW)
        nobody = breached_tickets(query, user=self.outsider, now=NOW)

        self.assertEqual({t.incident.number for t in mine}, {self.incidents["B"].number})
        self.assertEqual(theirs, [])
        self.assertEqual(nobody, [])

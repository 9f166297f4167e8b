"""First-contact and knowledge-base resolution rates by month: known numbers, month
boundaries in the hospital's time zone, the page, its exports, the API and who may see
them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from itsm.core.choices import TicketImpact, TicketUrgency
from itsm.incidents.choices import IncidentChannel, IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.services import solve_incident_by_article, transition_incident
from itsm.incidents.tests.factories import RESOLUTION, log
from itsm.incidents.tests.ui import UITestCase
from itsm.knowledge.choices import ArticleStatus
from itsm.knowledge.tests.factories import article_in
from itsm.reports.services import first_contact_rows, report_months

ZONE = ZoneInfo(settings.TIME_ZONE)
QUERY = "?year=2026&month=4"


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=ZONE)


class FirstContactCase(UITestCase):
    """March 2026: the desk logs four calls (one solved by an article at first contact,
    the first of them late on 31 March local time) plus a portal report and a cancelled
    call, which do not count; three incidents are resolved in March, one by an article.
    April 2026: one call, solved by an article; two incidents resolved, one by an article.
    """

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.article = article_in(ArticleStatus.PUBLISHED, author=cls.agent, reviewer=cls.manager)
        call: dict[str, Any] = {
            "requester": cls.nurse,
            "title": "打印机不出纸",
            "impact": TicketImpact.LOW,
            "urgency": TicketUrgency.LOW,
            "channel": IncidentChannel.PHONE,
        }

        def solve(reported: str) -> None:
            incident = solve_incident_by_article(
                {**call, "reported_at": at(reported)}, article=cls.article, actor=cls.agent
            )
            Incident.objects.filter(pk=incident.pk).update(resolved_at=at(reported))

        def resolve(incident: Incident, when: str) -> None:
            transition_incident(incident, "resolve", actor=cls.agent, data=RESOLUTION)
            Incident.objects.filter(pk=incident.pk).update(resolved_at=at(when))

        # March: 31 March 23:30 in Shanghai is 15:30 UTC, still March.
        solve("2026-03-31T23:30")
        plain = [
            log(cls.agent, requester=cls.nurse, reported_at=at("2026-03-10T09:00"), channel=c)
            for c in (IncidentChannel.PHONE, IncidentChannel.WALK_IN, IncidentChannel.EMAIL)
        ]
        resolve(plain[0], "2026-03-12T10:00")
        resolve(plain[1], "2026-04-01T08:00")
        portal = log(cls.nurse, reported_at=at("2026-03-11T09:00"), channel=IncidentChannel.PORTAL)
        resolve(portal, "2026-03-15T10:00")
        cancelled = log(cls.agent, requester=cls.nurse, reported_at=at("2026-03-20T09:00"))
        transition_incident(cancelled, "cancel", actor=cls.agent, data={"reason": "重复"})
        # April.
        solve("2026-04-05T10:00")
        # May 1st 00:10 local time is still 30 April in UTC: it counts in May.
        log(cls.agent, requester=cls.nurse, reported_at=at("2026-05-01T00:10"))


class NumbersTests(FirstContactCase):
    def test_the_twelve_months_end_with_the_chosen_one(self) -> None:
        months = report_months(2026, 4)
        self.assertEqual(len(months), 12)
        self.assertEqual(months[0], dt.date(2025, 5, 1))
        self.assertEqual(months[-1], dt.date(2026, 4, 1))
        self.assertEqual(report_months(2026, 12)[0], dt.date(2026, 1, 1))

    def test_march_and_april_have_the_known_numbers(self) -> None:
        rows = first_contact_rows(2026, 4)
        march, april = rows[-2], rows[-1]
        self.assertEqual(march.month, dt.date(2026, 3, 1))
        self.assertEqual(
            (march.logged, march.first_contact, march.resolved, march.kb_solved), (4, 1, 3, 1)
        )
        self.assertEqual(march.first_contact_rate, 25.0)
        self.assertEqual(march.kb_rate, 33.3)
        self.assertEqual(
            (april.logged, april.first_contact, april.resolved, april.kb_solved), (1, 1, 2, 1)
        )
        self.assertEqual(april.first_contact_rate, 100.0)
        self.assertEqual(april.kb_rate, 50.0)

    def test_months_without_incidents_have_no_rate(self) -> None:
        first = first_contact_rows(2026, 4)[0]
        self.assertEqual((first.logged, first.resolved), (0, 0))
        self.assertIsNone(first.first_contact_rate)
        self.assertIsNone(first.kb_rate)

    def test_a_call_just_after_midnight_local_time_counts_in_its_local_month(self) -> None:
        may = first_contact_rows(2026, 5)[-1]
        self.assertEqual(may.logged, 1)
        self.assertEqual(first_contact_rows(2026, 4)[-1].logged, 1)

    def test_the_numbers_take_two_queries(self) -> None:
        with CaptureQueriesContext(connection) as queries:
            first_contact_rows(2026, 4)
        self.assertEqual(len(queries), 2)


class PageTests(FirstContactCase):
    URL = reverse("reports:first_contact")

    def test_the_page_shows_the_months_and_rates(self) -> None:
        self.login(self.manager)
        response = self.client.get(self.URL + QUERY)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.context["rows"]), 12)
        self.assertContains(response, "25.0%")
        self.assertContains(response, "33.3%")
        self.assertContains(response, "2026年3月")
        self.assertContains(response, reverse("reports:first_contact_export", args=["csv"]))
        # Totals over the twelve months: 5 calls, 2 at first contact; 5 resolved, 2 by KB.
        self.assertEqual(response.context["first_contact_rate"], 40.0)
        self.assertEqual(response.context["kb_rate"], 40.0)

    def test_the_reports_tabs_link_both_reports(self) -> None:
        self.login(self.manager)
        for url in (self.URL, reverse("reports:sla_compliance")):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertContains(response, 'href="%s"' % self.URL)
                self.assertContains(response, 'href="%s"' % reverse("reports:sla_compliance"))

    def test_a_bad_selection_is_refused_per_field_with_400(self) -> None:
        self.login(self.manager)
        for query, field in (("?year=1999", "year"), ("?month=13", "month"), ("?year=x", "year")):
            with self.subTest(query=query):
                response = self.client.get(self.URL + query)
                self.assertEqual(response.status_code, 400)
                self.assertIn(field, response.context["form"].errors)

    def test_it_opens_with_this_month_by_default(self) -> None:
        self.login(self.agent)
        response = self.client.get(self.URL)
        self.assertEqual(response.status_code, 200)

    def test_requesters_vendors_and_outsiders_get_403(self) -> None:
        for user in (self.nurse, self.vendor, self.outsider):
            with self.subTest(user=user.username):
                self.login(user)
                self.assertEqual(self.client.get(self.URL).status_code, 403)
                export = reverse("reports:first_contact_export", args=["csv"])
                self.assertEqual(self.client.get(export).status_code, 403)


class ExportTests(FirstContactCase):
    HEADER = [
        "月份",
        "服务台登记的来电",
        "一线解决",
        "一线解决率(%)",
        "已解决的事件",
        "知识库解决",
        "知识库解决率(%)",
    ]

    def setUp(self) -> None:
        self.login(self.manager)

    def test_the_csv_has_a_row_per_month(self) -> None:
        response = self.client.get(reverse("reports:first_contact_export", args=["csv"]) + QUERY)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response["Content-Disposition"],
            'attachment; filename="first-contact-2025-05-2026-04.csv"',
        )
        content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        self.assertEqual(rows[0], self.HEADER)
        self.assertEqual(len(rows), 13)
        self.assertEqual(rows[-2], ["2026年3月", "4", "1", "25.0", "3", "1", "33.3"])
        self.assertEqual(rows[1][3], "")

    def test_the_excel_file_has_the_same_rows(self) -> None:
        response = self.client.get(reverse("reports:first_contact_export", args=["xlsx"]) + QUERY)
        self.assertEqual(response.status_code, 200)
        content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        book = load_workbook(io.BytesIO(content))
        sheet = book.worksheets[0]
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        self.assertEqual(values[0], self.HEADER)
        self.assertEqual(values[-1], ["2026年4月", 1, 1, 100.0, 2, 1, 50.0])

    def test_a_bad_selection_gives_400(self) -> None:
        response = self.client.get(
            reverse("reports:first_contact_export", args=["csv"]) + "?month=0"
        )
        self.assertEqual(response.status_code, 400)


class ApiTests(FirstContactCase):
    URL = reverse("api:report_first_contact")

    def test_it_gives_the_rows(self) -> None:
        response = self.api(self.manager).get(self.URL + QUERY)
        self.assertEqual(response.status_code, 200)
        data = response.json()
        self.assertEqual((data["year"], data["month"]), (2026, 4))
        self.assertEqual(len(data["rows"]), 12)
        self.assertEqual(
            data["rows"][-2],
            {
                "month": "2026-03",
                "logged": 4,
                "first_contact": 1,
                "first_contact_rate": 25.0,
                "resolved": 3,
                "kb_solved": 1,
                "kb_rate": 33.3,
            },
        )

    def test_bad_input_is_refused_per_field_with_400(self) -> None:
        response = self.api(self.manager).get(self.URL + "?year=abc&month=13")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()), {"year", "month"})

    def test_a_requester_gets_403_and_a_stranger_401(self) -> None:
        self.assertEqual(self.api(self.nurse).get(self.URL).status_code, 403)
        self.assertEqual(self.api(self.vendor).get(self.URL).status_code, 403)
        self.assertEqual(self.api(None).get(self.URL).status_code, 401)

    def test_cancelled_calls_do_not_count(self) -> None:
        self.assertTrue(Incident.objects.filter(status=IncidentStatus.CANCELLED).exists())
        self.assertEqual(first_contact_rows(2026, 4)[-2].logged, 4)

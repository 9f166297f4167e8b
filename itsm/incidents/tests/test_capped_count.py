"""Big lists count at most 10,000 rows ("10,000+"), on the API and the queue page; the API
and the queues share one order: most urgent first, then oldest reported first."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from itsm.api.tests.support import ApiTestCase, page
from itsm.core.choices import TicketImpact, TicketUrgency
from itsm.core.views import CappedPaginator
from itsm.incidents.models import Incident
from itsm.incidents.tests.factories import log
from itsm.incidents.tests.ui import UITestCase
from itsm.incidents.views.queue import queue_rows

LIST = "/api/incidents/"
QUEUE = reverse("incidents:incident_list")


class CappedPaginatorTests(UITestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        for index in range(7):
            log(cls.agent, requester=cls.nurse, title="故障 %d" % index)

    def test_it_counts_exactly_up_to_the_cap(self) -> None:
        paginator = CappedPaginator(Incident.objects.order_by("pk"), 2, cap=7)
        self.assertEqual((paginator.count, paginator.capped), (7, False))
        self.assertEqual(paginator.num_pages, 4)

    def test_beyond_the_cap_it_reports_the_cap_and_says_so(self) -> None:
        paginator = CappedPaginator(Incident.objects.order_by("pk"), 2, cap=5)
        self.assertEqual((paginator.count, paginator.capped), (5, True))
        self.assertEqual(paginator.num_pages, 3)
        self.assertEqual(len(paginator.page(3).object_list), 1)

    def test_the_capped_count_is_one_query_without_the_joins_or_the_order(self) -> None:
        queryset = Incident.objects.select_related("requester").order_by("priority", "pk")
        paginator = CappedPaginator(queryset, 2, cap=5)
        with CaptureQueriesContext(connection) as queries:
            self.assertTrue(paginator.capped)
            self.assertEqual(paginator.count, 5)
        self.assertEqual(len(queries), 1)
        sql = queries[0]["sql"].upper()
        self.assertNotIn("JOIN", sql)
        self.assertNotIn("ORDER BY", sql)
        self.assertIn("LIMIT 6", sql)

    def test_a_page_reads_its_ids_and_the_count_in_one_query_then_its_rows(self) -> None:
        queryset = Incident.objects.select_related("requester").order_by("-pk")
        expected = list(Incident.objects.order_by("-pk").values_list("pk", flat=True))
        for number, cap in ((1, 10_000), ("2", 10_000), (3, 5)):
            paginator = CappedPaginator(queryset, 2, cap=cap)
            with CaptureQueriesContext(connection) as queries:
                page_obj = paginator.page(number)
                shown = [incident.pk for incident in page_obj.object_list]
                self.assertEqual(paginator.count, min(7, cap))
                self.assertEqual(paginator.capped, cap < 7)
            start = (int(number) - 1) * 2
            self.assertEqual(shown, expected[start : min(start + 2, cap)])
            self.assertEqual(len(queries), 2, [q["sql"] for q in queries])

    def test_a_page_beyond_the_last_still_shows_the_last_page_and_the_right_count(self) -> None:
        paginator = CappedPaginator(Incident.objects.order_by("pk"), 2)
        page_obj = paginator.get_page(9)
        self.assertEqual((page_obj.number, paginator.count, len(page_obj.object_list)), (4, 7, 1))
        for bad in ("x", None, 0, -1, 2.5):
            paginator = CappedPaginator(Incident.objects.order_by("pk"), 2)
            page_obj = paginator.get_page(bad)
            self.assertEqual(page_obj.number, 4 if bad in (0, -1) else 1)
            self.assertEqual(paginator.count, 7)

    def test_an_empty_list_is_counted_with_its_first_page(self) -> None:
        paginator = CappedPaginator(Incident.objects.none().order_by("pk"), 2)
        with CaptureQueriesContext(connection) as queries:
            page_obj = paginator.page(1)
            self.assertEqual((paginator.count, list(page_obj.object_list)), (0, []))
        self.assertLessEqual(len(queries), 1)
        paginator = CappedPaginator(Incident.objects.filter(title="无此故障").order_by("pk"), 2)
        with CaptureQueriesContext(connection) as queries:
            page_obj = paginator.page(1)
            self.assertEqual((paginator.count, list(page_obj.object_list)), (0, []))
        self.assertEqual(len(queries), 1)

    def test_the_queue_shows_ten_thousand_plus_when_the_count_is_capped(self) -> None:
        request = RequestFactory().get(QUEUE)
        request.user = self.agent
        paginator = CappedPaginator(Incident.objects.order_by("pk"), 25, cap=5)
        page_obj = paginator.page(1)
        context = {
            "page_obj": page_obj,
            "rows": queue_rows(page_obj.object_list),
            "page_sizes": (25,),
            "page_size": 25,
            "request": request,
        }
        with translation.override("en"):
            html = render_to_string("incidents/_incident_table.html", context, request)
        self.assertIn("5+ incidents", html)
        self.assertIn('data-count-capped="true"', html)
        paginator = CappedPaginator(Incident.objects.order_by("pk"), 25, cap=10_000)
        paginator.counted = 10_001
        context["page_obj"] = paginator.page(1)
        with translation.override("zh-hans"):
            html = render_to_string("incidents/_incident_table.html", context, request)
        self.assertIn("共 10,000+ 条", html)

    def test_an_uncapped_queue_still_reads_as_before(self) -> None:
        self.login(self.agent)
        response = self.client.get(QUEUE + "?queue=all", HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(response, "7 incidents")
        self.assertNotContains(response, "data-count-capped")


class CountCappedApiTests(ApiTestCase):
    def test_the_list_says_whether_its_count_is_capped(self) -> None:
        log(self.agent, requester=self.nurse)
        response = self.api(self.agent).get(LIST)
        self.assertEqual(response.data["count"], 1)
        self.assertIs(response.data["count_capped"], False)
        self.assertEqual(len(page(response)), 1)

    def test_the_schema_documents_count_capped(self) -> None:
        response = self.api(self.agent).get("/api/schema/", HTTP_ACCEPT="application/json")
        self.assertEqual(response.status_code, 200)
        schema = response.json()["components"]["schemas"]["PaginatedIncidentList"]
        self.assertEqual(schema["properties"]["count_capped"]["type"], "boolean")
        self.assertIn("count_capped", schema["required"])


class OneOrderTests(ApiTestCase):
    def test_the_api_lists_the_most_urgent_then_the_oldest_first_as_the_queue(self) -> None:
        now = timezone.now()
        low_old = log(self.agent, requester=self.nurse, reported_at=now - timedelta(hours=3))
        urgent_new = log(
            self.agent,
            requester=self.nurse,
            impact=TicketImpact.HIGH,
            urgency=TicketUrgency.HIGH,
            reported_at=now - timedelta(hours=1),
        )
        low_new = log(self.agent, requester=self.nurse, reported_at=now - timedelta(hours=2))
        expected = [urgent_new.pk, low_old.pk, low_new.pk]
        self.assertEqual([row["id"] for row in page(self.api(self.agent).get(LIST))], expected)
        self.login(self.agent)
        response = self.client.get(QUEUE + "?queue=all")
        self.assertEqual([i.pk for i in response.context["object_list"]], expected)
        self.assertEqual(list(Incident.objects.values_list("pk", flat=True)), expected)

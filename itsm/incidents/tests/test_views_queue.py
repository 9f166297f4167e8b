"""The queues: tabs, filters, search, sorting, paging, HTMX partials — and the same
number of queries whatever the page size."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from itsm.accounts.models import User
from itsm.core.choices import TicketImpact, TicketUrgency
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.tests.factories import incident_in, log
from itsm.incidents.tests.ui import UITestCase

URL = reverse("incidents:incident_list")


def numbers(response: Any) -> list[str]:
    return [incident.number for incident in response.context["object_list"]]


class QueueTests(UITestCase):
    def setUp(self) -> None:
        self.new = log(
            self.agent,
            requester=self.nurse,
            title="门诊挂号系统无法登录",
            impact=TicketImpact.HIGH,
            urgency=TicketUrgency.HIGH,
        )
        self.front = incident_in(self, IncidentStatus.IN_PROGRESS, title="护士站打印机卡纸")
        self.routed = incident_in(
            self,
            IncidentStatus.ASSIGNED,
            group=self.vendor_group,
            requester=self.doctor,
            title="HIS医嘱保存缓慢",
            service=self.his,
        )
        self.closed = incident_in(self, IncidentStatus.CLOSED, title="显示器黑屏")

    def test_open_incidents_of_my_groups_are_the_default(self) -> None:
        self.login(self.engineer)
        response = self.client.get(URL)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["queue"], "my_groups")
        self.assertEqual(numbers(response), [self.front.number])

    def test_each_tab_shows_its_queue(self) -> None:
        self.login(self.agent)
        self.assertCountEqual(
            numbers(self.client.get(URL, {"queue": "all"})),
            [self.new.number, self.front.number, self.routed.number],
        )
        self.assertEqual(
            numbers(self.client.get(URL, {"queue": "unassigned"})),
            [self.new.number, self.routed.number],
        )
        self.login(self.engineer)
        self.assertEqual(numbers(self.client.get(URL, {"queue": "mine"})), [self.front.number])

    def test_a_vendor_engineer_sees_only_what_was_routed_to_his_group(self) -> None:
        self.login(self.vendor)
        response = self.client.get(URL, {"queue": "all", "open": "unknown"})
        self.assertEqual(numbers(response), [self.routed.number])
        self.login(self.other_vendor)
        response = self.client.get(URL, {"queue": "all", "open": "unknown"})
        self.assertEqual(numbers(response), [])

    def test_it_sorts_by_priority_then_oldest_first(self) -> None:
        self.login(self.agent)
        response = self.client.get(URL, {"queue": "all"})
        listed = list(response.context["object_list"])
        keys = [(i.priority, i.reported_at) for i in listed]
        self.assertEqual(keys, sorted(keys))
        self.assertEqual(listed[0], self.new)

    def test_a_column_header_sorts_and_sorts_back(self) -> None:
        self.login(self.agent)
        ascending = numbers(self.client.get(URL, {"queue": "all", "sort": "number"}))
        descending = numbers(self.client.get(URL, {"queue": "all", "sort": "-number"}))
        self.assertEqual(ascending, sorted(ascending))
        self.assertEqual(descending, list(reversed(ascending)))
        unknown = self.client.get(URL, {"queue": "all", "sort": "password"})
        self.assertEqual(unknown.context["sort"], "priority")

    def test_filters_narrow_the_list(self) -> None:
        self.login(self.agent)
        self.assertEqual(
            numbers(self.client.get(URL, {"queue": "all", "status": IncidentStatus.CLOSED})),
            [self.closed.number],
        )
        self.assertEqual(
            numbers(self.client.get(URL, {"queue": "all", "service": self.his.pk})),
            [self.routed.number],
        )
        self.assertEqual(
            numbers(
                self.client.get(URL, {"queue": "all", "assignment_group": self.vendor_group.pk})
            ),
            [self.routed.number],
        )
        self.assertEqual(
            numbers(self.client.get(URL, {"queue": "all", "department": self.radiology.pk})),
            [self.routed.number],
        )
        self.assertEqual(
            numbers(self.client.get(URL, {"queue": "all", "priority": "1"})), [self.new.number]
        )

    def test_it_finds_by_number_and_by_words_of_the_title(self) -> None:
        self.login(self.agent)
        self.assertEqual(
            numbers(self.client.get(URL, {"q": self.closed.number})), [self.closed.number]
        )
        self.assertEqual(
            numbers(self.client.get(URL, {"q": str(int(self.routed.number[3:]))})),
            [self.routed.number],
        )
        self.assertEqual(numbers(self.client.get(URL, {"q": "打印机 卡纸"})), [self.front.number])

    def test_an_invalid_filter_is_400_and_lists_nothing(self) -> None:
        self.login(self.agent)
        response = self.client.get(URL, {"queue": "everything"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(numbers(response), [])

    def test_an_htmx_request_gets_only_the_table(self) -> None:
        self.login(self.agent)
        response = self.htmx("get", URL + "?queue=all")
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "incidents/_incident_table.html")
        self.assertNotContains(response, "<html")
        self.assertContains(response, self.routed.number)
        self.assertIn("HX-Request", response["Vary"])

    def test_pages_have_the_requested_size(self) -> None:
        self.login(self.agent)
        response = self.client.get(URL, {"queue": "all", "open": "unknown", "page_size": 2})
        self.assertEqual(len(response.context["object_list"]), 2)
        self.assertEqual(response.context["page_obj"].paginator.num_pages, 2)
        second = self.client.get(
            URL, {"queue": "all", "open": "unknown", "page_size": 2, "page": 2}
        )
        self.assertEqual(len(second.context["object_list"]), 2)


class QueueQueryCountTests(UITestCase):
    """The queue page runs a constant number of queries, whatever the page size."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        requesters = (cls.nurse, cls.doctor)
        groups = (cls.front_group, cls.vendor_group, cls.other_vendor_group)
        services = (cls.his, cls.pacs, None)
        for index in range(60):
            log(
                cls.agent,
                requester=requesters[index % 2],
                assignment_group=groups[index % 3],
                service=services[index % 3],
                title="故障 %d" % index,
            )

    def assert_constant_queries(self, user: User, params: str) -> None:
        self.login(user)
        self.client.get(URL + "?page_size=5&" + params)  # warm the caches of the process
        with CaptureQueriesContext(connection) as small:
            response = self.client.get(URL + "?page_size=5&" + params)
        self.assertEqual(len(response.context["object_list"]), 5)
        with self.assertNumQueries(len(small)):
            response = self.client.get(URL + "?page_size=50&" + params)
        self.assertEqual(len(response.context["object_list"]), 50 if "all" in params else 20)

    def test_the_desk_queue_runs_the_same_queries_for_5_and_50_rows(self) -> None:
        self.assert_constant_queries(self.agent, "queue=all")

    def test_a_vendor_queue_runs_the_same_queries_for_5_and_50_rows(self) -> None:
        self.assert_constant_queries(self.vendor, "queue=my_groups")

    def test_the_htmx_table_runs_the_same_queries_for_5_and_50_rows(self) -> None:
        self.login(self.agent)
        self.htmx("get", URL + "?queue=all&page_size=5")
        with CaptureQueriesContext(connection) as small:
            self.htmx("get", URL + "?queue=all&page_size=5")
        with self.assertNumQueries(len(small)):
            response = self.htmx("get", URL + "?queue=all&page_size=50")
        self.assertEqual(len(response.context["object_list"]), 50)
        self.assertEqual(Incident.objects.count(), 60)


class FilterBarOptionsTests(UITestCase):
    def filter_bar(self, *, together: bool) -> tuple[str, int]:
        from django.test import RequestFactory

        from itsm.core.templatetags.itsm import bs
        from itsm.core.views.generic import prepare_filter_form
        from itsm.incidents.filters import IncidentFilterSet
        from itsm.incidents.views.queue import OPTION_FIELDS, read_options_together

        request = RequestFactory().get(URL, {"service": str(self.pacs.pk)})
        request.user = self.agent
        filterset = IncidentFilterSet(request.GET, queryset=Incident.objects.all(), request=request)
        self.assertTrue(filterset.is_valid())
        form = filterset.form
        prepare_filter_form(form)
        with CaptureQueriesContext(connection) as queries:
            if together:
                read_options_together(form)
            html = "".join(str(bs(form[name])) for name in OPTION_FIELDS)
        return html, len(queries)

    def test_groups_services_and_departments_are_read_in_one_query_and_written_the_same(
        self,
    ) -> None:
        plain, plain_queries = self.filter_bar(together=False)
        together, together_queries = self.filter_bar(together=True)
        self.assertEqual(together, plain)
        self.assertEqual((plain_queries, together_queries), (3, 1))
        self.assertIn('value="%d" selected' % self.pacs.pk, together)
        self.assertIn(self.it_department.name, together)

    def test_the_queue_page_reads_the_options_once_and_the_htmx_table_not_at_all(self) -> None:
        self.login(self.agent)
        with CaptureQueriesContext(connection) as page_queries:
            response = self.client.get(URL + "?queue=all")
        self.assertContains(response, self.front_group.name)
        with CaptureQueriesContext(connection) as table_queries:
            self.client.get(URL + "?queue=all", HTTP_HX_REQUEST="true")
        # Only the options read services from their own table (the rows join them).
        services = 'FROM "%s"' % self.his._meta.db_table
        for queries, expected in ((page_queries, 1), (table_queries, 0)):
            reading = [q for q in queries.captured_queries if services in q["sql"]]
            self.assertEqual(len(reading), expected, [q["sql"] for q in reading])

    def test_the_category_select_reads_the_tree_once_and_names_each_by_its_path(self) -> None:
        from itsm.core.templatetags.itsm import bs
        from itsm.incidents.filters import IncidentFilterSet
        from itsm.incidents.models import IncidentCategory

        def rendered() -> tuple[str, int]:
            form = IncidentFilterSet({}, queryset=Incident.objects.all()).form
            with CaptureQueriesContext(connection) as queries:
                html = str(bs(form["category"]))
            return html, len(queries)

        _html, few = rendered()
        hardware = IncidentCategory.objects.create(code="zz-hw", name="硬件测试")
        for index in range(8):
            IncidentCategory.objects.create(
                code="zz-hw-%d" % index, name="打印机%d" % index, parent=hardware
            )
        html, many = rendered()
        self.assertEqual((few, many), (1, 1))
        # Tree order and paths, as Django's own select writes the field's options.
        self.assertIn("硬件测试 › 打印机0", html)
        self.assertLess(html.index(">硬件测试<"), html.index("硬件测试 › 打印机0"))
        form = IncidentFilterSet({}, queryset=Incident.objects.all()).form
        self.assertEqual(html.count("<option"), str(form["category"]).count("<option"))

"""The SLA compliance page: who may open it, the table it shows, its filters, and a query
count that does not grow with the number of incidents."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from itsm.reports.tests.factories import NOW, ReportCase, frozen

URL = reverse("reports:sla_compliance")


def text(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()))


class AccessTests(ReportCase):
    def test_it_asks_an_anonymous_visitor_to_sign_in(self) -> None:
        response = self.client.get(URL)

        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("login"), response["Location"])

    def test_a_nurse_may_not_open_it(self) -> None:
        self.login(self.nurse)

        self.assertEqual(self.client.get(URL).status_code, 403)

    def test_an_outsider_may_not_open_it(self) -> None:
        self.login(self.outsider)

        self.assertEqual(self.client.get(URL).status_code, 403)

    def test_a_vendors_engineer_may_not_open_it(self) -> None:
        # The report counts every incident; a back-line engineer sees only his groups'.
        self.login(self.vendor)

        self.assertEqual(self.client.get(URL).status_code, 403)

    def test_the_exports_and_the_drill_down_are_refused_too(self) -> None:
        self.login(self.nurse)
        for url in (
            reverse("reports:sla_export", args=["csv"]),
            reverse("reports:sla_export", args=["xlsx"]),
            reverse("reports:sla_breached") + "?year=2026&month=10",
        ):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 403)

    def test_it_opens_for_it_staff_and_the_navigation_links_to_it(self) -> None:
        for user in (self.agent, self.engineer, self.manager, self.admin):
            with self.subTest(user=user.username):
                self.login(user)
                response = self.client.get(URL)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, 'href="%s"' % URL)

    def test_people_without_the_report_see_no_link_to_it(self) -> None:
        self.login(self.nurse)

        response = self.client.get(reverse("portal:home"))

        self.assertNotContains(response, 'href="%s"' % URL)


class PageTests(ReportCase):
    def setUp(self) -> None:
        self.login(self.manager)

    def get(self, query: str) -> str:
        with frozen(NOW):
            response = self.client.get(URL + query)
        self.assertEqual(response.status_code, 200)
        return text(response.content)

    def test_it_shows_months_by_service_with_both_clocks(self) -> None:
        page = self.get("?year=2026&dimension=service&metric=both&kind=sla")

        self.assertIn("2026年10月", page)
        self.assertIn("2026年11月", page)
        # October, HIS: response 2 measured, 1 met, 1 breached, 50.0 %; resolution the same.
        self.assertIn("HIS 2 1 1 50.0% 2 1 1 50.0%", page)
        self.assertIn("PACS 2 2 0 100.0% 2 2 0 100.0%", page)
        # November, HIS: resolution of F and G running late.
        self.assertIn("HIS 3 3 0 100.0% 2 0 2 0.0%", page)
        self.assertIn("本月合计 4 4 0 100.0% 3 1 2 33.3%", page)
        self.assertIn("全年合计 8 7 1 87.5% 7 4 3 57.1%", page)

    def test_compliance_below_target_is_coloured(self) -> None:
        with frozen(NOW):
            response = self.client.get(URL + "?year=2026&month=10&metric=response&kind=sla")

        html = response.content.decode()
        self.assertIn('class="badge text-bg-danger" data-level="danger">50.0%', html)
        self.assertIn('data-level="ok">100.0%', html)

    def test_each_breached_number_links_to_its_tickets(self) -> None:
        with frozen(NOW):
            response = self.client.get(URL + "?year=2026&month=10&metric=response&kind=sla")

        link = (
            reverse("reports:sla_breached")
            + "?year=2026&amp;month=10&amp;dimension=service&amp;metric=response&amp;kind=sla"
            + "&amp;value=%d" % self.his.pk
        )
        self.assertContains(response, 'href="%s"' % link)

    def test_one_month_one_clock(self) -> None:
        page = self.get("?year=2026&month=11&dimension=priority&metric=resolution&kind=sla")

        self.assertNotIn("2026年10月", page)
        self.assertIn("P2 高 1 1 0 100.0%", page)
        self.assertIn("P3 中 2 0 2 0.0%", page)

    def test_a_period_without_clocks_says_so(self) -> None:
        page = self.get("?year=2025")

        self.assertIn("本期没有可统计的时钟", page)

    def test_defaults_are_this_year_by_service(self) -> None:
        with frozen(NOW):
            response = self.client.get(URL)

        form = response.context["form"]
        self.assertEqual(form.cleaned_data["year"], 2026)
        self.assertEqual(form.cleaned_data["dimension"], "service")
        self.assertIn("2026年11月", text(response.content))

    def test_the_help_text_says_what_a_group_means(self) -> None:
        page = self.get("")

        self.assertIn("SLA 时钟按事件当前的处理组统计", page)

    def test_it_speaks_english_to_an_english_user(self) -> None:
        self.manager.language = "en"
        self.manager.save(update_fields=["language"])

        page = self.get("?year=2026&month=10&kind=sla")

        self.assertIn("October 2026", page)
        self.assertIn("Month total", page)


class BadSelectionTests(ReportCase):
    def setUp(self) -> None:
        self.login(self.manager)

    def test_bad_values_are_400_with_a_message_per_field(self) -> None:
        response = self.client.get(URL + "?year=abc&month=13&dimension=foo&metric=x&kind=y")

        self.assertEqual(response.status_code, 400)
        errors = response.context["form"].errors
        self.assertEqual(set(errors), {"year", "month", "dimension", "metric", "kind"})
        self.assertContains(response, "alert-danger", status_code=400)

    def test_a_bad_export_request_is_400(self) -> None:
        response = self.client.get(reverse("reports:sla_export", args=["csv"]) + "?month=0")

        self.assertEqual(response.status_code, 400)

    def test_an_unknown_export_format_is_404(self) -> None:
        self.assertEqual(self.client.get("/reports/sla/export.pdf").status_code, 404)


class QueryCountTests(ReportCase):
    def queries(self) -> int:
        self.login(self.manager)
        with frozen(NOW), CaptureQueriesContext(connection) as captured:
            response = self.client.get(URL + "?year=2026&dimension=service")
        self.assertEqual(response.status_code, 200)
        return len(captured)

    def test_the_page_runs_the_same_queries_whatever_the_number_of_incidents(self) -> None:
        before = self.queries()
        for name, day in (("K", "03"), ("L", "04"), ("M", "06"), ("N", "09"), ("O", "10")):
            self.worked(name, "2026-11-%s 09:00" % day, service=self.pacs)
            self.worked(name + "2", "2026-10-%s 09:00" % day, service=self.his)

        after = self.queries()

        self.assertEqual(before, after)
        self.assertLessEqual(after, 8)

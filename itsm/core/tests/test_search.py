"""The shared search: segmentation, ranking (the same order on SQLite and PostgreSQL),
visibility, highlighting, filters, the page, the API and the console's suggestions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO
from typing import Any
from unittest import mock

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from itsm.accounts.models import Department
from itsm.core import search as search_module
from itsm.core.choices import SearchKind, SearchVisibility
from itsm.core.models import SearchDocument
from itsm.core.search import index_document, search, segment
from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident, IncidentCategory
from itsm.incidents.services import update_incident
from itsm.incidents.tests.factories import incident_in, log


@contextmanager
def departments_as_articles() -> Iterator[None]:
    """Departments stand in for a searchable model without `visible_to`."""
    saved = search_module._registry.get(SearchKind.ARTICLE)
    search_module.register(Department, SearchKind.ARTICLE, lambda obj: None)
    try:
        yield
    finally:
        search_module._registry.pop(SearchKind.ARTICLE)
        if saved is not None:
            search_module._registry[SearchKind.ARTICLE] = saved


class SegmentationTests(BaseTestCase):
    def test_it_cuts_mixed_chinese_and_english(self) -> None:
        self.assertEqual(segment("HIS 挂号 打印机 卡纸"), ["his", "挂号", "打印机", "卡纸"])
        self.assertEqual(segment("PACS 影像 调阅慢"), ["pacs", "影像", "调阅", "慢"])

    def test_it_keeps_codes_whole_and_lower_cased(self) -> None:
        self.assertEqual(segment("Win10 蓝屏 0x0000007B"), ["win10", "蓝屏", "0x0000007b"])
        self.assertEqual(segment("INC0000123"), ["inc0000123"])

    def test_it_knows_the_hospital_words(self) -> None:
        self.assertEqual(segment("医保结算失败"), ["医保结算", "失败"])
        self.assertEqual(segment("自助机叫号屏黑屏"), ["自助机", "叫号屏", "黑屏"])

    def test_it_drops_punctuation(self) -> None:
        self.assertEqual(segment("！！？？…… ,,, --"), [])
        self.assertEqual(segment("打印机，卡纸！"), ["打印机", "卡纸"])


class SearchTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        now = timezone.now()
        cls.printer_jam = log(
            cls.agent,
            requester=cls.nurse,
            title="HIS挂号打印机卡纸",
            description="门诊挂号窗口打印机卡纸，挂号单打不出来",
            service=cls.his,
        )
        cls.printer_old = log(
            cls.agent,
            requester=cls.doctor,
            title="挂号打印机卡纸",
            description="三号窗口",
            service=cls.his,
        )
        cls.printer_driver = log(
            cls.agent,
            requester=cls.doctor,
            title="住院处打印机驱动丢失",
            description="打印机无法打印",
        )
        cls.pacs_slow = log(
            cls.agent,
            requester=cls.doctor,
            title="PACS影像调阅慢",
            description="放射科PACS影像调阅很慢",
            service=cls.pacs,
            assignment_group=cls.other_vendor_group,
        )
        cls.blue_screen = log(
            cls.agent,
            requester=cls.nurse,
            title="护士站电脑Win10蓝屏",
            description="错误代码 0x0000007B，重启后仍蓝屏",
            assignment_group=cls.vendor_group,
        )
        # Ages fixed relative to now, so recency orders alike on every database.
        for incident, days in (
            (cls.printer_jam, 1),
            (cls.printer_old, 400),
            (cls.printer_driver, 3),
            (cls.pacs_slow, 2),
            (cls.blue_screen, 5),
        ):
            SearchDocument.objects.filter(object_id=incident.pk, kind=SearchKind.INCIDENT).update(
                updated_at=now - timedelta(days=days)
            )

    def numbers(self, query: str, user: Any = None, **filters: Any) -> list[str]:
        page = search(query, user=user or self.agent, **filters)
        return [hit.object.number for hit in page.hits]


class RankingTests(SearchTestCase):
    def test_it_ranks_by_matched_words_title_and_recency(self) -> None:
        # The same list on SQLite and PostgreSQL: CI runs this file on both.
        self.assertEqual(
            self.numbers("HIS 挂号 打印机 卡纸"),
            [
                self.printer_jam.number,
                self.printer_old.number,
                self.printer_driver.number,
            ],
        )

    def test_it_finds_mixed_queries(self) -> None:
        self.assertEqual(self.numbers("PACS 影像 调阅慢"), [self.pacs_slow.number])
        self.assertEqual(self.numbers("Win10 蓝屏 0x0000007B"), [self.blue_screen.number])
        self.assertEqual(self.numbers("0x0000007b"), [self.blue_screen.number])

    def test_it_finds_an_incident_by_its_number(self) -> None:
        self.assertEqual(self.numbers(self.pacs_slow.number), [self.pacs_slow.number])

    def test_helpful_votes_lift_an_equal_match(self) -> None:
        first = Department.objects.create(name="甲", code="A1")
        second = Department.objects.create(name="乙", code="A2")
        at = timezone.now() - timedelta(days=10)
        for department, helpful in ((first, 0), (second, 9)):
            index_document(
                department,
                kind=SearchKind.ARTICLE,
                title="打印机卡纸处理",
                body="打开后盖取出纸张",
                visibility=SearchVisibility.PUBLIC,
                helpful=helpful,
                updated_at=at,
            )
        with departments_as_articles():
            page = search("取出纸张", user=self.nurse, kinds=[SearchKind.ARTICLE])
        self.assertEqual([hit.object for hit in page.hits], [second, first])

    def test_the_index_follows_the_resolution_notes(self) -> None:
        resolved = incident_in(self, IncidentStatus.RESOLVED, title="读卡器无反应")
        self.assertEqual(self.numbers("打印头"), [resolved.number])

    def test_the_index_follows_an_edit(self) -> None:
        update_incident(
            self.printer_driver,
            {"title": "住院处腕带打印机驱动丢失"},
            actor=self.agent,
            version=self.printer_driver.version,
        )
        self.assertEqual(self.numbers("腕带"), [self.printer_driver.number])

    def test_reindex_rebuilds_every_document(self) -> None:
        SearchDocument.objects.all().delete()
        call_command("reindex_search", stdout=StringIO())
        self.assertEqual(SearchDocument.objects.count(), Incident.objects.count())
        self.assertEqual(self.numbers("PACS 影像"), [self.pacs_slow.number])

    def test_it_reads_a_page_in_a_fixed_number_of_queries(self) -> None:
        with CaptureQueriesContext(self.connection()) as queries:
            page = search("打印机", user=self.reload(self.vendor))
        self.assertEqual(page.hits, [])
        with CaptureQueriesContext(self.connection()) as first:
            search("打印机", user=self.reload(self.agent))
        log(self.agent, requester=self.nurse, title="门诊打印机卡纸")
        with CaptureQueriesContext(self.connection()) as second:
            page = search("打印机", user=self.reload(self.agent))
        self.assertEqual(len(page.hits), 4)
        self.assertEqual(len(first), len(second))
        self.assertLessEqual(len(queries), len(second))

    def connection(self) -> Any:
        from django.db import connection

        return connection


class VisibilityTests(SearchTestCase):
    def test_a_vendor_engineer_finds_only_what_was_routed_to_his_group(self) -> None:
        self.assertEqual(
            self.numbers("蓝屏 影像", self.reload(self.vendor)), [self.blue_screen.number]
        )
        self.assertEqual(
            self.numbers("蓝屏 影像", self.reload(self.other_vendor)), [self.pacs_slow.number]
        )

    def test_a_requester_finds_only_his_own_incidents(self) -> None:
        self.assertEqual(self.numbers("打印机", self.reload(self.nurse)), [self.printer_jam.number])

    def test_a_reader_of_many_records_finds_what_one_of_few_finds(self) -> None:
        # Few visible records are searched from the records, many from the words.
        for reader in (self.nurse, self.vendor, self.other_vendor):
            few = self.numbers("打印机 蓝屏 影像", self.reload(reader))
            with mock.patch.object(search_module, "FEW_VISIBLE", 0):
                self.assertEqual(self.numbers("打印机 蓝屏 影像", self.reload(reader)), few)
            self.assertTrue(few)

    def test_an_outsider_finds_nothing(self) -> None:
        self.assertEqual(self.numbers("打印机", self.reload(self.outsider)), [])

    def test_a_requester_finds_public_documents_only(self) -> None:
        public = Department.objects.create(name="公开", code="P1")
        internal = Department.objects.create(name="内部", code="P2")
        for department, visibility in (
            (public, SearchVisibility.PUBLIC),
            (internal, SearchVisibility.INTERNAL),
        ):
            index_document(
                department,
                kind=SearchKind.ARTICLE,
                title="自助机黑屏",
                body="",
                visibility=visibility,
            )
        with departments_as_articles():
            found = search("自助机", user=self.reload(self.nurse)).hits
            admin_found = search("自助机", user=self.reload(self.admin)).hits
        self.assertEqual([hit.object for hit in found], [public])
        self.assertEqual({hit.object for hit in admin_found}, {public, internal})


class QueryTests(SearchTestCase):
    def test_a_record_of_several_services_is_found_under_each(self) -> None:
        article = Department.objects.create(name="多服务", code="M1")
        index_document(
            article,
            kind=SearchKind.ARTICLE,
            title="统一身份认证登录失败",
            body="",
            service_ids=[self.his.pk, self.pacs.pk],
        )
        with departments_as_articles():
            for service in (self.his, self.pacs):
                hits = search("登录失败", user=self.admin, service=service.pk).hits
                self.assertEqual([hit.object for hit in hits], [article])

    def test_an_empty_or_punctuation_only_query_finds_nothing(self) -> None:
        for query in ("", "   ", "？！。，", "---"):
            self.assertEqual(search(query, user=self.agent).hits, [], query)

    def test_an_over_long_query_is_refused(self) -> None:
        with self.assertRaises(ValidationError):
            search("打" * 201, user=self.agent)

    def test_highlights_escape_the_text(self) -> None:
        log(self.agent, requester=self.nurse, title="<script>alert(1)</script> 打印机坏了")
        hit = search("打印机坏了", user=self.agent).hits[0]
        self.assertIn("&lt;script&gt;", hit.title)
        self.assertNotIn("<script>", hit.title)
        self.assertIn("<mark>打印机坏</mark>了", hit.title)

    def test_snippets_mark_the_words_found(self) -> None:
        hit = search("挂号单", user=self.agent).hits[0]
        self.assertIn("<mark>挂号单</mark>", hit.snippet)

    def test_filters_narrow_the_hits(self) -> None:
        self.assertEqual(
            self.numbers("打印机", service=self.his.pk),
            [self.printer_jam.number, self.printer_old.number],
        )
        self.assertEqual(
            self.numbers("打印机", since=timezone.now() - timedelta(days=30)),
            [self.printer_jam.number, self.printer_driver.number],
        )
        self.assertEqual(
            self.numbers("打印机", until=timezone.now() - timedelta(days=30)),
            [self.printer_old.number],
        )
        self.assertEqual(self.numbers("打印机", kinds=[SearchKind.PROBLEM]), [])
        self.assertEqual(self.numbers("打印机", service=self.pacs.pk), [])
        self.assertEqual(self.numbers("打印机", category="nothing"), [])


class SearchPageTests(SearchTestCase):
    def test_it_shows_highlighted_hits_with_type_tabs(self) -> None:
        self.login(self.agent)
        response = self.client.get(reverse("search:search"), {"q": "PACS 影像"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "<mark>PACS影像</mark>")
        self.assertContains(response, self.pacs_slow.get_absolute_url())
        self.assertContains(response, 'class="nav-link active"')

    def test_it_filters_by_type_and_service(self) -> None:
        self.login(self.agent)
        response = self.client.get(
            reverse("search:search"), {"q": "打印机", "service": self.pacs.pk, "type": "incident"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, self.printer_jam.get_absolute_url())

    def test_it_refuses_bad_filters(self) -> None:
        self.login(self.agent)
        for params in (
            {"q": "打" * 201},
            {"q": "打印机", "since": "2026-13-01"},
            {"q": "打印机", "service": "999999"},
            {"q": "打印机", "type": "nothing"},
            {"q": "打印机", "since": "2026-05-02", "until": "2026-05-01"},
        ):
            response = self.client.get(reverse("search:search"), params)
            self.assertEqual(response.status_code, 400, params)

    def test_it_escapes_the_query_it_shows(self) -> None:
        self.login(self.agent)
        response = self.client.get(reverse("search:search"), {"q": "<b>无此故障</b>"})
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "<b>无此故障</b>")

    def test_a_number_in_the_menu_box_opens_the_incident_list(self) -> None:
        self.login(self.agent)
        response = self.client.get(
            reverse("search:search"), {"q": self.pacs_slow.number, "jump": "1"}
        )
        self.assertRedirects(
            response,
            reverse("incidents:incident_list")
            + "?queue=all&open=unknown&q=%s" % self.pacs_slow.number,
            fetch_redirect_response=False,
        )

    def test_words_in_the_menu_box_search(self) -> None:
        self.login(self.agent)
        response = self.client.get(reverse("search:search"), {"q": "蓝屏", "jump": "1"})
        self.assertContains(response, self.blue_screen.get_absolute_url())

    def test_without_words_it_shows_the_form_only(self) -> None:
        self.login(self.agent)
        response = self.client.get(reverse("search:search"))
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "nav-tabs")

    def test_it_needs_a_signed_in_user(self) -> None:
        response = self.client.get(reverse("search:search"), {"q": "蓝屏"})
        self.assertEqual(response.status_code, 302)


class SearchApiTests(SearchTestCase):
    def test_it_lists_hits_in_order(self) -> None:
        response = self.api(self.agent).get("/api/search/", {"q": "HIS 挂号 打印机 卡纸"})
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(
            [hit["id"] for hit in body["results"]],
            [self.printer_jam.pk, self.printer_old.pk, self.printer_driver.pk],
        )
        self.assertEqual(body["count"], 3)
        self.assertEqual(body["terms"], ["his", "挂号", "打印机", "卡纸"])
        self.assertIn("<mark>", body["results"][0]["title_html"])

    def test_it_filters_by_type(self) -> None:
        response = self.api(self.agent).get("/api/search/", {"q": "打印机", "type": "problem"})
        self.assertEqual(response.json()["results"], [])
        self.assertEqual(response.json()["counts"], {"incident": 3})

    def test_an_over_long_query_is_400(self) -> None:
        response = self.api(self.agent).get("/api/search/", {"q": "打" * 201})
        self.assertEqual(response.status_code, 400)
        self.assertIn("q", response.json())

    def test_bad_parameters_are_400_per_field(self) -> None:
        for name, value in (
            ("type", "x"),
            ("since", "x"),
            ("until", "x"),
            ("service", "x"),
            ("limit", "0"),
            ("limit", "x"),
            ("offset", "-1"),
        ):
            response = self.api(self.agent).get("/api/search/", {"q": "打印机", name: value})
            self.assertEqual(response.status_code, 400, name)
            self.assertIn(name, response.json())

    def test_a_punctuation_only_query_finds_nothing(self) -> None:
        response = self.api(self.agent).get("/api/search/", {"q": "？？！"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["results"], [])

    def test_it_needs_a_token(self) -> None:
        self.assertEqual(self.api(None).get("/api/search/", {"q": "蓝屏"}).status_code, 401)

    def test_a_vendor_finds_only_his_incidents(self) -> None:
        response = self.api(self.vendor).get("/api/search/", {"q": "蓝屏 影像"})
        self.assertEqual([hit["id"] for hit in response.json()["results"]], [self.blue_screen.pk])


class SuggestionTests(SearchTestCase):
    def test_the_console_suggests_similar_open_incidents(self) -> None:
        self.login(self.agent)
        closed = incident_in(self, IncidentStatus.CLOSED, title="PACS影像调阅超时")
        response = self.client.get(
            reverse("search:suggest"), {"title": "PACS调阅慢"}, headers={"HX-Request": "true"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, self.pacs_slow.get_absolute_url())
        self.assertNotContains(response, closed.get_absolute_url())

    def test_nothing_similar_renders_nothing(self) -> None:
        self.login(self.agent)
        response = self.client.get(reverse("search:suggest"), {"title": "？？"})
        self.assertEqual(response.content.strip(), b"")

    def test_the_console_asks_for_suggestions_as_the_agent_types(self) -> None:
        self.login(self.agent)
        response = self.client.get(reverse("incidents:incident_create"))
        self.assertContains(response, reverse("search:suggest"))
        self.assertContains(response, "input changed delay:300ms")


class CandidateTests(SearchTestCase):
    """Which records the score is computed over: each type's newest with every word and
    its newest with any, the same on both databases however they find them."""

    @contextmanager
    def pools(self, size: int, any_word: int | None = None) -> Iterator[None]:
        with (
            mock.patch.object(search_module, "ALL_WORDS_CANDIDATES", size),
            mock.patch.object(search_module, "ANY_WORD_CANDIDATES", any_word or size),
        ):
            yield

    def test_a_record_with_every_word_stays_behind_newer_partial_matches(self) -> None:
        with self.pools(2, any_word=1):
            numbers = self.numbers("HIS 挂号 打印机 卡纸")
        # printer_jam alone holds every word; printer_driver is the newest with any of
        # them; printer_old, older and without "HIS", is in neither pool.
        self.assertEqual(numbers, [self.printer_jam.number, self.printer_driver.number])

    def test_a_full_pool_of_records_with_every_word_leaves_out_the_others(self) -> None:
        with self.pools(1):
            self.assertEqual(self.numbers("HIS 挂号 打印机 卡纸"), [self.printer_jam.number])

    def test_each_type_has_its_own_candidates(self) -> None:
        with departments_as_articles():
            index_document(
                self.nurse.department,
                kind=SearchKind.ARTICLE,
                title="打印机卡纸的处理",
                body="打开前盖取出卡纸",
                visibility=SearchVisibility.PUBLIC,
            )
            newest = [
                log(self.agent, requester=self.nurse, title="打印机卡纸", description="门诊")
                for _number in range(3)
            ][-1]
            with self.pools(1):
                articles = search("打印机 卡纸", user=self.agent, kinds=[SearchKind.ARTICLE])
                everything = search("打印机 卡纸", user=self.agent, counts=True)
        self.assertEqual([hit.plain_title for hit in articles.hits], ["打印机卡纸的处理"])
        # The newest incident holds every word and is the newest with any: one incident.
        self.assertEqual(everything.counts, {SearchKind.ARTICLE: 1, SearchKind.INCIDENT: 1})
        self.assertIn(newest.get_absolute_url(), [hit.url for hit in everything.hits])

    def test_how_postgresql_walks_does_not_change_the_hits(self) -> None:
        # Windows of one document, then either more windows or the index for the rest:
        # always the newest matches (on SQLite these settings are not read).
        queries = ("打印机", "打印机 卡纸", "PACS 蓝屏")
        sizes = dict.fromkeys(SearchKind.values, 1000)
        with self.pools(2):
            expected = [self.numbers(query) for query in queries]
            for index_row_cost in (10**9, 0):
                with (
                    mock.patch.object(search_module, "_sizes", lambda: sizes),
                    mock.patch.object(search_module, "FIRST_WALK_BOUNDS", (1, 1)),
                    mock.patch.object(search_module, "INDEX_ROW_COST", index_row_cost),
                ):
                    self.assertEqual([self.numbers(query) for query in queries], expected)

    def test_suggestions_look_among_open_tickets_only(self) -> None:
        closed = incident_in(self, IncidentStatus.CLOSED, title="PACS影像调阅超时")
        documents = SearchDocument.objects.filter(kind=SearchKind.INCIDENT)
        self.assertTrue(documents.get(object_id=self.pacs_slow.pk).open)
        self.assertFalse(documents.get(object_id=closed.pk).open)
        self.assertEqual(
            self.numbers("PACS 调阅", kinds=[SearchKind.INCIDENT], open_only=True),
            [self.pacs_slow.number],
        )

    def test_an_incident_is_found_under_its_category_and_the_ones_above(self) -> None:
        printers = IncidentCategory.objects.select_related("parent").get(
            parent__isnull=False, name="打印机"
        )
        update_incident(
            self.printer_driver,
            {"category": printers},
            actor=self.agent,
            version=self.printer_driver.version,
        )
        for category in (printers.name, printers.parent.name):
            self.assertEqual(
                self.numbers("打印机", category=category), [self.printer_driver.number]
            )

    def test_a_category_finds_its_subcategories(self) -> None:
        with departments_as_articles():
            index_document(
                self.nurse.department,
                kind=SearchKind.ARTICLE,
                title="无线AP掉线",
                body="病区无线信号弱",
                category=["网络", "无线"],
                visibility=SearchVisibility.PUBLIC,
            )

            def found(category: str) -> list[str]:
                page = search("无线", user=self.agent, category=category)
                return [hit.plain_title for hit in page.hits]

            self.assertEqual(found("网络"), ["无线AP掉线"])
            self.assertEqual(found("无线"), ["无线AP掉线"])
            self.assertEqual(found("网"), [])
            self.assertEqual(found("有线"), [])

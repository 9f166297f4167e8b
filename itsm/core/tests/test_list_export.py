"""Any list built on ObjectListView exports to Excel and CSV (`?export=xlsx|csv`): the whole
filtered, sorted list the user can see, not just the page, read in chunks with the same
number of queries whatever the number of rows. Shown on the incident queue."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any
from unittest import mock

from django.db import connection
from django.http import HttpResponseBase
from django.test import SimpleTestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from itsm.core.exports import csv_response
from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.tests.factories import incident_in, log
from itsm.incidents.views.queue import IncidentListView

URL = reverse("incidents:incident_list")
HEADER = [
    "单号",
    "标题",
    "类型",
    "状态",
    "优先级",
    "报告人",
    "科室",
    "服务",
    "支持组",
    "处理人",
    "报告时间",
    "解决到期时间",
    "分类",
]


def content(response: HttpResponseBase) -> bytes:
    """The body of a streamed or a plain response."""
    if response.streaming:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return bytes(response.content)  # type: ignore[attr-defined]


def csv_rows(response: HttpResponseBase) -> list[list[str]]:
    body = content(response)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_rows(response: HttpResponseBase) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content(response))).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


class ListExportTests(BaseTestCase):
    def setUp(self) -> None:
        self.front = incident_in(
            self, IncidentStatus.IN_PROGRESS, title='=HYPERLINK("http://x")分诊台打印机'
        )
        self.routed = incident_in(
            self,
            IncidentStatus.ASSIGNED,
            group=self.vendor_group,
            requester=self.doctor,
            title="HIS医嘱保存缓慢",
            service=self.his,
        )
        self.closed = incident_in(self, IncidentStatus.CLOSED, title="显示器黑屏")

    def export(self, export_format: str, **params: Any) -> HttpResponseBase:
        return self.client.get(URL, {"export": export_format, **params})

    def test_it_exports_the_list_as_csv_with_a_chinese_header(self) -> None:
        self.login(self.agent)
        response = self.export("csv", queue="all", open="unknown", sort="number")

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        today = timezone.localdate().strftime("%Y%m%d")
        self.assertEqual(
            response["Content-Disposition"], 'attachment; filename="incidents-%s.csv"' % today
        )
        rows = csv_rows(response)
        self.assertEqual(rows[0], HEADER)
        self.assertEqual(
            [row[0] for row in rows[1:]],
            [self.front.number, self.routed.number, self.closed.number],
        )
        routed = rows[2]
        self.assertEqual(routed[1], "HIS医嘱保存缓慢")
        self.assertEqual(routed[3], "已分派")
        self.assertEqual(routed[7], "HIS")
        self.assertEqual(routed[8], "卫宁HIS二线")
        self.assertEqual(routed[9], "")
        reported = timezone.localtime(self.routed.reported_at).strftime("%Y-%m-%d %H:%M")
        self.assertEqual(routed[10], reported)

    def test_a_title_that_looks_like_a_formula_stays_text(self) -> None:
        self.login(self.agent)
        csv_title = csv_rows(self.export("csv", queue="all", sort="number"))[1][1]
        xlsx_title = xlsx_rows(self.export("xlsx", queue="all", sort="number"))[1][1]

        self.assertEqual(csv_title, "'" + self.front.title)
        self.assertEqual(xlsx_title, self.front.title)

    def test_it_exports_the_list_as_an_excel_workbook(self) -> None:
        self.login(self.agent)
        response = self.export("xlsx", queue="all", open="unknown", sort="-number")

        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response["Content-Type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        self.assertTrue(response["Content-Disposition"].endswith('.xlsx"'))
        book = load_workbook(io.BytesIO(content(response)))
        sheet = book.worksheets[0]
        self.assertTrue(sheet["A1"].font.bold)
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertGreaterEqual(sheet.column_dimensions["B"].width, len("HIS医嘱保存缓慢") + 6)
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        self.assertEqual(rows[0], HEADER)
        self.assertEqual(
            [row[0] for row in rows[1:]],
            [self.closed.number, self.routed.number, self.front.number],
        )
        reported = rows[2][10]
        self.assertIsInstance(reported, datetime.datetime)
        self.assertIsNone(reported.tzinfo)
        local = timezone.localtime(self.routed.reported_at).replace(tzinfo=None)
        self.assertEqual(reported, local.replace(microsecond=reported.microsecond))
        self.assertEqual(sheet.cell(row=3, column=11).number_format, "yyyy-mm-dd hh:mm")

    def test_the_header_follows_the_users_language(self) -> None:
        self.agent.language = "en"
        self.agent.save(update_fields=["language"])
        self.login(self.agent)

        rows = csv_rows(self.export("csv", queue="all"))

        self.assertEqual(rows[0][:3], ["Number", "Title", "Kind"])

    def test_it_exports_every_page_with_the_lists_filters(self) -> None:
        self.login(self.agent)
        everything = csv_rows(self.export("csv", queue="all", open="unknown", page_size="1"))
        routed = csv_rows(self.export("csv", queue="all", assignment_group=self.vendor_group.pk))
        closed = csv_rows(self.export("csv", queue="all", open="false"))

        self.assertEqual(len(everything), 1 + 3)
        self.assertEqual([row[0] for row in routed[1:]], [self.routed.number])
        self.assertEqual([row[0] for row in closed[1:]], [self.closed.number])

    def test_a_vendor_engineer_exports_only_what_was_routed_to_his_group(self) -> None:
        self.login(self.vendor)
        rows = xlsx_rows(self.export("xlsx", queue="all", open="unknown"))
        self.assertEqual([row[0] for row in rows[1:]], [self.routed.number])

        self.login(self.other_vendor)
        rows = xlsx_rows(self.export("xlsx", queue="all", open="unknown"))
        self.assertEqual(rows, [HEADER])

    def test_a_user_without_the_queue_cannot_export_it(self) -> None:
        self.login(self.nurse)
        self.assertEqual(self.export("csv", queue="all").status_code, 403)
        self.assertEqual(self.export("xlsx", queue="all").status_code, 403)

    def test_an_unknown_format_is_refused(self) -> None:
        self.login(self.agent)
        self.assertEqual(self.export("pdf").status_code, 400)
        self.assertEqual(self.export("").status_code, 400)

    def test_invalid_filters_are_refused(self) -> None:
        self.login(self.agent)
        self.assertEqual(self.export("csv", reported_after="yesterday").status_code, 400)

    def test_a_list_without_export_columns_has_no_export(self) -> None:
        self.login(self.agent)
        with mock.patch.object(IncidentListView, "export_columns", ()):
            self.assertEqual(self.export("csv").status_code, 404)
            page = self.client.get(URL)
        self.assertEqual(page.status_code, 200)
        self.assertNotIn(b"export=csv", page.content)

    def test_the_queue_page_offers_the_export_with_its_filters_and_sort(self) -> None:
        self.login(self.agent)
        page = self.client.get(URL, {"queue": "all", "sort": "-number", "page": "2"})

        self.assertContains(page, 'href="?queue=all&amp;sort=-number&amp;export=xlsx"')
        self.assertContains(page, 'href="?queue=all&amp;sort=-number&amp;export=csv"')

    def test_it_exports_at_most_the_limit(self) -> None:
        self.login(self.agent)
        with mock.patch.object(IncidentListView, "export_limit", 2):
            csv_export = csv_rows(self.export("csv", queue="all", open="unknown", sort="number"))
            xlsx_export = xlsx_rows(self.export("xlsx", queue="all", open="unknown"))

        self.assertEqual(
            [row[0] for row in csv_export[1:]], [self.front.number, self.routed.number]
        )
        self.assertEqual(len(xlsx_export), 1 + 2)

    def test_the_number_of_queries_does_not_grow_with_the_rows(self) -> None:
        self.login(self.agent)
        counts = {}
        for rows in (5, 50):
            while Incident.objects.count() < rows:
                log(self.agent, requester=self.doctor, department=self.radiology, service=self.his)
            for export_format in ("csv", "xlsx"):
                with CaptureQueriesContext(connection) as queries:
                    exported = self.export(export_format, queue="all", open="unknown")
                    body = content(exported)
                self.assertEqual(exported.status_code, 200)
                self.assertTrue(body)
                counts[export_format, rows] = len(queries)

        self.assertEqual(len(csv_rows(self.export("csv", queue="all", open="unknown"))), 1 + 50)
        self.assertEqual(counts["csv", 5], counts["csv", 50])
        self.assertEqual(counts["xlsx", 5], counts["xlsx", 50])
        # The session, the user, the rows; the audit entry (core.exports.audit_export): the
        # count of rows and the insert.
        self.assertLessEqual(counts["csv", 50], 6, counts)


class FileNameTests(SimpleTestCase):
    def test_a_chinese_file_name_is_encoded_as_rfc_5987_says(self) -> None:
        response = csv_response("事件-20261126.csv", ["单号"], [])

        self.assertEqual(
            response["Content-Disposition"],
            "attachment; filename*=utf-8''%E4%BA%8B%E4%BB%B6-20261126.csv",
        )

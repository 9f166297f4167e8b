"""The report as CSV (UTF-8 with a byte-order mark for Excel) and as an Excel workbook
with the breached tickets on a second sheet: the same columns, headers in the user's
language."""

from __future__ import annotations

import csv
import io

from django.urls import reverse
from django.utils.translation import gettext
from openpyxl import load_workbook

from itsm.reports.tests.factories import NOW, ReportCase, frozen

QUERY = "?year=2026&dimension=service&metric=both&kind=sla"
HEADER = ["月份", "服务", "时钟", "统计数", "达标", "超时", "达标率(%)"]


class CsvTests(ReportCase):
    def setUp(self) -> None:
        self.login(self.manager)

    def download(self, query: str = QUERY) -> bytes:
        with frozen(NOW):
            response = self.client.get(reverse("reports:sla_export", args=["csv"]) + query)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        self.assertEqual(
            response["Content-Disposition"],
            'attachment; filename="sla-compliance-2026-service.csv"',
        )
        return response.content

    def test_it_starts_with_a_byte_order_mark_and_a_chinese_header(self) -> None:
        content = self.download()

        self.assertTrue(content.startswith(b"\xef\xbb\xbf"))
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        self.assertEqual(rows[0], HEADER)

    def test_it_has_a_row_per_month_value_and_clock(self) -> None:
        rows = list(csv.reader(io.StringIO(self.download().decode("utf-8-sig"))))

        self.assertEqual(len(rows), 1 + 8)
        self.assertEqual(rows[1], ["2026年10月", "HIS", "响应时限", "2", "1", "1", "50.0"])
        self.assertEqual(rows[6], ["2026年11月", "HIS", "解决时限", "2", "0", "2", "0.0"])

    def test_the_header_follows_the_users_language(self) -> None:
        self.manager.language = "en"
        self.manager.save(update_fields=["language"])

        rows = list(csv.reader(io.StringIO(self.download().decode("utf-8-sig"))))

        self.assertEqual(
            rows[0],
            ["Month", "Service", "Clock", "Measured", "Met", "Breached", "Compliance (%)"],
        )
        self.assertEqual(rows[1][:3], ["October 2026", "HIS", "Response target"])


class ExcelTests(ReportCase):
    def setUp(self) -> None:
        self.login(self.manager)

    def workbook(self, query: str = QUERY) -> object:
        with frozen(NOW):
            response = self.client.get(reverse("reports:sla_export", args=["xlsx"]) + query)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response["Content-Type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        return load_workbook(io.BytesIO(response.content))

    def test_the_first_sheet_has_the_same_columns_and_rows_as_the_csv(self) -> None:
        book = self.workbook()

        sheet = book.worksheets[0]  # type: ignore[attr-defined]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        self.assertEqual(rows[0], HEADER)
        self.assertEqual(len(rows), 1 + 8)
        self.assertEqual(rows[1], ["2026年10月", "HIS", "响应时限", 2, 1, 1, 50.0])

    def test_the_second_sheet_lists_the_breached_tickets(self) -> None:
        book = self.workbook()

        sheet = book.worksheets[1]  # type: ignore[attr-defined]
        self.assertEqual(sheet.title, "超时工单")
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        self.assertEqual(rows[0][:3], ["月份", "编号", "标题"])
        numbers = [(row[1], row[4]) for row in rows[1:]]
        b, f, g = (self.incidents[name].number for name in "BFG")
        self.assertEqual(
            sorted(numbers),
            sorted([(b, "响应时限"), (b, "解决时限"), (f, "解决时限"), (g, "解决时限")]),
        )
        late_b = next(row for row in rows[1:] if row[1] == b and row[4] == "响应时限")
        self.assertEqual(late_b[10].isoformat(), "2026-10-13T10:00:00")  # due, local time
        self.assertEqual(late_b[11].isoformat(), "2026-10-13T11:00:00")  # stopped
        self.assertEqual(late_b[12], gettext("%(hours)d h") % {"hours": 1})

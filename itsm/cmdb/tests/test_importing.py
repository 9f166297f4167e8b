"""Importing configuration items and relationships from .xlsx and CSV files: the dry run
lists every row's errors and writes nothing; the import is all or nothing, idempotent,
and audited."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from openpyxl import Workbook

from itsm.cmdb.choices import ConfigurationItemClass as C
from itsm.cmdb.choices import ConfigurationItemStatus, RelationshipType
from itsm.cmdb.importing import ImportPlan, plan_import, run_import
from itsm.cmdb.models import ConfigurationItem, Contract, Relationship
from itsm.cmdb.tests.factories import link, make_ci
from itsm.core.exceptions import ConflictError
from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase

HEADER = ["编码", "名称", "类别", "状态", "位置", "科室", "负责组", "IP 地址", "CPU 核数", "服务"]


def csv_file(rows: list[list[Any]], *, encoding: str = "utf-8-sig", name: str = "cis.csv") -> Any:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    data = io.BytesIO(text.getvalue().encode(encoding))
    data.name = name
    return data


def xlsx_file(sheets: dict[str, list[list[Any]]], name: str = "cis.xlsx") -> Any:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = name
    return data


def errors_of(plan: ImportPlan) -> list[tuple[str, int, str]]:
    return [(e.sheet, e.row, e.column) for e in plan.errors]


class ImportTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.room = make_ci("ROOM-301", C.LOCATION, name="机房 301")

    def good_rows(self) -> list[list[Any]]:
        return [
            HEADER,
            [
                "SRV-001",
                "HIS 数据库服务器",
                "服务器",
                "在用",
                "ROOM-301",
                "信息科",
                "桌面运维组",
                "10.0.0.1",
                32,
                "HIS",
            ],
            [
                "SRV-002",
                "PACS 服务器",
                "server",
                "in_use",
                "ROOM-301",
                "IT",
                "",
                "10.0.0.2",
                "16",
                "HIS、PACS",
            ],
        ]


class PlanTests(ImportTestCase):
    def test_a_good_csv_plans_two_creates_and_writes_nothing(self) -> None:
        plan = plan_import(csv_file(self.good_rows()), actor=self.admin)
        self.assertEqual(plan.errors, [])
        self.assertEqual([i.code for i in plan.creates], ["SRV-001", "SRV-002"])
        self.assertEqual(plan.creates[0].attributes, {"cpu_cores": 32})
        self.assertEqual(plan.create_services[1], sorted([self.his.pk, self.pacs.pk]))
        self.assertFalse(ConfigurationItem.objects.filter(code__startswith="SRV-").exists())

    def test_it_reads_gbk_csv_as_chinese_excel_saves_it(self) -> None:
        plan = plan_import(csv_file(self.good_rows(), encoding="gbk"), actor=self.admin)
        self.assertEqual(plan.errors, [])
        self.assertEqual(plan.creates[0].name, "HIS 数据库服务器")

    def test_it_reads_english_headers(self) -> None:
        rows = [
            ["code", "name", "class", "owner group", "attr:cpu_cores"],
            ["SRV-001", "db", "Server", "桌面运维组", "8"],
        ]
        plan = plan_import(csv_file(rows), actor=self.admin)
        self.assertEqual(plan.errors, [])
        self.assertEqual(plan.creates[0].owner_group_id, self.front_group.pk)
        self.assertEqual(plan.creates[0].attributes, {"cpu_cores": 8})

    def test_every_row_error_is_listed_with_row_and_column(self) -> None:
        rows = [
            HEADER,
            ["SRV-001", "a", "服务器", "", "", "", "", "", "many", ""],
            ["SRV-002", "b", "水壶", "", "", "", "", "", "", ""],
            ["SRV-003", "c", "服务器", "", "NOWHERE", "", "", "", "", ""],
            ["SRV-004", "d", "服务器", "", "", "外星科", "", "", "", ""],
            ["SRV-001", "e", "服务器", "", "", "", "", "", "", ""],
            ["SRV-005", "f", "服务器", "", "", "", "", "", "", "NOPE"],
            ["SRV-006", "g", "服务器", "", "PRN-ED-001", "", "", "not-an-ip", "", ""],
            ["", "h", "服务器", "", "", "", "", "", "", ""],
        ]
        plan = plan_import(csv_file(rows), actor=self.admin)
        self.assertEqual(
            errors_of(plan),
            [
                ("items", 2, "CPU 核数"),
                ("items", 3, "类别"),
                ("items", 4, "位置"),
                ("items", 5, "科室"),
                ("items", 6, "编码"),
                ("items", 7, "服务"),
                ("items", 8, "位置"),
                ("items", 8, "IP 地址"),
                ("items", 9, "编码"),
            ],
        )
        messages = {(e.row, e.column): e.message for e in plan.errors}
        self.assertIn("many", messages[(2, "CPU 核数")])
        self.assertIn("水壶", messages[(3, "类别")])
        self.assertIn("NOWHERE", messages[(4, "位置")])
        self.assertIn("外星科", messages[(5, "科室")])
        self.assertIn("2", messages[(6, "编码")])
        self.assertEqual(ConfigurationItem.objects.filter(code__startswith="SRV-").count(), 0)

    def test_a_contract_of_another_vendor_is_an_error(self) -> None:
        contract = Contract.objects.create(number="HT-1", name="PACS 维保", vendor=self.pacs_vendor)
        rows = [
            ["编码", "名称", "类别", "厂商", "合同"],
            ["SRV-1", "x", "服务器", "卫宁健康", "HT-1"],
        ]
        plan = plan_import(csv_file(rows), actor=self.admin)
        self.assertEqual(errors_of(plan), [("items", 2, "合同")])
        rows[1][3] = "联影医疗"
        plan = plan_import(csv_file(rows), actor=self.admin)
        self.assertEqual(plan.errors, [])
        self.assertEqual(plan.creates[0].contract_id, contract.pk)

    def test_a_duplicate_asset_tag_is_an_error(self) -> None:
        make_ci("SRV-OLD", asset_tag="ZC-1")
        rows = [
            ["编码", "名称", "类别", "资产编号"],
            ["SRV-1", "x", "服务器", "ZC-1"],
            ["SRV-2", "y", "服务器", "ZC-2"],
            ["SRV-3", "z", "服务器", "ZC-2"],
        ]
        plan = plan_import(csv_file(rows), actor=self.admin)
        self.assertEqual(
            [(e.row, e.column) for e in plan.errors], [(2, "资产编号"), (4, "资产编号")]
        )

    def test_unknown_column_is_an_error(self) -> None:
        plan = plan_import(csv_file([["编码", "名称", "颜色"], ["A", "b", "红"]]), actor=self.admin)
        self.assertEqual(errors_of(plan), [("items", 1, "颜色")])

    def test_a_location_loop_is_an_error(self) -> None:
        rows = [
            ["编码", "名称", "类别", "位置"],
            ["FL-1", "一层", "楼层", "FL-2"],
            ["FL-2", "二层", "楼层", "FL-1"],
            ["RM-1", "房间", "房间", "FL-2"],
        ]
        plan = plan_import(csv_file(rows), actor=self.admin)
        self.assertEqual([(e.row, e.column) for e in plan.errors], [(2, "位置"), (3, "位置")])

    def test_references_may_name_items_of_the_same_file(self) -> None:
        rows = [
            ["编码", "名称", "类别", "位置", "授权给"],
            ["APP-1", "HIS", "应用系统", "", ""],
            ["LIC-1", "HIS 许可", "软件许可", "", "APP-1"],
            ["FL-1", "一层", "楼层", "", ""],
            ["RM-1", "房间", "房间", "FL-1", ""],
        ]
        plan = plan_import(csv_file(rows), actor=self.admin)
        self.assertEqual(plan.errors, [])
        result = run_import(plan, actor=self.admin)
        self.assertEqual(result.created, 4)
        licence = ConfigurationItem.objects.get(code="LIC-1")
        self.assertEqual(
            licence.attributes, {"licensed_to": ConfigurationItem.objects.get(code="APP-1").pk}
        )
        self.assertEqual(ConfigurationItem.objects.get(code="RM-1").location.code, "FL-1")
        self.assertEqual(
            plan_import(csv_file(rows), actor=self.admin).unchanged, 4, "idempotent with refs"
        )

    def test_a_reference_to_an_unknown_item_is_an_error(self) -> None:
        rows = [["编码", "名称", "类别", "授权给"], ["LIC-1", "许可", "软件许可", "APP-404"]]
        plan = plan_import(csv_file(rows), actor=self.admin)
        self.assertEqual(errors_of(plan), [("items", 2, "授权给")])

    def test_the_dry_run_reads_each_table_once_whatever_the_row_count(self) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        def queries(count: int) -> int:
            rows = [HEADER] + [
                [
                    "SRV-%03d" % n,
                    "s",
                    "服务器",
                    "在用",
                    "ROOM-301",
                    "信息科",
                    "桌面运维组",
                    "10.0.0.%d" % n,
                    n,
                    "HIS",
                ]
                for n in range(count)
            ]
            # The actor's permissions are read once per user object (a superuser's never):
            # read them before counting what the plan itself costs.
            self.admin.get_all_permissions()
            with CaptureQueriesContext(connection) as captured:
                plan = plan_import(csv_file(rows), actor=self.admin)
            self.assertEqual(plan.errors, [])
            return len(captured)

        self.assertEqual(queries(3), queries(60))

    def test_a_user_without_the_permission_is_refused(self) -> None:
        with self.assertRaises(PermissionDenied):
            plan_import(csv_file(self.good_rows()), actor=self.nurse)
        plan = plan_import(csv_file(self.good_rows()), actor=self.admin)
        with self.assertRaises(PermissionDenied):
            run_import(plan, actor=self.outsider)

    def test_a_file_that_is_not_a_workbook_is_an_error(self) -> None:
        data = io.BytesIO(b"PK\x03\x04 not really a zip")
        data.name = "x.xlsx"
        plan = plan_import(data, actor=self.admin)
        self.assertEqual(len(plan.errors), 1)
        self.assertEqual(plan.errors[0].row, 0)


class RelationshipPlanTests(ImportTestCase):
    def rows(self, *edges: list[str]) -> dict[str, list[list[Any]]]:
        return {
            "配置项": [
                ["编码", "名称", "类别", "数据库类型"],
                ["APP-1", "HIS", "应用系统", ""],
                ["DB-1", "HIS 库", "数据库", "Oracle"],
                ["VM-1", "虚拟机 1", "虚拟机", ""],
            ],
            "关系": [["源配置项", "类型", "目标配置项", "备注"], *[list(e) for e in edges]],
        }

    def test_relationships_in_a_second_sheet_are_planned_and_created(self) -> None:
        sheets = self.rows(["APP-1", "依赖", "DB-1", "主库"], ["DB-1", "runs_on", "VM-1", ""])
        plan = plan_import(xlsx_file(sheets), actor=self.admin)
        self.assertEqual(plan.errors, [])
        self.assertEqual(len(plan.relationships), 2)
        result = run_import(plan, actor=self.admin)
        self.assertEqual(result.relationships, 2)
        edge = Relationship.objects.get(type=RelationshipType.DEPENDS_ON)
        self.assertEqual((edge.source.code, edge.target.code, edge.note), ("APP-1", "DB-1", "主库"))
        again = plan_import(xlsx_file(sheets), actor=self.admin)
        self.assertEqual((again.relationships, again.existing_relationships), ([], 2))

    def test_a_relationship_the_classes_do_not_allow_is_an_error(self) -> None:
        plan = plan_import(xlsx_file(self.rows(["VM-1", "runs_on", "APP-1", ""])), actor=self.admin)
        self.assertEqual(errors_of(plan), [("relationships", 2, "类型")])

    def test_a_loop_with_existing_relationships_is_an_error(self) -> None:
        database = make_ci("DB-1", C.DATABASE, name="HIS 库", attributes={"engine": "Oracle"})
        link(make_ci("APP-X", C.APPLICATION), RelationshipType.DEPENDS_ON, database)
        sheets = self.rows(["DB-1", "depends_on", "APP-1", ""], ["APP-1", "依赖", "APP-X", ""])
        plan = plan_import(xlsx_file(sheets), actor=self.admin)
        self.assertEqual(
            errors_of(plan),
            [("relationships", 2, "目标配置项"), ("relationships", 3, "目标配置项")],
        )
        self.assertIn("APP-1", plan.errors[0].message)

    def test_unknown_ends_and_types_are_errors(self) -> None:
        sheets = self.rows(["APP-9", "depends_on", "DB-1", ""], ["APP-1", "likes", "DB-1", ""])
        plan = plan_import(xlsx_file(sheets), actor=self.admin)
        self.assertEqual(
            errors_of(plan), [("relationships", 2, "源配置项"), ("relationships", 3, "类型")]
        )

    def test_relationships_from_a_separate_csv(self) -> None:
        items = self.rows()["配置项"]
        edges = [["source", "type", "target"], ["APP-1", "depends on", "DB-1"]]
        plan = plan_import(csv_file(items), relationships=csv_file(edges), actor=self.admin)
        self.assertEqual(plan.errors, [])
        self.assertEqual(len(plan.relationships), 1)


class RunTests(ImportTestCase):
    def test_the_import_creates_items_with_audit_entries(self) -> None:
        plan = plan_import(csv_file(self.good_rows()), actor=self.admin, change_number="CHG0000007")
        result = run_import(plan, actor=self.admin)
        self.assertEqual((result.created, result.updated, result.unchanged), (2, 0, 0))
        item = ConfigurationItem.objects.get(code="SRV-002")
        self.assertEqual(item.department, self.it_department)
        self.assertEqual(item.location, self.room)
        self.assertEqual(item.ip_address, "10.0.0.2")
        self.assertEqual(sorted(s.code for s in item.services.all()), ["HIS", "PACS"])
        entry = AuditEntry.objects.get(object_id=item.pk, action="create")
        self.assertEqual(entry.actor, self.admin)
        self.assertEqual(entry.note, "CHG0000007")
        self.assertEqual(entry.changes["code"], [None, "SRV-002"])
        self.assertEqual(entry.changes["attributes.cpu_cores"], [None, 16])
        self.assertEqual(entry.changes["services"], [[], sorted([self.his.pk, self.pacs.pk])])

    def test_a_second_import_of_the_same_file_changes_nothing(self) -> None:
        run_import(plan_import(csv_file(self.good_rows()), actor=self.admin), actor=self.admin)
        entries = AuditEntry.objects.count()
        plan = plan_import(csv_file(self.good_rows()), actor=self.admin)
        self.assertEqual((len(plan.creates), len(plan.updates), plan.unchanged), (0, 0, 2))
        result = run_import(plan, actor=self.admin)
        self.assertEqual((result.created, result.updated, result.unchanged), (0, 0, 2))
        self.assertEqual(AuditEntry.objects.count(), entries)
        self.assertEqual(ConfigurationItem.objects.get(code="SRV-001").version, 1)

    def test_a_changed_row_updates_its_item_and_audits_old_to_new(self) -> None:
        run_import(plan_import(csv_file(self.good_rows()), actor=self.admin), actor=self.admin)
        rows = self.good_rows()
        rows[1][3] = "维护中"
        rows[1][8] = 64
        rows[1][9] = ""
        plan = plan_import(xlsx_file({"items": rows}), actor=self.admin)
        self.assertEqual((len(plan.updates), plan.unchanged), (1, 1))
        result = run_import(plan, actor=self.admin)
        self.assertEqual(result.updated, 1)
        item = ConfigurationItem.objects.get(code="SRV-001")
        self.assertEqual(item.status, ConfigurationItemStatus.MAINTENANCE)
        self.assertEqual(item.attributes, {"cpu_cores": 64})
        self.assertEqual(item.version, 2)
        self.assertFalse(item.services.exists())
        entry = AuditEntry.objects.get(object_id=item.pk, action="update")
        self.assertEqual(
            entry.changes,
            {
                "status": ["in_use", "maintenance"],
                "attributes.cpu_cores": [32, 64],
                "services": [[self.his.pk], []],
            },
        )

    def test_columns_left_out_keep_their_values(self) -> None:
        run_import(plan_import(csv_file(self.good_rows()), actor=self.admin), actor=self.admin)
        plan = plan_import(csv_file([["编码", "名称"], ["SRV-001", "新名称"]]), actor=self.admin)
        run_import(plan, actor=self.admin)
        item = ConfigurationItem.objects.get(code="SRV-001")
        self.assertEqual((item.name, item.attributes), ("新名称", {"cpu_cores": 32}))
        self.assertEqual(item.location, self.room)

    def test_a_plan_with_errors_writes_nothing(self) -> None:
        rows = [*self.good_rows(), ["SRV-003", "x", "水壶", "", "", "", "", "", "", ""]]
        plan = plan_import(csv_file(rows), actor=self.admin)
        with self.assertRaises(ValidationError):
            run_import(plan, actor=self.admin)
        self.assertFalse(ConfigurationItem.objects.filter(code__startswith="SRV-").exists())

    def test_a_failure_while_writing_rolls_everything_back(self) -> None:
        plan = plan_import(csv_file(self.good_rows()), actor=self.admin)
        make_ci("SRV-002")  # recorded by someone else meanwhile
        with self.assertRaises(ConflictError):
            run_import(plan, actor=self.admin)
        self.assertFalse(ConfigurationItem.objects.filter(code="SRV-001").exists())
        self.assertFalse(AuditEntry.objects.filter(action="create").exists())

    def test_an_item_changed_since_the_dry_run_is_a_conflict(self) -> None:
        run_import(plan_import(csv_file(self.good_rows()), actor=self.admin), actor=self.admin)
        rows = self.good_rows()
        rows[1][1] = "改名"
        plan = plan_import(csv_file(rows), actor=self.admin)
        ConfigurationItem.objects.filter(code="SRV-001").update(version=5)
        with self.assertRaises(ConflictError):
            run_import(plan, actor=self.admin)
        self.assertNotEqual(ConfigurationItem.objects.get(code="SRV-001").name, "改名")

    def test_progress_is_reported(self) -> None:
        seen: list[tuple[int, int]] = []
        plan = plan_import(csv_file(self.good_rows()), actor=self.admin)
        run_import(plan, actor=self.admin, progress=lambda done, total: seen.append((done, total)))
        self.assertEqual(seen[-1], (2, 2))


@override_settings(LANGUAGE_CODE="en")
class EnglishMessagesTests(ImportTestCase):
    def test_messages_follow_the_active_language(self) -> None:
        from django.utils import translation

        rows = [["code", "name", "class"], ["X-1", "x", "kettle"]]
        with translation.override("en"):
            plan = plan_import(csv_file(rows), actor=self.admin)
        self.assertEqual(plan.errors[0].message, "Unknown class “kettle”.")


class CommandTests(ImportTestCase):
    def write(self, rows: list[list[Any]], name: str = "cis.csv") -> str:
        import tempfile
        from pathlib import Path

        directory = Path(tempfile.mkdtemp())
        path = directory / name
        path.write_bytes(csv_file(rows).getvalue())
        return str(path)

    def test_the_dry_run_lists_every_error_and_fails(self) -> None:
        from django.core.management import CommandError, call_command

        rows = [*self.good_rows(), ["SRV-003", "x", "水壶", "", "", "", "", "", "", ""]]
        out = io.StringIO()
        with self.assertRaises(CommandError):
            call_command("import_cis", self.write(rows), "--dry-run", stdout=out)
        self.assertIn("第 4 行，类别：", out.getvalue())
        self.assertIn("水壶", out.getvalue())
        self.assertFalse(ConfigurationItem.objects.filter(code__startswith="SRV-").exists())

    def test_a_clean_dry_run_writes_nothing(self) -> None:
        from django.core.management import call_command

        out = io.StringIO()
        call_command("import_cis", self.write(self.good_rows()), "--dry-run", stdout=out)
        self.assertFalse(ConfigurationItem.objects.filter(code__startswith="SRV-").exists())
        # `itsm import-cis` is the same command.
        call_command("import-cis", self.write(self.good_rows()), "--dry-run", stdout=out)
        self.assertFalse(ConfigurationItem.objects.filter(code__startswith="SRV-").exists())

    def test_the_import_shows_progress_and_counts(self) -> None:
        from django.core.management import call_command

        out = io.StringIO()
        path = self.write(self.good_rows())
        call_command("import_cis", path, "--user", "admin", "--change", "CHG0000001", stdout=out)
        self.assertIn("100%", out.getvalue())
        self.assertEqual(ConfigurationItem.objects.filter(code__startswith="SRV-").count(), 2)
        entry = AuditEntry.objects.filter(action="create").latest("pk")
        self.assertEqual((entry.actor, entry.note), (self.admin, "CHG0000001"))
        out = io.StringIO()
        call_command("import_cis", path, stdout=out)
        self.assertEqual(AuditEntry.objects.filter(action="create").count(), 2)

    def test_a_user_without_the_permission_is_refused(self) -> None:
        from django.core.management import CommandError, call_command

        with self.assertRaises(CommandError):
            call_command("import_cis", self.write(self.good_rows()), "--user", "nurse")


class PageTests(ImportTestCase):
    def setUp(self) -> None:
        import tempfile

        super().setUp()
        self.var = tempfile.mkdtemp()
        self.settings = override_settings(VAR_DIR=self.var)
        self.settings.enable()
        self.addCleanup(self.settings.disable)

    def upload(self, rows: list[list[Any]]) -> Any:
        data = xlsx_file({"配置项": rows})
        return self.client.post("/cmdb/import/", {"items": data, "change": "CHG0000009"})

    def run_queued(self) -> None:
        from django_tasks_db.models import DBTaskResult

        from itsm.cmdb import import_jobs

        for queued in DBTaskResult.objects.filter(task_path__startswith="itsm.cmdb.import_jobs"):
            task = {
                "itsm.cmdb.import_jobs.check_import": import_jobs.check_import,
                "itsm.cmdb.import_jobs.import_file": import_jobs.import_file,
            }[queued.task_path]
            task.call(*queued.args_kwargs["args"])
            queued.delete()

    def test_upload_dry_run_confirm_and_done(self) -> None:
        self.login(self.admin)
        self.assertEqual(self.client.get("/cmdb/import/").status_code, 200)
        response = self.upload(self.good_rows())
        self.assertEqual(response.status_code, 302)
        page = response["Location"]
        polled = self.client.get(page, headers={"HX-Request": "true"})
        self.assertContains(polled, 'hx-trigger="every 1s"')
        self.run_queued()
        response = self.client.get(page)
        self.assertContains(response, 'id="import-summary"')
        self.assertNotContains(response, 'hx-trigger="every 1s"')
        self.assertFalse(ConfigurationItem.objects.filter(code__startswith="SRV-").exists())
        confirm = page + "confirm/"
        self.assertEqual(self.client.post(confirm).status_code, 302)
        self.assertContains(self.client.get(page, headers={"HX-Request": "true"}), "every 1s")
        self.run_queued()
        response = self.client.get(page, headers={"HX-Request": "true"})
        self.assertContains(response, 'id="import-result"')
        self.assertEqual(ConfigurationItem.objects.filter(code__startswith="SRV-").count(), 2)
        entry = AuditEntry.objects.filter(action="create").latest("pk")
        self.assertEqual((entry.actor, entry.note), (self.admin, "CHG0000009"))
        self.assertEqual(self.client.post(confirm).status_code, 409)

    def test_the_dry_run_report_lists_the_errors(self) -> None:
        self.login(self.admin)
        rows = [*self.good_rows(), ["SRV-003", "x", "水壶", "", "", "", "", "", "", ""]]
        page = self.upload(rows)["Location"]
        self.run_queued()
        response = self.client.get(page)
        self.assertContains(response, 'id="import-errors"')
        self.assertContains(response, "水壶")
        self.assertEqual(self.client.post(page + "confirm/").status_code, 409)
        self.assertFalse(ConfigurationItem.objects.filter(code__startswith="SRV-").exists())

    def test_a_wrong_file_type_is_a_400(self) -> None:
        self.login(self.admin)
        data = io.BytesIO(b"hello")
        data.name = "cis.txt"
        response = self.client.post("/cmdb/import/", {"items": data})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "xlsx", status_code=400)

    def test_users_without_the_permission_get_403_and_others_jobs_are_404(self) -> None:
        self.login(self.nurse)
        self.assertEqual(self.client.get("/cmdb/import/").status_code, 403)
        self.assertEqual(self.client.get("/cmdb/import/template.xlsx").status_code, 403)
        self.login(self.admin)
        page = self.upload(self.good_rows())["Location"]
        from itsm.accounts.choices import Role
        from itsm.core.testing import make_user

        self.login(make_user("admin2", Role.ADMIN))
        self.assertEqual(self.client.get(page).status_code, 404)
        self.assertEqual(self.client.post(page + "confirm/").status_code, 404)
        self.assertEqual(self.client.get("/cmdb/import/not-a-job/").status_code, 404)

    def test_the_template_imports_without_errors(self) -> None:
        self.login(self.admin)
        response = self.client.get("/cmdb/import/template.xlsx")
        self.assertEqual(response.status_code, 200)
        data = io.BytesIO(response.content)
        data.name = "template.xlsx"
        plan = plan_import(data, actor=self.admin)
        self.assertEqual(plan.errors, [])
        self.assertGreater(len(plan.creates), 10)
        self.assertEqual(len(plan.relationships), 1)

"""A configuration item's history (who changed what, when, under which RFC) and the item
as it was at a past date: fields, attributes and relationships, read back from the audit
entries and the relationship tables the services write."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from itsm.accounts.choices import Role
from itsm.cmdb.choices import ConfigurationItemStatus as S
from itsm.cmdb.choices import RelationshipType as T
from itsm.cmdb.history import (
    HistoryEntry,
    Snapshot,
    as_of,
    as_of_data,
    history_data,
    history_of,
    parse_as_of,
)
from itsm.cmdb.models import ConfigurationItem
from itsm.cmdb.services import create_ci, relate_cis, unrelate_cis, update_ci
from itsm.cmdb.tests.factories import make_ci
from itsm.core.testing import BaseTestCase, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")


def moment(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


# The writes of the story below, in order.
CREATED = moment(2, 9)
HOSTED = moment(2, 10)
EDITED = moment(5, 9)
RUN_ON = moment(5, 10)
MOVED_HOST = moment(8, 9)
RELOCATED = moment(10, 9)


@contextmanager
def clock(at: dt.datetime) -> Iterator[None]:
    """The services' clock stopped at `at` (this thread only: tests run no threads)."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


class HistoryTestCase(BaseTestCase):
    """A virtual server recorded under CHG0000001 by 张伟 on 2 March, hosted on VMH-01 an
    hour later; edited by admin under CHG0000002 on 5 March (renamed, moved to radiology,
    under maintenance, CPU 8 → 16, memory dropped, management IP added, PACS added), the
    HIS application put on it an hour later; moved from VMH-01 to VMH-02 on 8 March under
    CHG0000003; relocated to the data centre, back in use and its OS attribute dropped on
    10 March, under no RFC."""

    server: ConfigurationItem
    floor: ConfigurationItem
    data_centre: ConfigurationItem
    host: ConfigurationItem
    other_host: ConfigurationItem
    app: ConfigurationItem

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.keeper = make_user("keeper", Role.ADMIN, last_name="张", first_name="伟")
        cls.floor = make_ci("LOC-OPD-3F", "floor", name="门诊楼3层")
        cls.data_centre = make_ci("LOC-DC-1F", "floor", name="机房1层")
        cls.host = make_ci("VMH-01", "physical_server", name="虚拟化主机 01")
        cls.other_host = make_ci("VMH-02", "physical_server", name="虚拟化主机 02")
        cls.app = make_ci("APP-HIS", "application", name="HIS 应用")
        with clock(CREATED):
            server = create_ci(
                actor=cls.keeper,
                fields={
                    "code": "SRV-HIS-01",
                    "name": "HIS 应用服务器",
                    "ci_class": "virtual_server",
                    "location": cls.floor,
                    "department": cls.emergency,
                    "purchased_on": dt.date(2025, 1, 1),
                },
                attributes={"os": "CentOS 7.9", "cpu_cores": 8, "memory_gb": 32},
                services=[cls.his],
                change_number="CHG0000001",
            )
        with clock(HOSTED):
            hosted = relate_cis(
                server, cls.host, T.HOSTED_ON, actor=cls.keeper, change_number="CHG0000001"
            )
        with clock(EDITED):
            server = update_ci(
                server,
                actor=cls.admin,
                version=server.version,
                fields={
                    "name": "HIS 应用服务器 01",
                    "department": cls.radiology,
                    "status": S.MAINTENANCE,
                    "purchased_on": dt.date(2025, 2, 1),
                },
                attributes={"os": "CentOS 7.9", "cpu_cores": 16, "management_ip": "10.0.0.5"},
                services=[cls.his, cls.pacs],
                change_number="CHG0000002",
            )
        with clock(RUN_ON):
            relate_cis(cls.app, server, T.RUNS_ON, actor=cls.admin)
        with clock(MOVED_HOST):
            unrelate_cis(hosted, actor=cls.keeper, change_number="CHG0000003")
            relate_cis(
                server, cls.other_host, T.HOSTED_ON, actor=cls.keeper, change_number="CHG0000003"
            )
        with clock(RELOCATED):
            server = update_ci(
                server,
                actor=cls.admin,
                version=server.version,
                fields={"location": cls.data_centre, "status": S.IN_USE},
                attributes={"cpu_cores": 16, "management_ip": "10.0.0.5"},
            )
        cls.server = ConfigurationItem.objects.get(pk=server.pk)

    def snapshot(self, at: dt.datetime, language: str = "zh-hans") -> Snapshot:
        with translation.override(language):
            return as_of(self.server, at)

    def history(self, language: str = "zh-hans", **kwargs: Any) -> list[HistoryEntry]:
        with translation.override(language):
            return history_of(self.server, **kwargs)


def fields_of(snapshot: Snapshot) -> dict[str, Any]:
    return {v.name: v.value for v in snapshot.fields}


def shown(snapshot: Snapshot) -> dict[str, str]:
    return {v.label: v.display for v in (*snapshot.fields, *snapshot.attributes)}


def attributes_of(snapshot: Snapshot) -> dict[str, Any]:
    return {v.name: v.value for v in snapshot.attributes}


def relationships_of(snapshot: Snapshot) -> tuple[list[str], list[str]]:
    return (
        ["%s %s" % (r.type, r.other.code) for r in snapshot.depends_on],
        ["%s %s" % (r.other.code, r.type) for r in snapshot.relied_on_by],
    )


class AsOfTests(HistoryTestCase):
    def test_before_it_was_recorded_the_item_did_not_exist(self) -> None:
        snapshot = self.snapshot(CREATED - dt.timedelta(minutes=1))
        self.assertFalse(snapshot.exists)
        self.assertEqual((snapshot.fields, snapshot.attributes, snapshot.services), ([], [], []))
        self.assertEqual(relationships_of(snapshot), ([], []))

    def test_at_its_creation_it_has_its_first_values_and_no_relationships_yet(self) -> None:
        snapshot = self.snapshot(CREATED)
        self.assertTrue(snapshot.exists)
        self.assertTrue(snapshot.complete)
        fields = fields_of(snapshot)
        self.assertEqual(fields["code"], "SRV-HIS-01")
        self.assertEqual(fields["name"], "HIS 应用服务器")
        self.assertEqual(fields["ci_class"], "virtual_server")
        self.assertEqual(fields["location"], self.floor.pk)
        self.assertEqual(fields["department"], self.emergency.pk)
        self.assertEqual(fields["status"], S.IN_USE)
        self.assertEqual(fields["purchased_on"], "2025-01-01")
        self.assertEqual(
            attributes_of(snapshot), {"os": "CentOS 7.9", "cpu_cores": 8, "memory_gb": 32}
        )
        self.assertEqual([s.code for s in snapshot.services], ["HIS"])
        self.assertEqual(relationships_of(snapshot), ([], []))

    def test_between_edits_it_has_the_values_and_relationships_of_that_time(self) -> None:
        snapshot = self.snapshot(moment(3, 12))
        self.assertEqual(fields_of(snapshot)["name"], "HIS 应用服务器")
        self.assertEqual(attributes_of(snapshot)["cpu_cores"], 8)
        self.assertEqual(relationships_of(snapshot), (["hosted_on VMH-01"], []))
        hosted = snapshot.depends_on[0]
        self.assertEqual((hosted.since, hosted.until), (HOSTED, MOVED_HOST))

        snapshot = self.snapshot(moment(6, 12))
        fields = fields_of(snapshot)
        self.assertEqual(fields["name"], "HIS 应用服务器 01")
        self.assertEqual(fields["department"], self.radiology.pk)
        self.assertEqual(fields["status"], S.MAINTENANCE)
        self.assertEqual(fields["purchased_on"], "2025-02-01")
        self.assertEqual(fields["location"], self.floor.pk)
        self.assertEqual(
            attributes_of(snapshot),
            {"os": "CentOS 7.9", "cpu_cores": 16, "management_ip": "10.0.0.5"},
        )
        self.assertEqual([s.code for s in snapshot.services], ["HIS", "PACS"])
        self.assertEqual(relationships_of(snapshot), (["hosted_on VMH-01"], ["APP-HIS runs_on"]))

    def test_an_attribute_removed_later_is_there_before_its_removal(self) -> None:
        self.assertEqual(attributes_of(self.snapshot(moment(9, 12)))["os"], "CentOS 7.9")
        self.assertNotIn("os", attributes_of(self.snapshot(moment(10, 12))))
        self.assertNotIn("os", self.server.attributes)

    def test_a_change_at_the_very_instant_counts_as_made(self) -> None:
        self.assertEqual(fields_of(self.snapshot(EDITED))["name"], "HIS 应用服务器 01")
        self.assertEqual(
            fields_of(self.snapshot(EDITED - dt.timedelta(microseconds=1)))["name"],
            "HIS 应用服务器",
        )
        self.assertEqual(relationships_of(self.snapshot(MOVED_HOST))[0], ["hosted_on VMH-02"])

    def test_after_the_last_change_it_is_the_item_as_it_is(self) -> None:
        snapshot = self.snapshot(moment(20, 9))
        fields = fields_of(snapshot)
        for name in ("code", "name", "status", "criticality", "position", "asset_tag"):
            self.assertEqual(fields[name], getattr(self.server, name))
        self.assertEqual(fields["location"], self.data_centre.pk)
        self.assertEqual(attributes_of(snapshot), self.server.attributes)
        self.assertEqual(relationships_of(snapshot), (["hosted_on VMH-02"], ["APP-HIS runs_on"]))
        self.assertEqual(
            relationships_of(snapshot),
            relationships_of(self.snapshot(moment(10, 12))),
        )

    def test_values_are_shown_in_the_users_language_with_records_named(self) -> None:
        values = shown(self.snapshot(moment(6, 12)))
        self.assertEqual(values["名称"], "HIS 应用服务器 01")
        self.assertEqual(values["类别"], "虚拟机")
        self.assertEqual(values["科室"], "放射科")
        self.assertEqual(values["状态"], "维护中")
        self.assertEqual(values["位置"], "LOC-OPD-3F 门诊楼3层")
        self.assertEqual(values["CPU 核数"], "16")
        self.assertEqual(values["管理 IP"], "10.0.0.5")
        self.assertEqual(values["序列号"], "")
        snapshot = self.snapshot(moment(6, 12), "en")
        values = shown(snapshot)
        self.assertEqual(values["Class"], "Virtual machine")
        self.assertEqual(values["CPU cores"], "16")
        self.assertEqual(snapshot.relied_on_by[0].type_label, "runs on")

    def test_an_item_loaded_in_bulk_reads_as_it_is_before_its_first_audited_edit(self) -> None:
        snapshot = self.snapshot(CREATED - dt.timedelta(days=30))
        self.assertFalse(snapshot.exists)
        with translation.override("zh-hans"):
            host = as_of(self.host, moment(1, 9))
        self.assertTrue(host.exists)
        self.assertFalse(host.complete)
        self.assertEqual(fields_of(host)["name"], "虚拟化主机 01")
        self.assertEqual(relationships_of(host), ([], []))
        with translation.override("zh-hans"):
            later = as_of(self.host, moment(3, 9))
        self.assertEqual(relationships_of(later), ([], ["SRV-HIS-01 hosted_on"]))

    def test_its_query_count_does_not_grow_with_changes_or_relationships(self) -> None:
        as_of(self.server, moment(3, 12))
        with CaptureQueriesContext(connection) as few:
            as_of(self.server, moment(3, 12))
        for n in range(4):
            with clock(moment(11, 9, n)):
                self.server = update_ci(
                    self.server,
                    actor=self.admin,
                    version=self.server.version,
                    fields={"department": self.emergency if n % 2 else self.it_department},
                    attributes={"cpu_cores": 20 + n},
                )
                other = make_ci("APP-%d" % n, "application")
                relate_cis(other, self.server, T.RUNS_ON, actor=self.admin)
        with CaptureQueriesContext(connection) as many:
            snapshot = as_of(self.server, moment(3, 12))
        self.assertEqual(len(many), len(few))
        # Later entries, whether it was created, its services, classes, attribute
        # definitions, the items, departments and services named, current and former
        # relationships.
        self.assertEqual(len(many), 10)
        self.assertEqual(attributes_of(snapshot)["cpu_cores"], 8)
        self.assertEqual(fields_of(snapshot)["department"], self.emergency.pk)


class HistoryTests(HistoryTestCase):
    def test_it_lists_every_audited_write_newest_first(self) -> None:
        entries = self.history()
        self.assertEqual(
            [(e.when, e.action) for e in entries],
            [
                (RELOCATED, "update"),
                (MOVED_HOST, "relate"),
                (MOVED_HOST, "unrelate"),
                (RUN_ON, "relate"),
                (EDITED, "update"),
                (HOSTED, "relate"),
                (CREATED, "create"),
            ],
        )
        self.assertEqual(
            [e.action_label for e in entries],
            ["修改", "建立关系", "解除关系", "建立关系", "修改", "建立关系", "创建"],
        )

    def test_each_entry_says_who_and_under_which_rfc(self) -> None:
        entries = {e.when: e for e in self.history() if e.action != "unrelate"}
        self.assertEqual(
            (entries[CREATED].actor, entries[CREATED].change_number), ("张伟", "CHG0000001")
        )
        self.assertEqual(
            (entries[EDITED].actor, entries[EDITED].change_number), ("admin", "CHG0000002")
        )
        self.assertEqual(entries[MOVED_HOST].change_number, "CHG0000003")
        self.assertEqual(entries[RELOCATED].change_number, "")
        self.assertEqual(entries[RUN_ON].change_number, "")

    def test_field_changes_are_labelled_and_named_in_chinese(self) -> None:
        edited = next(e for e in self.history() if e.when == EDITED)
        lines = {c.label: (c.old, c.new) for c in edited.changes}
        self.assertEqual(lines["名称"], ("HIS 应用服务器", "HIS 应用服务器 01"))
        self.assertEqual(lines["科室"], ("急诊科", "放射科"))
        self.assertEqual(lines["状态"], ("在用", "维护中"))
        self.assertEqual(lines["购置日期"], ("2025-01-01", "2025-02-01"))
        self.assertEqual(lines["CPU 核数"], ("8", "16"))
        self.assertEqual(lines["内存 (GB)"], ("32", ""))
        self.assertEqual(lines["管理 IP"], ("", "10.0.0.5"))
        self.assertEqual(lines["服务"], ("HIS", "HIS、PACS"))
        self.assertEqual(
            [c.label for c in edited.changes],
            ["名称", "状态", "科室", "购置日期", "CPU 核数", "内存 (GB)", "管理 IP", "服务"],
        )
        created = next(e for e in self.history() if e.action == "create")
        lines = {c.label: (c.old, c.new) for c in created.changes}
        self.assertEqual(lines["类别"], ("", "虚拟机"))
        self.assertEqual(lines["位置"], ("", "LOC-OPD-3F 门诊楼3层"))
        self.assertEqual(lines["操作系统"], ("", "CentOS 7.9"))

    def test_relationship_changes_are_told_in_words(self) -> None:
        entries = self.history()
        removed = next(e for e in entries if e.action == "unrelate")
        self.assertEqual(
            [(c.label, c.old, c.new) for c in removed.changes],
            [("配置项关系", "SRV-HIS-01 托管于 VMH-01", "")],
        )
        with translation.override("en"):
            self.assertEqual(removed.changes[0].old_value, "SRV-HIS-01 hosted_on VMH-01")

    def test_labels_are_in_english_for_an_english_reader(self) -> None:
        entries = self.history("en")
        self.assertEqual(
            [e.action_label for e in entries[:3]],
            ["Changed", "Relationship added", "Relationship removed"],
        )
        edited = next(e for e in entries if e.when == EDITED)
        lines = {c.label: (c.old, c.new) for c in edited.changes}
        self.assertEqual(lines["Name"], ("HIS 应用服务器", "HIS 应用服务器 01"))
        self.assertEqual(lines["Status"], ("In use", "Maintenance"))
        self.assertEqual(lines["CPU cores"], ("8", "16"))
        self.assertEqual(entries[-1].action_label, "Created")

    def test_a_limit_keeps_the_newest(self) -> None:
        self.assertEqual([e.when for e in self.history(limit=2)], [RELOCATED, MOVED_HOST])

    def test_an_item_without_audited_writes_has_no_history(self) -> None:
        self.assertEqual(history_of(self.floor), [])

    def test_its_query_count_does_not_grow_with_entries(self) -> None:
        history_of(self.server)
        with CaptureQueriesContext(connection) as few:
            history_of(self.server)
        for n in range(6):
            with clock(moment(11, 9, n)):
                self.server = update_ci(
                    self.server,
                    actor=self.keeper,
                    version=self.server.version,
                    fields={
                        "department": self.emergency if n % 2 else self.it_department,
                        "location": self.floor if n % 2 else self.data_centre,
                        "owner_group": self.front_group if n % 2 else self.desk_group,
                    },
                    services=[self.pacs] if n % 2 else [self.his],
                    change_number="CHG%07d" % (10 + n),
                )
        with CaptureQueriesContext(connection) as many:
            entries = self.history()
        self.assertEqual(len(entries), 13)
        # Entries, classes, attribute definitions, and one query per related model named
        # (items, departments, support groups, services).
        self.assertEqual(len(many), 7)
        self.assertLessEqual(len(few), len(many))
        self.assertEqual(
            {c.name: c.new for c in entries[0].changes},
            {
                "department": "急诊科",
                "location": "LOC-OPD-3F 门诊楼3层",
                "owner_group": "桌面运维组",
                "services": "PACS",
            },
        )


class DataTests(HistoryTestCase):
    def test_history_data_is_json_with_stored_and_shown_values(self) -> None:
        with translation.override("zh-hans"):
            data = json.loads(json.dumps(history_data(self.server)))
        self.assertEqual(
            data["ci"], {"id": self.server.pk, "code": "SRV-HIS-01", "name": "HIS 应用服务器 01"}
        )
        self.assertFalse(data["truncated"])
        newest = data["entries"][0]
        self.assertEqual(newest["action"], "update")
        self.assertEqual(newest["action_label"], "修改")
        self.assertEqual(newest["actor"], {"id": self.admin.pk, "name": "admin"})
        self.assertEqual(newest["change_number"], "")
        self.assertEqual(newest["at"], RELOCATED.isoformat())
        location = next(c for c in newest["changes"] if c["field"] == "location")
        self.assertEqual(
            location,
            {
                "field": "location",
                "label": "位置",
                "old": self.floor.pk,
                "new": self.data_centre.pk,
                "old_display": "LOC-OPD-3F 门诊楼3层",
                "new_display": "LOC-DC-1F 机房1层",
            },
        )
        removed = next(c for c in newest["changes"] if c["field"] == "attributes.os")
        self.assertEqual((removed["old"], removed["new"]), ("CentOS 7.9", None))
        created = data["entries"][-1]
        self.assertEqual(created["change_number"], "CHG0000001")
        self.assertIn(
            {
                "field": "ci_class",
                "label": "类别",
                "old": None,
                "new": "virtual_server",
                "old_display": "",
                "new_display": "虚拟机",
            },
            created["changes"],
        )

    def test_history_data_says_when_older_entries_are_left_out(self) -> None:
        data = history_data(self.server, limit=3)
        self.assertTrue(data["truncated"])
        self.assertEqual(len(data["entries"]), 3)

    def test_as_of_data_is_json_with_fields_attributes_and_both_directions(self) -> None:
        data = json.loads(json.dumps(as_of_data(self.snapshot(moment(6, 12)))))
        self.assertTrue(data["exists"])
        self.assertTrue(data["complete"])
        self.assertEqual(data["as_of"], moment(6, 12).isoformat())
        fields = {f["name"]: f for f in data["fields"]}
        self.assertEqual(
            fields["location"],
            {
                "name": "location",
                "label": "位置",
                "value": self.floor.pk,
                "display": "LOC-OPD-3F 门诊楼3层",
            },
        )
        self.assertEqual(fields["ci_class"]["value"], "virtual_server")
        self.assertEqual(fields["purchased_on"]["value"], "2025-02-01")
        self.assertNotIn("version", fields)
        self.assertNotIn("attributes", fields)
        self.assertEqual(
            [(a["code"], a["value"]) for a in data["attributes"]],
            [("os", "CentOS 7.9"), ("cpu_cores", 16), ("management_ip", "10.0.0.5")],
        )
        self.assertEqual(
            data["services"],
            [
                {"id": self.his.pk, "code": "HIS", "name": "HIS"},
                {"id": self.pacs.pk, "code": "PACS", "name": "PACS"},
            ],
        )
        self.assertEqual(
            data["depends_on"],
            [
                {
                    "type": "hosted_on",
                    "type_label": "托管于",
                    "ci": {"id": self.host.pk, "code": "VMH-01", "name": "虚拟化主机 01"},
                    "note": "",
                    "since": HOSTED.isoformat(),
                    "until": MOVED_HOST.isoformat(),
                }
            ],
        )
        self.assertEqual(data["relied_on_by"][0]["ci"]["code"], "APP-HIS")
        self.assertIsNone(data["relied_on_by"][0]["until"])

    def test_as_of_data_before_creation_says_it_did_not_exist(self) -> None:
        data = as_of_data(self.snapshot(moment(1, 9)))
        self.assertFalse(data["exists"])
        self.assertEqual((data["fields"], data["depends_on"]), ([], []))

    def test_an_as_of_parameter_is_a_date_or_a_date_and_time(self) -> None:
        self.assertEqual(
            parse_as_of("2026-03-05"), dt.datetime(2026, 3, 5, 23, 59, 59, 999999, tzinfo=SHANGHAI)
        )
        self.assertEqual(parse_as_of("2026-03-05T10:30"), moment(5, 10, 30))
        self.assertEqual(parse_as_of(" 2026-03-05 10:30 "), moment(5, 10, 30))
        self.assertEqual(
            parse_as_of("2026-03-05T02:30:00+00:00"),
            dt.datetime(2026, 3, 5, 2, 30, tzinfo=dt.UTC),
        )
        for bad in ("", "yesterday", "2026-02-30", "2026-03-05T25:00"):
            with self.subTest(bad=bad), self.assertRaises(ValidationError) as caught:
                parse_as_of(bad)
            self.assertIn("as_of", caught.exception.message_dict)

    def test_a_date_includes_the_changes_of_that_day(self) -> None:
        self.assertEqual(
            fields_of(self.snapshot(parse_as_of("2026-03-05")))["department"], self.radiology.pk
        )
        self.assertEqual(
            fields_of(self.snapshot(parse_as_of("2026-03-04")))["department"], self.emergency.pk
        )


class TemplateTests(HistoryTestCase):
    def render(self, template: str, context: dict[str, Any], language: str = "zh-hans") -> str:
        with translation.override(language):
            return render_to_string(template, context)

    def test_the_history_card_shows_time_actor_action_rfc_and_changes(self) -> None:
        html = self.render("cmdb/_ci_history.html", {"history": self.history()})
        self.assertIn("变更历史", html)
        self.assertIn("2026-03-05 09:00", html)
        self.assertIn("张伟", html)
        self.assertIn("创建", html)
        self.assertIn("解除关系", html)
        self.assertIn("CHG0000002", html)
        self.assertIn("CPU 核数：8 → 16", html)
        self.assertIn("科室：急诊科 → 放射科", html)
        self.assertIn("内存 (GB)：32 → —", html)
        self.assertIn("配置项关系：— → SRV-HIS-01 托管于 VMH-02", html)

    def test_the_history_card_in_english(self) -> None:
        html = self.render("cmdb/_ci_history.html", {"history": self.history("en")}, "en")
        self.assertIn("Change history", html)
        self.assertIn("CPU cores: 8 → 16", html)
        self.assertIn("Changed", html)

    def test_an_empty_history_says_so(self) -> None:
        html = self.render("cmdb/_ci_history.html", {"history": []})
        self.assertIn("没有", html)
        self.assertNotIn("<table", html)

    def test_the_as_of_card_shows_fields_attributes_and_relationships(self) -> None:
        html = self.render("cmdb/_ci_as_of.html", {"snapshot": self.snapshot(moment(6, 12))})
        self.assertIn("截至 2026-03-06 12:00", html)
        self.assertIn("HIS 应用服务器 01", html)
        self.assertIn("放射科", html)
        self.assertIn("CPU 核数", html)
        self.assertIn("CentOS 7.9", html)
        self.assertIn("HIS、PACS", html)
        self.assertIn("托管于 <strong>VMH-01</strong>", html)
        self.assertIn("2026-03-08 09:00", html)  # when that relationship ended
        self.assertIn("<strong>APP-HIS</strong> HIS 应用", html)
        self.assertIn("（运行于本项）", html)
        self.assertNotIn("ci-as-of-missing", html)

    def test_the_as_of_card_says_when_the_item_did_not_exist_yet(self) -> None:
        html = self.render("cmdb/_ci_as_of.html", {"snapshot": self.snapshot(moment(1, 9))})
        self.assertIn("截至 2026-03-01 09:00", html)
        self.assertIn("ci-as-of-missing", html)
        self.assertIn("尚未", html)
        self.assertNotIn("HIS 应用服务器", html)

    def test_the_as_of_card_warns_about_items_loaded_in_bulk(self) -> None:
        with translation.override("zh-hans"):
            snapshot = as_of(self.host, moment(1, 9))
        html = self.render("cmdb/_ci_as_of.html", {"snapshot": snapshot})
        self.assertIn("ci-as-of-incomplete", html)
        self.assertIn("虚拟化主机 01", html)

    def test_the_as_of_card_in_english(self) -> None:
        html = self.render(
            "cmdb/_ci_as_of.html", {"snapshot": self.snapshot(moment(6, 12), "en")}, "en"
        )
        self.assertIn("As of 2026-03-06 12:00", html)
        self.assertIn("What relied on it", html)

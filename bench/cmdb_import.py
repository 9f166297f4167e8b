"""CMDB import at scale: a 100,000-row items file (.xlsx and CSV, a hospital's class mix
with attributes, locations, departments, services) and 20,000 relationships, imported
with `plan_import` + `run_import`. Target (issue 4, item 12): ≤ 60 s for 100,000 rows, on
SQLite and on PostgreSQL.

    python -m bench.cmdb_import                          # var/bench-cmdb-import.sqlite3
    python -m bench.cmdb_import --database-url postgres://postgres@127.0.0.1:5432/bench_cmdb_import

Each run starts from an empty, migrated database of its own (never the application's):
1. the CSV into the empty CMDB (100,000 creates), 2. the same CSV again (all unchanged:
the idempotent re-import), 3. the .xlsx with every row changed (100,000 updates). The
files are written under var/bench/ once and reused."""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from bench.__main__ import PROJECT, check_database_url, load_average, say

DEFAULT_URL = "sqlite:///" + str(PROJECT / "var" / "bench-cmdb-import.sqlite3")
META_TABLE = "bench_cmdb_import_meta"
FILES = PROJECT / "var" / "bench"

# (class, share of the rows, attributes: header → value maker)
MIX: tuple[tuple[str, int], ...] = (
    ("工作站", 55),
    ("打印机", 10),
    ("条码打印机", 5),
    ("自助机", 2),
    ("医疗设备接口", 8),
    ("虚拟机", 8),
    ("物理服务器", 2),
    ("交换机", 5),
    ("无线接入点", 3),
    ("数据库", 1),
    ("应用系统", 1),
)
HEADER = [
    "编码",
    "名称",
    "类别",
    "状态",
    "重要性",
    "位置",
    "具体位置",
    "科室",
    "负责组",
    "序列号",
    "资产编号",
    "IP地址",
    "购置日期",
    "服务",
    "操作系统",
    "型号",
    "CPU 核数",
    "内存 (GB)",
    "连接方式",
    "接口协议",
    "数据库类型",
    "端口数",
]
DEPARTMENTS = 40
SERVICES = 30
GROUPS = ("桌面运维组", "网络组", "系统组", "应用组")
ROOMS = 400


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.cmdb_import")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--relationships", type=int, default=20_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("ITSM_BENCH_CMDB_IMPORT_DATABASE_URL", DEFAULT_URL),
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="", help="csv, again, xlsx (comma-separated)")
    return parser.parse_args(argv)


def row(n: int, ci_class: str, rng: random.Random, revision: int) -> list[Any]:
    """One item's cells; `revision` changes the name and an attribute of every row."""
    values: dict[str, Any] = {
        "编码": "CI-%06d" % n,
        "名称": "%s %06d%s" % (ci_class, n, " (r%d)" % revision if revision else ""),
        "类别": ci_class,
        "状态": rng.choice(("在用", "在用", "在用", "维护中", "计划中")),
        "重要性": rng.choice(("高", "中", "中", "低")),
        "位置": "ROOM-%03d" % rng.randrange(ROOMS),
        "具体位置": "%d 号台" % rng.randint(1, 20),
        "科室": "科室%02d" % rng.randrange(DEPARTMENTS),
        "负责组": rng.choice(GROUPS),
        "序列号": "SN%09d" % rng.randrange(10**9),
        "资产编号": "ZC%07d" % n,
        "IP地址": "10.%d.%d.%d" % (n // 65536 % 256, n // 256 % 256, n % 256),
        "购置日期": "20%02d-%02d-%02d"
        % (rng.randint(15, 25), rng.randint(1, 12), rng.randint(1, 28)),
        "服务": "、".join(rng.sample(["S%02d" % k for k in range(SERVICES)], rng.randint(0, 2))),
    }
    if ci_class in ("工作站",):
        values["操作系统"] = rng.choice(("Windows 10", "Windows 11", "统信 UOS"))
    if ci_class in ("虚拟机", "物理服务器"):
        values["操作系统"] = rng.choice(("CentOS 7", "麒麟 V10", "Windows Server 2019"))
        values["CPU 核数"] = rng.choice((4, 8, 16, 32)) * (2 if revision else 1)
        values["内存 (GB)"] = rng.choice((16, 32, 64, 128))
    if ci_class in ("打印机", "条码打印机"):
        values["型号"] = rng.choice(("HP M405", "Zebra ZD888", "Epson LQ"))
        values["连接方式"] = rng.choice(("USB", "网络"))
    if ci_class in ("交换机", "无线接入点", "自助机"):
        values["型号"] = rng.choice(("华为 S5735", "H3C S5130", "锐捷 AP"))
    if ci_class in ("交换机",):
        values["端口数"] = rng.choice((24, 48))
    if ci_class == "医疗设备接口":
        values["接口协议"] = rng.choice(("HL7 v2", "DICOM", "ASTM"))
    if ci_class == "数据库":
        values["数据库类型"] = rng.choice(("Oracle", "SQL Server", "达梦 DM"))
    return [values.get(h, "") for h in HEADER]


def classes(n: int, rng: random.Random) -> list[str]:
    total = sum(w for _, w in MIX)
    out = [c for c, w in MIX for _ in range(n * w // total)]
    out += ["工作站"] * (n - len(out))
    rng.shuffle(out)
    return out


def relationships(kinds: list[str], count: int, rng: random.Random) -> list[list[str]]:
    """Endpoints connected to switches, applications and databases on VMs, workstations
    using applications: allowed by the rules, acyclic by construction."""
    by_class: dict[str, list[str]] = {}
    for n, kind in enumerate(kinds):
        by_class.setdefault(kind, []).append("CI-%06d" % n)
    edges: dict[tuple[str, str, str], None] = {}
    switches, vms = by_class["交换机"], by_class["虚拟机"]
    rules = (
        ("工作站", "连接", switches),
        ("打印机", "连接", switches),
        ("应用系统", "运行于", vms),
        ("数据库", "运行于", vms),
        ("工作站", "使用", by_class["应用系统"]),
        ("医疗设备接口", "依赖", by_class["数据库"]),
    )
    while len(edges) < count:
        source_class, type, targets = rng.choice(rules)
        edges[(rng.choice(by_class[source_class]), type, rng.choice(targets))] = None
    return [["源配置项", "类型", "目标配置项"], *[list(e) for e in edges]]


def write_files(n: int, n_relationships: int, seed: int) -> dict[str, Path]:
    from openpyxl import Workbook

    FILES.mkdir(parents=True, exist_ok=True)
    paths = {
        "csv": FILES / ("cmdb-import-%d.csv" % n),
        "relationships": FILES / ("cmdb-import-%d-relationships.csv" % n),
        "xlsx": FILES / ("cmdb-import-%d-changed.xlsx" % n),
    }
    if all(p.exists() for p in paths.values()):
        return paths
    rng = random.Random(seed)
    kinds = classes(n, rng)
    started = time.monotonic()
    with paths["csv"].open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(
            row(k, kind, random.Random(seed * 1_000_003 + k), 0) for k, kind in enumerate(kinds)
        )
    with paths["relationships"].open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerows(relationships(kinds, n_relationships, rng))
    book = Workbook(write_only=True)
    sheet = book.create_sheet("配置项")
    sheet.append(HEADER)
    for k, kind in enumerate(kinds):
        sheet.append(row(k, kind, random.Random(seed * 1_000_003 + k), 1))
    book.save(paths["xlsx"])
    say(
        "  files written in %.0f s: %s"
        % (
            time.monotonic() - started,
            ", ".join("%s %.1f MB" % (p.name, p.stat().st_size / 1e6) for p in paths.values()),
        )
    )
    return paths


def prepare_database() -> None:
    """An empty, migrated database with the organisation the files name."""
    from django.core.management import call_command
    from django.db import connection

    from bench.generate import read_meta, reset_database, write_meta
    from itsm.accounts.choices import DepartmentKind, SupportTier
    from itsm.accounts.models import Department, SupportGroup
    from itsm.cmdb.models import ConfigurationItem, Service

    if connection.introspection.table_names():
        if read_meta(META_TABLE) is None:
            raise SystemExit("This database holds data the bench did not generate.")
        reset_database()
    call_command("migrate", verbosity=0, interactive=False)
    write_meta({"state": "prepared"}, META_TABLE)
    Department.objects.bulk_create(
        Department(name="科室%02d" % k, code="D%02d" % k, kind=DepartmentKind.CLINICAL)
        for k in range(DEPARTMENTS)
    )
    SupportGroup.objects.bulk_create(
        SupportGroup(name=name, tier=SupportTier.FRONT_LINE) for name in GROUPS
    )
    Service.objects.bulk_create(
        Service(code="S%02d" % k, name="服务%02d" % k) for k in range(SERVICES)
    )
    building = ConfigurationItem.objects.create(code="BLD-1", name="门诊楼", ci_class_id="building")
    ConfigurationItem.objects.bulk_create(
        ConfigurationItem(
            code="ROOM-%03d" % k, name="房间 %03d" % k, ci_class_id="room", location=building
        )
        for k in range(ROOMS)
    )


def timed(label: str, path: Path, relationships: Path | None) -> dict[str, Any]:
    from itsm.cmdb.importing import plan_import, run_import
    from itsm.core.services import SYSTEM

    load = load_average()
    started = time.monotonic()
    plan = plan_import(path, relationships=relationships, actor=SYSTEM)
    planned = time.monotonic()
    if plan.errors:
        raise SystemExit("The generated file has errors: %s" % plan.errors[:5])
    result = run_import(plan, actor=SYSTEM)
    finished = time.monotonic()
    say(
        "  %-44s plan %5.1f s + import %5.1f s = %5.1f s  (created %d, updated %d, unchanged "
        "%d, relationships %d; load %s)"
        % (
            label,
            planned - started,
            finished - planned,
            finished - started,
            result.created,
            result.updated,
            result.unchanged,
            result.relationships,
            load,
        )
    )
    return {"label": label, "seconds": finished - started}


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    check_database_url(args.database_url)
    os.environ["ITSM_DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    import django

    django.setup()
    from django.db import connection

    from bench.__main__ import describe_engine

    say(
        "CMDB import bench: %s (%s), %d rows"
        % (args.database_url, describe_engine(connection), args.rows)
    )
    paths = write_files(args.rows, args.relationships, args.seed)
    prepare_database()
    only = {key for key in args.only.split(",") if key}
    if not only or "csv" in only:
        timed("CSV into an empty CMDB (+ relationships)", paths["csv"], paths["relationships"])
    if not only or "again" in only:
        timed("the same CSV again (idempotent)", paths["csv"], paths["relationships"])
    if not only or "xlsx" in only:
        timed(".xlsx with every row changed", paths["xlsx"], None)


if __name__ == "__main__":
    main(sys.argv[1:])

"""CMDB impact analysis at scale: 100,000 configuration items and 300,000 relationships in a
layered hospital topology, and `impact_of` timed on random items. Target (issue 4, item
12): p95 ≤ 50 ms, on SQLite and on PostgreSQL.

    python -m bench.cmdb_impact                                   # var/bench-cmdb.sqlite3
    python -m bench.cmdb_impact --database-url postgres://postgres@127.0.0.1:5432/bench_cmdb

The data lives in a database of its own (never the application's, never another bench's).
The topology, bottom up: core and distribution switches in rings, access switches (some in
the data centre) connected to two distribution switches; storage arrays; physical hosts
connected to a data-centre switch and two arrays; virtual machines hosted on a host, using
an array, backed up by another; databases running on VMs; applications running on two VMs,
depending on databases, some calling one of twenty hub applications (HIS, EMR, the
integration engine); business services depending on applications; and 85,000 endpoints
(workstations, printers, kiosks, medical device interfaces) connected to an access switch,
using applications, printers and databases. 200 items drawn at random (so mostly
endpoints, as in a real CMDB) are analysed once untimed, then timed."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from typing import Any

from bench.__main__ import PROJECT, check_database_url, say

DEFAULT_URL = "sqlite:///" + str(PROJECT / "var" / "bench-cmdb.sqlite3")
META_TABLE = "bench_cmdb_meta"
VERSION = "2"
BATCH = 5000

# (class, how many); the endpoints make up the rest of the 100,000.
LAYERS = {
    "business_service": 200,
    "application": 2000,
    "database": 1500,
    "host": 1000,
    "vm": 7000,
    "storage": 300,
    "core": 4,
    "distribution": 96,
    "access": 2700,
    "dc_access": 200,
}
ENDPOINTS = (("workstation", 60), ("printer", 12), ("kiosk", 3), ("medical_device_interface", 10))
HUBS = 20
SERVICES = 60
DEPARTMENTS = 40


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.cmdb_impact")
    parser.add_argument("--cis", type=int, default=100_000)
    parser.add_argument("--relationships", type=int, default=300_000)
    parser.add_argument(
        "--database-url", default=os.environ.get("ITSM_BENCH_CMDB_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--samples", type=int, default=200, help="timed impact analyses")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def meta() -> dict[str, str]:
    from bench.generate import read_meta

    return read_meta(META_TABLE) or {}


def write_meta(values: dict[str, str]) -> None:
    from bench import generate

    generate.write_meta(values, META_TABLE)


def plan(n_cis: int, rng: random.Random) -> tuple[list[tuple[str, str]], dict[str, list[int]]]:
    """The items as (code, class) with their ids (1-based positions) per layer."""
    items: list[tuple[str, str]] = []
    ids: dict[str, list[int]] = {}

    def add(layer: str, ci_class: str, count: int) -> None:
        first = len(items) + 1
        items.extend(("%s-%06d" % (layer.upper(), k), ci_class) for k in range(count))
        ids[layer] = list(range(first, first + count))

    classes = {
        "business_service": "business_service",
        "application": "application",
        "database": "database",
        "host": "server",
        "vm": "server",
        "storage": "storage",
        "core": "network_device",
        "distribution": "network_device",
        "access": "network_device",
        "dc_access": "network_device",
    }
    for layer, count in LAYERS.items():
        add(layer, classes[layer], count)
    rest = n_cis - len(items)
    weights = sum(w for _, w in ENDPOINTS)
    for ci_class, weight in ENDPOINTS:
        add(ci_class, ci_class, rest * weight // weights)
    add("workstation_extra", "workstation", n_cis - len(items))
    ids["workstation"] += ids.pop("workstation_extra")
    return items, ids


def edges(ids: dict[str, list[int]], total: int, rng: random.Random) -> list[tuple[int, int, str]]:
    """(source, target, type) following `itsm.cmdb.relationships.ALLOWED`, acyclic where
    the rules say so by construction (every family points down the layers)."""
    out: dict[tuple[int, int, str], None] = {}

    def add(source: int, target: int, type: str) -> None:
        if source != target:
            out[(source, target, type)] = None

    pick = rng.choice
    core, dist, access, dc = ids["core"], ids["distribution"], ids["access"], ids["dc_access"]
    for n, switch in enumerate(core):  # a ring
        add(switch, core[(n + 1) % len(core)], "connected_to")
        add(core[(n + 1) % len(core)], switch, "connected_to")
    for switch in dist:
        for target in rng.sample(core, 2):
            add(switch, target, "connected_to")
    for switch in access + dc:
        for target in rng.sample(dist, 2):
            add(switch, target, "connected_to")
    for array in ids["storage"]:
        add(array, pick(dc), "connected_to")
    for host in ids["host"]:
        add(host, pick(dc), "connected_to")
        for array in rng.sample(ids["storage"], 2):
            add(host, array, "connected_to")
    for vm in ids["vm"]:
        add(vm, pick(ids["host"]), "hosted_on")
        add(vm, pick(ids["storage"]), "uses")
        add(vm, pick(ids["storage"]), "backed_up_by")
    for database in ids["database"]:
        add(database, pick(ids["vm"]), "runs_on")
        add(database, pick(ids["storage"]), "backed_up_by")
    apps = ids["application"]
    hubs = apps[:HUBS]
    for app in apps:
        for vm in rng.sample(ids["vm"], 2):
            add(app, vm, "runs_on")
        for database in rng.sample(ids["database"], rng.randint(1, 2)):
            add(app, database, "depends_on")
        if app not in hubs and rng.random() < 0.5:
            add(app, pick(hubs), "uses")
    for service in ids["business_service"]:
        for app in rng.sample(apps, 5):
            add(service, app, "depends_on")
    for workstation in ids["workstation"]:
        add(workstation, pick(access), "connected_to")
        add(workstation, pick(ids["printer"]), "uses")
        add(workstation, pick(apps), "uses")
    for printer in ids["printer"]:
        add(printer, pick(access), "connected_to")
    for kiosk in ids["kiosk"]:
        add(kiosk, pick(access), "connected_to")
        add(kiosk, pick(apps), "depends_on")
        add(kiosk, pick(ids["printer"]), "uses")
    for interface in ids["medical_device_interface"]:
        add(interface, pick(access), "connected_to")
        add(interface, pick(apps), "depends_on")
        add(interface, pick(ids["database"]), "uses")
    endpoints = ids["workstation"] + ids["printer"] + ids["medical_device_interface"]
    while len(out) < total:  # top up with endpoints using a second application
        add(pick(endpoints), pick(apps), "uses")
    return list(out)[:total]


def generate(n_cis: int, n_relationships: int, seed: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from bench.generate import analyze, fast_writes, reset_database
    from itsm.accounts.choices import DepartmentKind
    from itsm.accounts.models import Department
    from itsm.cmdb.models import ConfigurationItem, Relationship, Service
    from itsm.cmdb.relationships import is_allowed

    if connection.introspection.table_names():
        if META_TABLE not in connection.introspection.table_names():
            raise SystemExit("This database holds data the bench did not generate.")
        reset_database()
    call_command("migrate", verbosity=0, interactive=False)
    write_meta({"state": "generating"})
    fast_writes()
    rng = random.Random(seed)
    departments = Department.objects.bulk_create(
        Department(name="科室%02d" % k, code="D%02d" % k, kind=DepartmentKind.CLINICAL)
        for k in range(DEPARTMENTS)
    )
    services = Service.objects.bulk_create(
        Service(code="S%03d" % k, name="业务服务%03d" % k) for k in range(SERVICES)
    )
    served = Service.departments.through
    served.objects.bulk_create(
        served(service_id=s.pk, department_id=d.pk)
        for s in services[SERVICES // 10 :]  # a tenth serve the whole hospital
        for d in rng.sample(departments, rng.randint(1, 6))
    )
    items, ids = plan(n_cis, rng)
    started = time.monotonic()
    with transaction.atomic():
        for first in range(0, len(items), BATCH):
            ConfigurationItem.objects.bulk_create(
                (
                    ConfigurationItem(
                        pk=first + k + 1,
                        code=code,
                        name=code,
                        ci_class_id=ci_class,
                        department_id=(
                            rng.choice(departments).pk
                            if ci_class in ("workstation", "printer", "kiosk")
                            else None
                        ),
                    )
                    for k, (code, ci_class) in enumerate(items[first : first + BATCH])
                ),
                batch_size=1000,
            )
        member = ConfigurationItem.services.through
        member.objects.bulk_create(
            (
                member(configurationitem_id=ci, service_id=rng.choice(services).pk)
                for ci in ids["business_service"] + ids["application"] + ids["database"]
            ),
            batch_size=5000,
        )
    say("  %d items in %.0f s" % (len(items), time.monotonic() - started))
    started = time.monotonic()
    relationships = edges(ids, n_relationships, rng)
    classes = {pk: ci_class for pk, (_, ci_class) in enumerate(items, start=1)}
    assert all(is_allowed(t, (classes[s],), (classes[d],)) for s, d, t in relationships)
    with transaction.atomic():
        for first in range(0, len(relationships), BATCH):
            Relationship.objects.bulk_create(
                (
                    Relationship(source_id=s, target_id=d, type=t)
                    for s, d, t in relationships[first : first + BATCH]
                ),
                batch_size=1000,
            )
    say(
        "  %d relationships in %.0f s (%s)"
        % (
            len(relationships),
            time.monotonic() - started,
            ", ".join(
                "%s %d" % kv for kv in sorted(Counter(t for _, _, t in relationships).items())
            ),
        )
    )
    if connection.vendor == "postgresql":
        # Reset the id sequence past the explicit ids written above.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('cmdb_configurationitem', 'id'), %s)",
                [len(items)],
            )
    analyze()


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    check_database_url(args.database_url)
    os.environ["ITSM_DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    import django

    django.setup()
    from django.db import connection, reset_queries

    from itsm.cmdb.models import ConfigurationItem, Relationship
    from itsm.cmdb.services import impact_of

    say("CMDB impact bench: %s (%s)" % (args.database_url, connection.vendor))
    current = meta()
    wanted = {
        "state": "complete",
        "cis": str(args.cis),
        "relationships": str(args.relationships),
        "version": VERSION,
    }
    if args.regenerate or current != wanted:
        say("Generating %d items and %d relationships …" % (args.cis, args.relationships))
        started = time.monotonic()
        generate(args.cis, args.relationships, args.seed)
        say("  generated in %.0f s" % (time.monotonic() - started))
        write_meta(wanted)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    say(
        "%d items, %d relationships"
        % (ConfigurationItem.objects.count(), Relationship.objects.count())
    )
    rng = random.Random(args.seed + 1)
    ids = list(ConfigurationItem.objects.values_list("pk", flat=True))
    sample = [ConfigurationItem.objects.get(pk=pk) for pk in rng.sample(ids, args.samples)]
    for ci in sample:  # warm: the database's pages and Python's code paths
        impact_of(ci)
    durations: list[tuple[float, Any, int, int]] = []
    for ci in sample:
        reset_queries()
        started = time.perf_counter()
        impact = impact_of(ci)
        durations.append(
            (time.perf_counter() - started, ci, len(impact.affected), len(impact.depends_on))
        )
    durations.sort(key=lambda d: d[0])
    seconds = [d[0] for d in durations]
    p95 = seconds[max(0, round(0.95 * len(seconds)) - 1)]
    say(
        "impact_of on %d random items: p50 %.1f ms, p95 %.1f ms, max %.1f ms "
        "(target: p95 ≤ 50 ms)"
        % (len(seconds), 1000 * statistics.median(seconds), 1000 * p95, 1000 * seconds[-1])
    )
    say("Slowest:")
    for took, ci, affected, depends in durations[-5:]:
        say(
            "  %6.1f ms  %-28s %7d affected, %5d depended on"
            % (1000 * took, "%s (%s)" % (ci.code, ci.ci_class), affected, depends)
        )
    for layer in ("CORE-000000", "STORAGE-000000", "APPLICATION-000000", "HOST-000000"):
        ci = ConfigurationItem.objects.get(code=layer)
        started = time.perf_counter()
        impact = impact_of(ci)
        say(
            "  one %-22s %7.1f ms: %d affected, %d services, %d departments%s"
            % (
                ci.ci_class,
                1000 * (time.perf_counter() - started),
                len(impact.affected),
                len(impact.services),
                len(impact.departments),
                " (truncated at the depth limit)" if impact.truncated else "",
            )
        )


if __name__ == "__main__":
    main(sys.argv[1:])

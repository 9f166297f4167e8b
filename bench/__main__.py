"""`make bench` / `python -m bench`: generate (or reuse) N incidents in a database of the
bench's own, start `itsm serve` on 127.0.0.1 with it, and print p50/p95 per scenario.

    python -m bench                                   # 100,000 incidents, var/bench.sqlite3
    python -m bench --incidents 1000000
    python -m bench --database-url postgres://postgres@127.0.0.1:5432/bench
    make bench BENCH_ARGS="--incidents 1000000 --diagnose"

The database is never the application's own (ITSM_DATABASE_URL): the bench refuses it, and
refuses any database holding data the bench did not generate."""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "sqlite:///" + str(PROJECT / "var" / "bench.sqlite3")
MAIN_URL = "sqlite:///" + str(PROJECT / "var" / "itsm.sqlite3")
LOCAL_HOSTS = {"", "127.0.0.1", "localhost"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--incidents", type=int, default=100_000, help="incidents to generate (default 100000)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("ITSM_BENCH_DATABASE_URL", DEFAULT_URL),
        help="the bench's own database (default ITSM_BENCH_DATABASE_URL or var/bench.sqlite3)",
    )
    parser.add_argument(
        "--requests", type=int, default=200, help="timed requests per read scenario (default 200)"
    )
    parser.add_argument(
        "--creates", type=int, default=200, help="timed sequential creates (default 200)"
    )
    parser.add_argument(
        "--seconds", type=float, default=120, help="time limit per scenario (default 120)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--regenerate", action="store_true", help="generate even if reusable")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="run ANALYZE on SQLite after generating (PostgreSQL always has "
        "statistics: autovacuum gathers them)",
    )
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated scenario keys")
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="also count each scenario's queries in-process and EXPLAIN the slowest",
    )
    parser.add_argument("--json", default="", help="write the results to this file")
    args = parser.parse_args(argv)
    if not 1 <= args.incidents <= 9_999_999:
        parser.error("--incidents must be between 1 and 9999999")
    return args


def check_database_url(url: str) -> None:
    main = os.environ.get("ITSM_DATABASE_URL", MAIN_URL)
    if url.rstrip("/") == main.rstrip("/"):
        raise SystemExit("The bench never uses the application's database (%s)." % main)
    parsed = urlparse(url)
    if parsed.scheme not in ("sqlite", "postgres", "postgresql"):
        raise SystemExit("Use a sqlite:/// or postgres:// URL.")
    if parsed.scheme != "sqlite" and (parsed.hostname or "") not in LOCAL_HOSTS:
        raise SystemExit("The bench talks to 127.0.0.1 only.")


def say(message: str) -> None:
    print(message, flush=True)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    check_database_url(args.database_url)
    only = {key for key in args.only.split(",") if key}
    if not only or "due_times" in only:  # in-process, no database: first, or alone
        from bench.sla_due import run as run_due_times

        run_due_times(seed=args.seed, say=say)
        if only == {"due_times"}:
            return
    # This process and the server it starts both use the bench database.
    os.environ["ITSM_DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from bench.generate import ensure_data

    engine = describe_engine(connection)
    say("Bench database: %s (%s)" % (args.database_url, engine))
    started = time.monotonic()
    reused = ensure_data(
        args.incidents,
        regenerate=args.regenerate,
        analyze_sqlite=args.analyze,
        seed=args.seed,
        say=say,
    )
    say(
        "%s %d incidents in %.0f s."
        % ("Reusing" if reused else "Generated", args.incidents, time.monotonic() - started)
    )
    if args.generate_only:
        return
    context = bench_context(args.incidents)
    connection.close()
    load_before = load_average()
    results = run_scenarios(args, context, settings.ITSM_DEMO_PASSWORD)
    report(args, engine, results, (load_before, load_average()))
    if args.diagnose:
        diagnose(args, context)


def describe_engine(connection: Any) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return "SQLite %s" % cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        return "PostgreSQL %s" % cursor.fetchone()[0]


def bench_context(n: int) -> Any:
    from bench.scenarios import Context
    from itsm.accounts.models import SupportGroup, User
    from itsm.cmdb.models import Service

    return Context(
        incidents=n,
        front_group=SupportGroup.objects.get(name="桌面运维组").pk,
        requester=User.objects.get(username="nurse1").pk,
        service=Service.objects.get(code="HIS").pk,
    )


def run_scenarios(args: argparse.Namespace, context: Any, password: str) -> list[Any]:
    from bench.client import Client, Server
    from bench.scenarios import (
        incident_body,
        measure,
        measure_creates,
        read_scenarios,
        vendor_body,
    )

    server = Server(args.database_url, args.workers, PROJECT / "var" / "bench-server.log")
    results = []
    try:
        say("Starting itsm serve on 127.0.0.1:%d …" % server.port)
        server.wait_ready()
        clients = {
            "agent_api": Client(server.port),
            "vendor_api": Client(server.port),
            "agent_ui": Client(server.port),
            "engineer_ui": Client(server.port),
            "admin_api": Client(server.port),
        }
        clients["agent_api"].use_token("desk1", password)
        clients["vendor_api"].use_token("vendor1", password)
        clients["agent_ui"].sign_in("desk1", password)
        clients["engineer_ui"].sign_in("eng1", password)
        clients["admin_api"].use_token("admin", password)
        only = {key for key in args.only.split(",") if key}
        rng = random.Random(args.seed)
        for scenario in read_scenarios(context):
            if only and scenario.key not in only:
                continue
            say("  %s …" % scenario.label)
            results.append(
                measure(
                    clients[scenario.who],
                    scenario,
                    requests=args.requests,
                    warmup=10,
                    seconds=args.seconds,
                    rng=rng,
                    cpu=server.cpu_seconds,
                )
            )
        creates = [
            (
                "api_create",
                "create through the API (sequential POST)",
                "agent_api",
                "/api/incidents/",
                incident_body(context),
                200,
            ),
            (
                "api_create_floor",
                "create a vendor (admin): the simplest audited write (info)",
                "admin_api",
                "/api/vendors/",
                vendor_body("%x" % time.time_ns()),
                None,
            ),
        ]
        for key, label, who, path, body, target in creates:
            if only and key not in only:
                continue
            say("  %s …" % label)
            results.append(
                measure_creates(
                    clients[who],
                    key,
                    label,
                    path,
                    body,
                    requests=args.creates,
                    warmup=5,
                    seconds=args.seconds,
                    target=target,
                    cpu=server.cpu_seconds,
                )
            )
        for client in clients.values():
            client.close()
    finally:
        server.stop()
    return results


def load_average() -> str:
    """The machine's 1-minute load: other work on a 2-CPU machine shows in every figure."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def report(
    args: argparse.Namespace, engine: str, results: list[Any], load: tuple[str, str]
) -> None:
    import django

    say("")
    say(
        "Hospital ITSM bench: %d incidents, %s, %d CPUs, Python %s, Django %s, "
        "gunicorn %d workers"
        % (
            args.incidents,
            engine,
            os.cpu_count() or 0,
            platform.python_version(),
            django.get_version(),
            args.workers,
        )
    )
    say(
        "Load average (1 min) before %s, after %s. cpu ms: the gunicorn workers' CPU time per "
        "request." % load
    )
    say(
        "%-56s %5s %7s %7s %7s %7s  %-16s %s"
        % ("scenario", "n", "p50 ms", "p95 ms", "max ms", "cpu ms", "target", "")
    )
    for result in results:
        verdict = {True: "ok", False: "MISSED", None: ""}[result.ok]
        rate = "  %.0f creates/s" % result.rate if result.rate is not None else ""
        say(
            "%-56s %5d %7.1f %7.1f %7.1f %7.1f  %-16s %s%s"
            % (
                result.label[:56],
                len(result.times),
                result.ms(0.5),
                result.ms(0.95),
                result.ms(1.0),
                result.cpu_ms or 0.0,
                result.target,
                verdict,
                rate,
            )
        )
        for error in result.errors[:3]:
            say("      ! %s" % error)
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "incidents": args.incidents,
                    "engine": engine,
                    "cpus": os.cpu_count(),
                    "workers": args.workers,
                    "requests": args.requests,
                    "load_average": {"before": load[0], "after": load[1]},
                    "at": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                    "results": [r.as_dict() for r in results],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        say("Results written to %s" % path)


def diagnose(args: argparse.Namespace, context: Any) -> None:
    """Each read scenario once more, in-process through Django's test client, with its
    queries captured: how many, how long, and the plan of the slowest."""
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    from bench.scenarios import read_scenarios
    from itsm.accounts.models import User
    from itsm.accounts.tokens import create_token

    def client_for(who: str) -> DjangoClient:
        username = {
            "agent_api": "desk1",
            "vendor_api": "vendor1",
            "agent_ui": "desk1",
            "engineer_ui": "eng1",
        }[who]
        user = User.objects.get(username=username)
        if who.endswith("_api"):
            _token, key = create_token(user, actor=user, name="bench diagnose", days=1)
            return DjangoClient(HTTP_AUTHORIZATION="Token " + key)
        client = DjangoClient()
        client.force_login(user)
        return client

    say("")
    say("Queries per request (in-process, one request each):")
    rng = random.Random(args.seed)
    for scenario in read_scenarios(context):
        client = client_for(scenario.who)
        path = scenario.path(rng)
        client.get(path)  # warm
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
        queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
        total = sum(t for t, _ in queries)
        say(
            "  %s: HTTP %d, %.1f ms, %d queries, %.1f ms in the database"
            % (path, response.status_code, elapsed, len(queries), total)
        )
        for spent, sql in sorted(queries, reverse=True)[:2]:
            say("    %.1f ms  %s" % (spent, sql[:300]))
        if queries:
            explain(connection, max(queries)[1])


def explain(connection: Any, sql: str) -> None:
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    try:
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql)
            rows = cursor.fetchall()
    except Exception as exc:  # the logged SQL is for reading; it may not run as is
        say("      (no plan: %s)" % str(exc).splitlines()[0])
        return
    for row in rows[:14]:
        say("      | %s" % " ".join(str(col) for col in row if col is not None))


if __name__ == "__main__":
    main(sys.argv[1:])

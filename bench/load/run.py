"""`make load` / `python -m bench.load.run`: mixed desk traffic from locust against
`itsm serve` on 127.0.0.1 (issue 7, item 15).

    python -m bench.load.run                          # steps, then 5 minutes at 60 users
    python -m bench.load.run --steps 40,80,120,160 --step-time 60s --users 80 --time 5m
    python -m bench.load.run --database-url postgres://postgres@127.0.0.1:5432/load

First the bench's generator fills a database of the load test's own (var/load.sqlite3 by
default, 50,000 incidents with their timelines; reused when it is there). Then `itsm serve`
starts with production settings, and locust (its CLI only, headless) runs the mix in
bench/load/locustfile.py: one step per user count to find the highest rate the server
sustains (zero errors, p95 under 500 ms), then the main run. Each simulated agent does
about one request a second, so the offered rate is about the user count.

Exit status 1 when the main run has an error, a p95 over 500 ms, or under 50 requests/s."""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.client import HOST, free_port, serve_command, stop_servers_on_sigterm, wait_serving

PROJECT = Path(__file__).resolve().parent.parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
DEFAULT_URL = "sqlite:///" + str(PROJECT / "var" / "load.sqlite3")
P95_LIMIT_MS = 500
RATE_FLOOR = 50


def say(message: str) -> None:
    print(message, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load.run", description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--incidents", type=int, default=50_000)
    parser.add_argument("--steps", default="30,60,90,120", help="user counts to step through")
    parser.add_argument("--step-time", default="60s")
    parser.add_argument("--users", type=int, default=60, help="users of the main run")
    parser.add_argument("--time", default="5m", help="length of the main run")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--tokens", type=int, default=8, help="desk agents (API tokens)")
    parser.add_argument("--pacing", type=float, default=1.0, help="seconds per user task")
    return parser.parse_args(argv)


@dataclass(frozen=True)
class Figures:
    """One locust run's aggregate, from its CSV."""

    users: int
    requests: int
    failures: int
    rate: float
    p50: float
    p95: float
    p99: float
    offered: float

    @property
    def sustained(self) -> bool:
        """No error, p95 under the limit, and the server kept up with what was offered."""
        return self.failures == 0 and self.p95 < P95_LIMIT_MS and self.rate >= 0.9 * self.offered

    def line(self) -> str:
        return "| %d | %.1f | %d | %d | %.0f | %.0f | %.0f | %s |" % (
            self.users,
            self.rate,
            self.requests,
            self.failures,
            self.p50,
            self.p95,
            self.p99,
            "yes" if self.sustained else "no",
        )


HEADER = (
    "| users | requests/s | requests | errors | p50 ms | p95 ms | p99 ms | sustained |\n"
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
)


def prepare(env: dict[str, str], args: argparse.Namespace) -> dict[str, str]:
    """Generate (or reuse) the data (its audit entries sealed), then mint API tokens for desk
    agents and read the ids the locustfile needs, in a Django process on the load
    database."""
    subprocess.run(
        [
            *(sys.executable, "-m", "bench", "--generate-only", "--only", "generate"),
            *("--incidents", str(args.incidents), "--database-url", args.database_url),
        ],
        env={k: v for k, v in env.items() if k != "ITSM_DATABASE_URL"},  # the bench's guard
        cwd=PROJECT,
        check=True,
    )
    code = """
import django, json, sys
django.setup()
from django.db.models import Max
from itsm.accounts.choices import Role
from itsm.accounts.models import SupportGroup, User
from itsm.accounts.tokens import create_token
from itsm.cmdb.models import Service
from itsm.incidents.models import Incident
agents = list(User.objects.filter(groups__name=str(Role.AGENT), is_active=True).order_by("pk"))
agents = agents or list(User.objects.filter(username="desk1"))
count = int(sys.argv[1])
chosen = [agents[i % len(agents)] for i in range(count)]
keys = [create_token(agent, actor=agent, name="load test", days=1)[1] for agent in chosen]
print(json.dumps({
    "ITSM_LOAD_TOKENS": ",".join(keys),
    "ITSM_LOAD_INCIDENTS": str(Incident.objects.aggregate(m=Max("pk"))["m"]),
    "ITSM_LOAD_GROUP": str(SupportGroup.objects.get(name="桌面运维组").pk),
    "ITSM_LOAD_REQUESTER": str(User.objects.get(username="nurse1").pk),
    "ITSM_LOAD_SERVICE": str(Service.objects.get(code="HIS").pk),
}))
"""
    done = subprocess.run(
        [sys.executable, "-c", code, str(args.tokens)],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        check=True,
    )
    import json

    values: dict[str, str] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return values


def start_server(
    env: dict[str, str], port: int, workers: int | None, log: Path
) -> subprocess.Popen[bytes]:
    stop_servers_on_sigterm()
    return subprocess.Popen(
        serve_command(port, workers=workers),
        env=env,
        cwd=PROJECT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def locust(env: dict[str, str], port: int, users: int, run_time: str, prefix: Path) -> Figures:
    """One headless locust run; all users start within 10 seconds."""
    subprocess.run(
        [
            *(sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"),
            *("-u", str(users), "-r", str(max(1, users // 10)), "-t", run_time),
            *("--host", "http://%s:%d" % (HOST, port), "--csv", str(prefix)),
            *("--only-summary", "--exit-code-on-error", "0", "--loglevel", "WARNING"),
        ],
        env=env,
        cwd=PROJECT,
        check=True,
    )
    with Path(str(prefix) + "_stats.csv").open(newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    with Path(str(prefix) + "_failures.csv").open(newline="") as handle:
        for failure in list(csv.DictReader(handle))[:5]:
            say(
                "    ! %s %s: %s (%s×)"
                % (
                    failure["Method"],
                    failure["Name"],
                    failure["Error"][:150],
                    failure["Occurrences"],
                )
            )
    return Figures(
        users=users,
        requests=int(row["Request Count"]),
        failures=int(row["Failure Count"]),
        rate=float(row["Requests/s"]),
        p50=float(row["50%"]),
        p95=float(row["95%"]),
        p99=float(row["99%"]),
        offered=users / float(env["ITSM_LOAD_PACING"]),
    )


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.database_url.rstrip("/") == os.environ.get("ITSM_DATABASE_URL", "").rstrip("/"):
        raise SystemExit("The load test never uses the application's database.")
    env = {
        **os.environ,
        "ITSM_DATABASE_URL": args.database_url,
        "ITSM_DEBUG": "0",
        "ITSM_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "itsm.settings",
        "ITSM_LOAD_PACING": str(args.pacing),
    }
    say("Preparing %s …" % args.database_url)
    env.update(prepare(env, args))
    port = free_port()
    directory = Path(tempfile.mkdtemp(prefix="itsm-load-"))
    say("Starting itsm serve on %s:%d (log: %s) …" % (HOST, port, directory / "server.log"))
    server = start_server(env, port, args.workers, directory / "server.log")
    try:
        # collectstatic compresses every static file again first: a minute or more.
        wait_serving(server, port, timeout=900, log=directory / "server.log")
        say("Load average before: %s; %d CPUs" % (load_average(), os.cpu_count() or 0))
        steps = [int(n) for n in args.steps.split(",") if n]
        results = []
        for users in steps:
            say("  step: %d users for %s …" % (users, args.step_time))
            results.append(locust(env, port, users, args.step_time, directory / ("step%d" % users)))
            say("  " + results[-1].line())
        say("  main run: %d users for %s …" % (args.users, args.time))
        main_run = locust(env, port, args.users, args.time, directory / "main")
    finally:
        server.terminate()
        server.wait(timeout=60)
    best = max((r for r in results if r.sustained), key=lambda r: r.rate, default=None)
    say("")
    say("Load average after: %s" % load_average())
    say("Steps (%s each):" % args.step_time)
    say(HEADER)
    for result in results:
        say(result.line())
    say("")
    say(
        "Highest sustained step: %s"
        % ("%.1f requests/s with %d users" % (best.rate, best.users) if best else "none")
    )
    say("Main run (%s, %d users):" % (args.time, args.users))
    say(HEADER)
    say(main_run.line())
    ok = main_run.failures == 0 and main_run.p95 < P95_LIMIT_MS and main_run.rate >= RATE_FLOOR
    say("Verdict: %s" % ("ok" if ok else "MISSED (zero errors, p95 < 500 ms, ≥ 50 requests/s)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

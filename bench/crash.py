"""`make crashtest` / `python -m bench.crash`: nothing acknowledged is lost when the power
goes (issue 7, item 14).

A few client threads log incidents through the API (POST /api/incidents/ with a token,
each assigned to a group, so that its assignee's notification is queued) against
`itsm serve`, and at a random moment the server's whole process group is killed with
SIGKILL; on PostgreSQL the database server is killed with it (every process of the
instance, as when the machine loses power). Then everything is started again and every
incident whose creation was acknowledged (HTTP 201) must be there, with its creation audit
entry, its in-app notification, its e-mail delivery and the queued task that sends it (all
written in log_incident's transaction), and SQLite's `PRAGMA integrity_check` must say ok.

    python -m bench.crash                        # 20 rounds on SQLite
    python -m bench.crash --postgres             # 20 rounds on a private PostgreSQL
    python -m bench.crash --rounds 3 --clients 2

Everything lives in a temporary directory: a SQLite file, or a PostgreSQL instance of its
own (initdb, on a free port, run as the postgres user when started as root), so the run
never touches the application's database or a shared PostgreSQL server. Exit status 1 when
anything acknowledged is missing."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.client import HOST, free_port, serve_command, wait_serving

PROJECT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("ITSM_PG_BIN", "/usr/lib/postgresql/15/bin"))
INITDB_OPTIONS = ("-E", "UTF8", "--locale=C.UTF-8", "--no-sync")


def say(message: str) -> None:
    print(message, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.crash", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4, help="client threads (default 4)")
    parser.add_argument(
        "--postgres", action="store_true", help="a private PostgreSQL instead of SQLite"
    )
    parser.add_argument(
        "--max-delay",
        type=float,
        default=3.0,
        help="kill within this many seconds of the first create acknowledged",
    )
    parser.add_argument("--seed", type=int, default=None)
    return parser.parse_args(argv)


# The databases ---------------------------------------------------------------------------


class SqliteDatabase:
    """A SQLite file in the run's directory; killing the server is the whole crash."""

    name = "SQLite"

    def __init__(self, directory: Path) -> None:
        self.url = "sqlite:///%s" % (directory / "crash.sqlite3")

    def start(self) -> None:
        return None

    def crash(self) -> None:
        return None

    def stop(self) -> None:
        return None


def pg(program: str, *args: str) -> list[str]:
    """A PostgreSQL program's command line. PostgreSQL refuses to run as root: as root,
    its programs run as the postgres user."""
    command = [str(PG_BIN / program), *args]
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PrivatePostgres:
    """A PostgreSQL instance of this run's own (initdb in the run's directory, a free port,
    trust authentication on 127.0.0.1 only), so that killing it disturbs nobody."""

    name = "PostgreSQL (private instance)"

    def __init__(self, directory: Path) -> None:
        self.data = directory / "pgdata"
        self.sockets = directory / "pgsock"
        self.log = directory / "postgres.log"
        self.port = free_port()
        self.url = "postgres://postgres@%s:%d/crashtest" % (HOST, self.port)
        self.sockets.mkdir()
        self.data.mkdir(mode=0o700)
        directory.chmod(0o755)  # the postgres user must reach its directories
        if os.geteuid() == 0:
            shutil.chown(self.sockets, "postgres")
            shutil.chown(self.data, "postgres")
            self.log.touch()
            shutil.chown(self.log, "postgres")
        subprocess.run(
            pg("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", *INITDB_OPTIONS),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        options = "-p %d -k %s -c listen_addresses=%s" % (self.port, self.sockets, HOST)
        subprocess.run(
            [
                *pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options),
                *("-w", "-t", "300", "start"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            pg("psql", "-h", HOST, "-p", str(self.port), "-U", "postgres", "-qtAc", "SELECT 1"),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def create_database(self) -> None:
        subprocess.run(
            pg("createdb", "-h", HOST, "-p", str(self.port), "-U", "postgres", "crashtest"),
            check=True,
        )

    def crash(self) -> None:
        """SIGKILL to the postmaster and every process it started: a power cut, as far as
        PostgreSQL can tell. The next start recovers from the write-ahead log."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        victims = [pid, *children_of(pid)]
        for victim in victims:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 30
        while any(alive(v) for v in victims) and time.monotonic() < deadline:
            time.sleep(0.05)
        # A killed postmaster may linger as a zombie nobody reaps (pg_ctl daemonised it),
        # and its PID in the lock files would stop the restart; after a real power cut no
        # such process exists, so the stale lock files go, as an administrator would do.
        if not alive(pid):
            for lock in [self.data / "postmaster.pid", *self.sockets.glob(".s.PGSQL.*")]:
                lock.unlink(missing_ok=True)

    def stop(self) -> None:
        subprocess.run(
            pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return stat[0] != "Z"


# The server and its clients ----------------------------------------------------------------


def start_server(env: dict[str, str], port: int, log: Any) -> subprocess.Popen[bytes]:
    """`itsm serve` in a process group of its own, so one killpg takes every worker."""
    return subprocess.Popen(
        serve_command(port, workers=2, threads=2),
        env=env,
        cwd=PROJECT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@dataclass
class Tally:
    """What the clients saw: the incidents acknowledged with a 201, and everything else."""

    acknowledged: list[tuple[int, str]] = field(default_factory=list)
    refused: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self, pk: int, number: str) -> None:
        with self.lock:
            self.acknowledged.append((pk, number))

    def refuse(self, status: int) -> None:
        with self.lock:
            self.refused[status] = self.refused.get(status, 0) + 1


def create_load(port: int, setup: dict[str, Any], tally: Tally, stop: threading.Event) -> None:
    """Log incidents one after another until told to stop. Only a complete 201 response
    counts as acknowledged; a connection cut mid-request proves nothing either way."""
    headers = {
        "Authorization": "Token " + setup["token"],
        "Content-Type": "application/json",
        "Accept-Language": "zh-hans",
    }
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    n = 0
    while not stop.is_set():
        n += 1
        body = {
            "title": "断电测试 %s-%d 急诊分诊台打印机不出纸" % (threading.get_ident() % 1000, n),
            "description": "崩溃安全测试",
            "impact": 3,
            "urgency": 3,
            "assignment_group": setup["group"],
        }
        try:
            connection.request("POST", "/api/incidents/", json.dumps(body), headers)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=10)
            time.sleep(0.05)
            continue
        if response.status == 201:
            created = json.loads(data)
            tally.ack(int(created["id"]), str(created["number"]))
        else:
            tally.refuse(response.status)
    connection.close()


# Inside the database: set-up and verification (run as subprocesses with Django) -----------


def prepare() -> dict[str, Any]:
    """A desk agent with an API token, and a front-line group whose engineer has an e-mail
    address: every incident assigned to it queues an e-mail for him."""
    from django.contrib.auth.models import Group

    from itsm.accounts.choices import Role, SupportTier
    from itsm.accounts.models import SupportGroup, User
    from itsm.accounts.tokens import create_token

    agent = User.objects.create_user("crash_agent", password=secrets.token_urlsafe(16))
    agent.groups.set([Group.objects.get(name=str(Role.AGENT))])
    engineer = User.objects.create_user(
        "crash_engineer", password=secrets.token_urlsafe(16), email="engineer@example.org"
    )
    engineer.groups.set([Group.objects.get(name=str(Role.FRONT_LINE))])
    group = SupportGroup.objects.create(name="桌面运维组", tier=SupportTier.FRONT_LINE)
    group.members.add(engineer)
    _token, key = create_token(agent, actor=agent, name="crashtest", days=1)
    return {"token": key, "group": group.pk}


def verify(acknowledged: list[list[Any]]) -> dict[str, Any]:
    """Which acknowledged incidents lack the row, its creation audit entry, its
    notification, its e-mail delivery or the queued task for that delivery; and the
    database's own integrity check (SQLite)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from itsm.core.models import AuditEntry, Delivery, Notification
    from itsm.incidents.models import Incident

    kind = ContentType.objects.get_for_model(Incident)
    ids = [int(pk) for pk, _number in acknowledged]
    numbers = dict(Incident.objects.filter(pk__in=ids).values_list("pk", "number"))
    audited = set(
        AuditEntry.objects.filter(
            content_type=kind, object_id__in=ids, action="create"
        ).values_list("object_id", flat=True)
    )
    notified = set(
        Notification.objects.filter(content_type=kind, object_id__in=ids).values_list(
            "object_id", flat=True
        )
    )
    deliveries = dict(
        Delivery.objects.filter(content_type=kind, object_id__in=ids).values_list("pk", "object_id")
    )
    queued: set[int] = set()
    for args in DBTaskResult.objects.filter(task_path__endswith="deliver_all").values_list(
        "args_kwargs", flat=True
    ):
        queued.update(args["args"][0])
    delivered = set(deliveries.values())
    queued_for = {deliveries[pk] for pk in queued if pk in deliveries}
    missing: dict[str, list[str]] = {}
    for pk, number in acknowledged:
        lacks = [
            what
            for what, ok in (
                ("incident", numbers.get(pk) == number),
                ("audit entry", pk in audited),
                ("notification", pk in notified),
                ("delivery", pk in delivered),
                ("queued task", pk in queued_for),
            )
            if not ok
        ]
        if lacks:
            missing[number] = lacks
    integrity = "n/a"
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            integrity = ", ".join(row[0] for row in cursor.fetchall())
    duplicates = Incident.objects.count() - len(set(Incident.objects.values_list("number")))
    return {"missing": missing, "integrity": integrity, "duplicate_numbers": duplicates}


def in_django(command: str, env: dict[str, str], payload: Any = None) -> Any:
    """Run prepare or verify in a fresh process on the run's database."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.crash", "--internal", command],
        env=env,
        cwd=PROJECT,
        input=json.dumps(payload).encode(),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr.decode(errors="replace")[-3000:])
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def internal(command: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    django.setup()
    payload = json.loads(sys.stdin.read() or "null")
    result = prepare() if command == "prepare" else verify(payload)
    print(json.dumps(result, ensure_ascii=False))


# The run ----------------------------------------------------------------------------------


def run(args: argparse.Namespace, directory: Path) -> int:
    rng = random.Random(args.seed)
    database: SqliteDatabase | PrivatePostgres = (
        PrivatePostgres(directory) if args.postgres else SqliteDatabase(directory)
    )
    env = {
        **os.environ,
        "ITSM_DATABASE_URL": database.url,
        "ITSM_VAR_DIR": str(directory / "var"),
        "ITSM_SECRET_KEY": secrets.token_urlsafe(40),
        # With ITSM_DEBUG=0 every start of `itsm serve` runs collectstatic, which compresses
        # every static file again (a minute or more on a busy 2-core machine, at each of
        # the rounds); the write path under test is the same either way.
        "ITSM_DEBUG": "1",
        "ITSM_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "itsm.settings",
    }
    database.start()
    try:
        if isinstance(database, PrivatePostgres):
            database.create_database()
        subprocess.run(
            [sys.executable, "-m", "itsm", "migrate", "--no-input", "-v", "0"],
            env=env,
            cwd=PROJECT,
            check=True,
        )
        setup = in_django("prepare", env)
        return rounds(args, rng, database, env, setup, directory)
    finally:
        database.stop()


def rounds(
    args: argparse.Namespace,
    rng: random.Random,
    database: SqliteDatabase | PrivatePostgres,
    env: dict[str, str],
    setup: dict[str, Any],
    directory: Path,
) -> int:
    tally = Tally()
    lost: dict[str, list[str]] = {}
    integrity_failures = 0
    started = time.monotonic()
    with (directory / "server.log").open("ab") as log:
        for number in range(1, args.rounds + 1):
            port = free_port()
            server = start_server(env, port, log)
            wait_serving(server, port, timeout=120)
            before = len(tally.acknowledged)
            stop = threading.Event()
            clients = [
                threading.Thread(target=create_load, args=(port, setup, tally, stop))
                for _ in range(args.clients)
            ]
            for client in clients:
                client.start()
            # The kill comes at a random moment once creates are being acknowledged, so
            # that every round kills a server in the middle of writing.
            deadline = time.monotonic() + 120
            while len(tally.acknowledged) == before and time.monotonic() < deadline:
                time.sleep(0.01)
            delay = rng.uniform(0, args.max_delay)
            time.sleep(delay)
            os.killpg(server.pid, signal.SIGKILL)
            database.crash()
            server.wait()
            stop.set()
            for client in clients:
                client.join()
            database.start()
            result = in_django("verify", env, tally.acknowledged)
            lost = result["missing"]
            integrity_failures += result["integrity"] not in ("ok", "n/a")
            say(
                "round %2d: killed %.2f s into the load, %3d acknowledged (%d in all), lost %d, "
                "integrity %s"
                % (
                    number,
                    delay,
                    len(tally.acknowledged) - before,
                    len(tally.acknowledged),
                    len(lost),
                    result["integrity"],
                )
            )
            if result["duplicate_numbers"]:
                integrity_failures += 1
                say("  ! %d duplicate incident numbers" % result["duplicate_numbers"])
    for number_, lacks in list(lost.items())[:20]:
        say("  ! %s lacks %s" % (number_, ", ".join(lacks)))
    say("")
    say(
        "Crash safety on %s: %d rounds in %.0f s, %d acknowledged, %d verified, lost %d; "
        "integrity %s; other responses %s"
        % (
            database.name,
            args.rounds,
            time.monotonic() - started,
            len(tally.acknowledged),
            len(tally.acknowledged) - len(lost),
            len(lost),
            "ok" if not integrity_failures else "FAILED %d times" % integrity_failures,
            dict(sorted(tally.refused.items())) or "none",
        )
    )
    return 1 if lost or integrity_failures or not tally.acknowledged else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--internal"]:
        internal(argv[1])
        return 0
    args = parse_args(argv)
    if args.postgres and not (PG_BIN / "initdb").exists():
        raise SystemExit("No PostgreSQL programs in %s (set ITSM_PG_BIN)." % PG_BIN)
    directory = Path(tempfile.mkdtemp(prefix="itsm-crash-"))
    try:
        return run(args, directory)
    except BaseException:
        for name in ("server.log", "postgres.log"):
            if (directory / name).exists():
                say("--- %s (end) ---" % name)
                say((directory / name).read_text(errors="replace")[-3000:])
        raise
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

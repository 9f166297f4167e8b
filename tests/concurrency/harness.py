"""The concurrency harness: real processes, each with its own database connection, working
on the test database at the same moment; and `itsm serve` on 127.0.0.1 for the HTTP runs.

The test process seeds the test database (a transactional test: the rows are committed),
then `publish` gives the URL other processes open: PostgreSQL's test database as it is;
SQLite's in-memory test database copied to a file first (the backup API), since another
process cannot open memory. Results are read back through a process on that URL too, so
both engines are checked the same way.

Sizes come from the environment (`make concurrency` runs the full sizes):
ITSM_CONCURRENCY_PROCESSES (8), ITSM_CONCURRENCY_UPDATES (updates per process, 100 through
the services), ITSM_CONCURRENCY_HTTP_UPDATES (per process over HTTP) and
ITSM_CONCURRENCY_CREATES (creates over HTTP)."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from bench.client import Client, free_port, serve_command, wait_serving

PROJECT_DIR = Path(__file__).resolve().parents[2]


def size(name: str, default: int) -> int:
    return int(os.environ.get("ITSM_CONCURRENCY_" + name, default))


def publish(folder: Path) -> str:
    """The test database's URL for other processes, with everything committed so far."""
    if connection.vendor == "sqlite":
        path = folder / "shared.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        return "sqlite:///" + str(path)
    db = settings.DATABASES["default"]
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    return "postgres://%s@%s:%s/%s" % (
        credentials,
        db["HOST"] or "127.0.0.1",
        db["PORT"] or 5432,
        db["NAME"],
    )


# Worker processes ----------------------------------------------------------------------

_barrier: Any = None


def _start(database_url: str, barrier: Any) -> None:
    """A fresh interpreter (spawn) on the shared database: Django set up and its own
    connection opened now, before the run's processes are released together (SQLite can
    refuse a connection's set-up pragmas, without waiting, while others write)."""
    global _barrier
    _barrier = barrier
    os.environ["ITSM_DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "itsm.settings"
    import django

    django.setup()
    connection.ensure_connection()


def together() -> None:
    """Wait until every process of the run is ready, so they really run at once."""
    if _barrier is not None:
        _barrier.wait()


def run_processes(
    database_url: str, work: Callable[..., Any], arguments: list[tuple[Any, ...]]
) -> list[Any]:
    """`work(*args)` in one process per argument tuple, all released together; their
    results in order. A worker's exception fails the run."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(arguments))
    with context.Pool(len(arguments), initializer=_start, initargs=(database_url, barrier)) as pool:
        return pool.starmap(work, arguments, chunksize=1)


def run_in(database_url: str, work: Callable[..., Any], *args: Any) -> Any:
    """`work(*args)` in one process on the shared database (to read results back)."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, initializer=_start, initargs=(database_url, None)) as pool:
        return pool.apply(work, args)


# The live server ---------------------------------------------------------------------


@contextmanager
def live_server(database_url: str, log: Path, workers: int = 2) -> Iterator[int]:
    """`itsm serve` (gunicorn) on a free port of 127.0.0.1 with the shared database; its
    port. ITSM_DEBUG=1 only spares the start its collectstatic (the API does not serve
    static files); stopped, and its connections closed, on leaving."""
    port = free_port()
    env = {
        **os.environ,
        "ITSM_DATABASE_URL": database_url,
        "ITSM_DEBUG": "1",
        "ITSM_LOG_LEVEL": "WARNING",
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            serve_command(port, workers=workers, threads=1),
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_DIR,
        )
        try:
            wait_serving(process, port, timeout=600, log=log)
            yield port
        finally:
            process.terminate()  # gunicorn's master stops its workers on SIGTERM
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def api_client(port: int, key: str) -> Client:
    client = Client(port)
    client.headers["Authorization"] = "Token " + key
    return client


def send_json(client: Client, method: str, path: str, data: Any, **headers: str) -> Any:
    return client.request(
        method, path, json.dumps(data).encode(), {"Content-Type": "application/json", **headers}
    )

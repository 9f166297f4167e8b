"""A small HTTP client for the bench (one kept-alive connection, cookies, CSRF) and the
`itsm serve` subprocess it talks to. Only ever 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HOST = "127.0.0.1"


class Response:
    def __init__(self, status: int, body: bytes, seconds: float) -> None:
        self.status = status
        self.body = body
        self.seconds = seconds

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """Sequential requests over one keep-alive connection, reconnecting when the server
    closed it between requests (only the successful attempt is timed)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {}
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        sent = {"Accept-Language": "zh-hans", **self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join("%s=%s" % item for item in self.cookies.items())
        for attempt in (1, 2):
            try:
                started = time.perf_counter()
                self.connection.request(method, path, body=body, headers=sent)
                response = self.connection.getresponse()
                data = response.read()
                seconds = time.perf_counter() - started
                break
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return Response(response.status, data, seconds)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post_json(self, path: str, data: dict[str, Any]) -> Response:
        return self.request(
            "POST", path, json.dumps(data).encode(), {"Content-Type": "application/json"}
        )

    def sign_in(self, username: str, password: str) -> None:
        """A browser session: the login form with its CSRF token."""
        self.get("/login/")
        token = self.cookies.get("csrftoken", "")
        body = urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        response = self.request(
            "POST", "/login/", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if response.status != 302 or "sessionid" not in self.cookies:
            raise SystemExit("Could not sign in as %s (HTTP %d)." % (username, response.status))

    def use_token(self, username: str, password: str) -> None:
        response = self.post_json("/api/auth/token/", {"username": username, "password": password})
        if response.status != 200:
            raise SystemExit("No API token for %s (HTTP %d)." % (username, response.status))
        self.headers["Authorization"] = "Token " + response.json()["token"]

    def close(self) -> None:
        self.connection.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _exit(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def stop_servers_on_sigterm() -> None:
    """A SIGTERM to a bench program (a timeout, `kill`) ends it as an exception does,
    through the `finally` that stops its server: Python's own SIGTERM ends the process at
    once and leaves `itsm serve` running, holding its database connections."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _exit)


def serve_command(
    port: int, *, workers: int | None = None, threads: int | None = None
) -> list[str]:
    """The command line of `itsm serve` on 127.0.0.1:`port`."""
    command = [sys.executable, "-m", "itsm", "serve", "--bind", "%s:%d" % (HOST, port)]
    if workers:
        command += ["--workers", str(workers)]
    if threads:
        command += ["--threads", str(threads)]
    return command


def wait_serving(
    process: subprocess.Popen[bytes], port: int, *, timeout: float, log: Path | None = None
) -> None:
    """Return once the server answers its sign-in page; RuntimeError (with the end of its
    log) if it exits or does not answer within `timeout` seconds."""

    def failed(why: str) -> RuntimeError:
        tail = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""
        return RuntimeError("itsm serve %s%s" % (why, "\n" + tail if tail else ""))

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise failed("exited with %s" % process.returncode)
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=10)
            connection.request("GET", "/login/")
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise failed("did not answer within %d s" % timeout)


class Server:
    """`itsm serve` (gunicorn, production settings) on 127.0.0.1 with the bench database,
    started and stopped by the bench; its log goes to var/bench-server.log."""

    def __init__(self, database_url: str, workers: int, log: Path) -> None:
        stop_servers_on_sigterm()
        self.port = free_port()
        self.log_path = log
        env = {
            **os.environ,
            "ITSM_DATABASE_URL": database_url,
            "ITSM_DEBUG": "0",
            "ITSM_LOG_LEVEL": "WARNING",
        }
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            serve_command(self.port, workers=workers, threads=1),
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parent.parent,
        )

    def wait_ready(self, timeout: float = 180) -> None:
        wait_serving(self.process, self.port, timeout=timeout, log=self.log_path)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the gunicorn workers: what the requests
        cost the server, whatever else the machine is busy with."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:  # fields[1] is the parent pid
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # gunicorn's master stops its workers on SIGTERM
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

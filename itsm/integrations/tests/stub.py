"""A chat-robot server for tests: a real HTTP server on 127.0.0.1 in a thread, which records
what it receives and answers as it is told (an errcode, a code, an HTTP status)."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    content_type: str
    body: Any


class RobotStub:
    def __init__(self, answer: dict[str, Any] | None = None, status: int = 200) -> None:
        self.answer = {"errcode": 0, "errmsg": "ok"} if answer is None else answer
        self.status = status
        self.received: list[Received] = []

    def __enter__(self) -> RobotStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = urlsplit(self.path)
                stub.received.append(
                    Received(
                        path=parts.path,
                        query=parse_qs(parts.query),
                        content_type=self.headers.get("Content-Type", ""),
                        body=json.loads(raw),
                    )
                )
                data = json.dumps(stub.answer).encode()
                self.send_response(stub.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def url(self, path: str = "/robot/send?access_token=T0KEN") -> str:
        return "http://127.0.0.1:%d%s" % (self.server.server_address[1], path)


def refused_url() -> str:
    """An address on 127.0.0.1 where nothing listens: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return "http://127.0.0.1:%d/cgi-bin/webhook/send?key=K3Y" % port

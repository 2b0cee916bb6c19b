"""The threaded HTTP server every peer runs on, with recording and injected failures."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from musubi.devtools.packages import free_port


@dataclass
class Reply:
    """What a peer answers: status, headers and a body (JSON-encoded when not bytes)."""

    status: int
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, ensure_ascii=False).encode()


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections
    # one write per response and no Nagle delay: otherwise each keep-alive request stalls ~40 ms
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(self.command, self.path, headers, self.rfile.read(length))
        reply = self.server.peer.dispatch(request)
        payload = reply.encoded()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if not isinstance(reply.body, bytes):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a benchmark sends thousands of requests."""


class Peer:
    """Base of the peers: start/stop a threaded server; ``fail_next`` injects provider errors."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._failures: list[Reply] = []
        self._server: _Server | None = None
        self.port = 0

    def handle(self, request: Request) -> Reply:
        """Answer one request (subclasses speak their provider's protocol)."""
        raise NotImplementedError

    def dispatch(self, request: Request) -> Reply:
        with self.lock:
            injected = self._failures.pop(0) if self._failures else None
        return injected or self.handle(request)

    def fail_next(self, count: int, status: int = 429, retry_after: int | None = None) -> None:
        """Answer the next ``count`` requests with ``status`` (e.g. a 429 storm)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {"message": "The API rate limit has been exceeded. Try again later."}
        with self.lock:
            self._failures.extend(Reply(status, body, headers) for _ in range(count))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, port: int = 0) -> Self:
        self.port = port or free_port()
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.peer = self
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

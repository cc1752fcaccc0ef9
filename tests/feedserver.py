"""A local HTTP feed server for collector tests: scripted answers, hostile behaviours.

Each path gets a handler: a fixed `Reply`, a `Script` of replies consumed in order (the
last repeats), a `StaticFeed` that does conditional GET like a real server, or a behaviour
(`Drip`, `Stall`). Every request is recorded with its headers, so tests assert what the
collector sent (If-None-Match, User-Agent...) as well as what it did with the answer.
Binds 127.0.0.1 only.
"""

from __future__ import annotations

import email.utils
import gzip
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import pytest


@dataclass
class Request:
    path: str
    headers: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_length: bool = True  # False: close-delimited body, no Content-Length


@dataclass
class Drip:
    """Headers at once, then one byte every `interval` seconds, up to `total` bytes."""

    total: int = 10_000
    interval: float = 0.05
    sent: int = 0
    client_gone: threading.Event = field(default_factory=threading.Event)


@dataclass
class Stall:
    """Accept the request and never answer (until the server stops)."""

    requests: int = 0


class Script:
    """Replies in order; the last one repeats."""

    def __init__(self, *replies) -> None:
        self.replies = list(replies)
        self.count = 0

    def __call__(self, request: Request):
        reply = self.replies[min(self.count, len(self.replies) - 1)]
        self.count += 1
        return reply


class StaticFeed:
    """A document served with ETag and Last-Modified, answering 304 when they match."""

    def __init__(self, body: bytes, *, etag: str | None = '"v1"',
                 last_modified: str | None = "Mon, 02 Feb 2026 10:00:00 GMT",
                 content_type: str = "application/rss+xml; charset=utf-8") -> None:
        self.body, self.etag, self.last_modified = body, etag, last_modified
        self.content_type = content_type
        self.served_200 = 0
        self.served_304 = 0

    def update(self, body: bytes, etag: str | None = None,
               last_modified: str | None = None) -> None:
        self.body = body
        self.etag = etag
        self.last_modified = last_modified

    def __call__(self, request: Request) -> Reply:
        headers = {}
        if self.etag:
            headers["ETag"] = self.etag
        if self.last_modified:
            headers["Last-Modified"] = self.last_modified
        inm = request.headers.get("if-none-match")
        ims = request.headers.get("if-modified-since")
        if (self.etag and inm == self.etag) or (
                not inm and self.last_modified and ims == self.last_modified):
            self.served_304 += 1
            return Reply(304, b"", headers)
        self.served_200 += 1
        return Reply(200, self.body, {**headers, "Content-Type": self.content_type})


def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes, gzip-compressed (about 1000:1)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1 << 20)
    parts = [comp.compress(block) for _ in range(size // len(block))]
    parts.append(comp.flush())
    return b"".join(parts)


def gzipped(body: bytes) -> bytes:
    return gzip.compress(body)


def http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


Handler = Callable[[Request], object]


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Handler | object] = {}
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()})
                server.requests.append(request)
                route = server.routes.get(self.path.split("?", 1)[0])
                answer: object = Reply(404, b"not found") if route is None else route
                while not isinstance(answer, (Reply, Drip, Stall)):
                    answer = answer(request)  # a handler, a Script, a StaticFeed...
                try:
                    server._answer(self, answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def requests_for(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, h: BaseHTTPRequestHandler, answer: object) -> None:
        if isinstance(answer, Stall):
            answer.requests += 1
            self.stopping.wait(60)
            return
        if isinstance(answer, Drip):
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Content-Length", str(answer.total))
            h.end_headers()
            h.wfile.flush()
            try:
                while answer.sent < answer.total and not self.stopping.is_set():
                    h.wfile.write(b" ")
                    h.wfile.flush()
                    answer.sent += 1
                    time.sleep(answer.interval)
            except (BrokenPipeError, ConnectionResetError):
                answer.client_gone.set()
            return
        assert isinstance(answer, Reply), answer
        h.send_response(answer.status)
        for key, value in answer.headers.items():
            h.send_header(key, value)
        if answer.content_length and answer.status not in (304,):
            h.send_header("Content-Length", str(len(answer.body)))
        h.end_headers()
        if answer.body and answer.status != 304:
            view = memoryview(answer.body)
            for i in range(0, len(view), 1 << 16):
                h.wfile.write(view[i:i + (1 << 16)])


@pytest.fixture
def feed_server():
    server = FeedServer()
    yield server
    server.stop()

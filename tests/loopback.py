"""A real HTTP server on 127.0.0.1 that serves recorded fixtures, for source tests.

Routes map a path to a :class:`Route` (status, body, headers, an optional
delay) or to a function of the request. Every request is recorded, so tests
can check what was sent (for example If-None-Match).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parent / "data" / "sources"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    drip: float = 0.0  # seconds between 1 KB chunks
    header_drip: float = 0.0  # seconds between header lines (the headers never seem to end)
    header_lines: int = 0  # how many made-up header lines to drip before the real ones


@dataclass
class Request:
    path: str
    headers: dict[str, str]


Handler = Callable[[Request], Route]


class Loopback:
    def __init__(self) -> None:
        self.routes: dict[str, Route | Handler] = {}
        self.requests: list[Request] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()})
                server.requests.append(request)
                path = self.path.split("?", 1)[0]
                target = server.routes.get(self.path) or server.routes.get(path)
                route = (
                    Route(b"not found", 404)
                    if target is None
                    else target(request)
                    if callable(target)
                    else target
                )
                if route.delay:
                    time.sleep(route.delay)
                try:
                    if route.header_drip:
                        self._drip_headers(route)
                        return
                    self.send_response(route.status)
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    if "content-length" not in {k.lower() for k in route.headers}:
                        self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    if route.drip:
                        for start in range(0, len(route.body), 1024):
                            self.wfile.write(route.body[start : start + 1024])
                            self.wfile.flush()
                            time.sleep(route.drip)
                    else:
                        self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _drip_headers(self, route: Route) -> None:
                self.wfile.write(f"HTTP/1.1 {route.status} OK\r\n".encode())
                for n in range(route.header_lines):
                    self.wfile.write(f"X-Slow-{n}: still here\r\n".encode())
                    self.wfile.flush()
                    time.sleep(route.header_drip)
                self.wfile.write(f"Content-Length: {len(route.body)}\r\n\r\n".encode() + route.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, route: Route | Handler) -> str:
        self.routes[path] = route
        return self.url(path)

    def serve_file(self, path: str, name: str, content_type: str, **headers: str) -> str:
        body = (FIXTURES / name).read_bytes()
        return self.serve(path, Route(body, headers={"Content-Type": content_type, **headers}))


@contextmanager
def loopback_server() -> Iterator[Loopback]:
    server = Loopback()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()

"""A real HTTP endpoint for SNS to deliver to: it records each request and answers with the status it is told."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: str


@dataclass
class Endpoint:
    url: str
    received: queue.Queue[Received] = field(default_factory=queue.Queue)
    status: list[int] = field(default_factory=lambda: [200])  # the answer to every request, changeable

    def next(self, timeout: float = 20.0) -> Received:
        return self.received.get(timeout=timeout)


@contextmanager
def endpoint(port: int = 0, into: Endpoint | None = None) -> Iterator[Endpoint]:
    """An endpoint on `port` (0: a free one), recording into `into` when given (to outlive a restart)."""
    found: list[Endpoint] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length).decode()
            found[0].received.put(Received({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(found[0].status[0])
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer.request_queue_size = 1024  # SNS delivers many at once
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    found.append(into or Endpoint(f"http://127.0.0.1:{server.server_address[1]}/hook"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found[0]
    finally:
        server.shutdown()
        server.server_close()

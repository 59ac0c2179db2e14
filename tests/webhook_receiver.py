"""A webhook receiver on loopback for the tests: records each request, answers as told."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from attrs import frozen


@frozen
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """Answers 204, or the statuses queued in ``plan`` first (``"hang"``: no answer for a while)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.plan: list[int | str] = []
        self.hang_seconds = 2.0
        self.after: Callable[[int], None] | None = None
        self.status_for: Callable[[bytes], int | None] | None = None
        """Chooses the answer from the body, when it returns a status."""
        """Called with the number of requests received so far, before answering."""
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver._lock:
                    receiver.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    answer = receiver.plan.pop(0) if receiver.plan else 204
                    chosen = receiver.status_for(body) if receiver.status_for else None
                    answer = answer if chosen is None else chosen
                    count = len(receiver.received)
                if receiver.after is not None:
                    receiver.after(count)
                if answer == "hang":
                    time.sleep(receiver.hang_seconds)
                    answer = 204
                assert isinstance(answer, int)
                self.send_response(answer)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def ids(self) -> list[str]:
        with self._lock:
            return [r.headers["webhook-id"] for r in self.received]


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()

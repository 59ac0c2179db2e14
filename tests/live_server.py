"""The application served by a real uvicorn on a loopback port, for tests of what crosses HTTP."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from crmkit.app import Crm
from crmkit.web.app import create_asgi


@contextmanager
def served(crm: Crm, **options: Any) -> Iterator[httpx.Client]:
    """An HTTP client of ``crm`` served by uvicorn; ``options`` go to ``uvicorn.Config``."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(create_asgi(crm), lifespan="on", **{"log_level": "warning", **options})
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]})
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            thread.join(0.01)
        assert server.started, "uvicorn did not start"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()

"""A CRM served by uvicorn on a free local port, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crmkit.app import Crm
from crmkit.web.app import create_asgi

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists():
    pytest.skip(
        "end-to-end tests need Debian's chromium at /usr/bin/chromium (.ci/install-browser)",
        allow_module_level=True,
    )

sync_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def serve() -> Iterator[Callable[[Crm], str]]:
    """``serve(crm)``: run the CRM's web application under uvicorn; returns its base URL."""
    servers: list[tuple[object, threading.Thread]] = []

    def start(crm: Crm) -> str:
        port = _free_port()
        config = uvicorn.Config(
            create_asgi(crm), host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"uvicorn did not start on port {port}")
            time.sleep(0.02)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium per module.

    Playwright's synchronous API runs an event loop of its own while it is open:
    closing it with the module keeps it away from the other tests' asyncio.
    """
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()

"""End-to-end tests in a real browser: a CRM served by uvicorn on a free loopback port, and
Debian's headless Chromium driven by Playwright.

Playwright is told to use ``/usr/bin/chromium`` (``.ci/install-browser`` installs it) and
never downloads a browser of its own. A test module calls :func:`require_browser` first,
so that it is skipped, saying why, on a machine without one.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from crmkit.app import Crm

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


def require_browser() -> None:
    """Skip the calling test module unless Chromium, Playwright and uvicorn are there."""
    if not CHROMIUM.exists():
        pytest.skip(
            "end-to-end tests need Debian's chromium at /usr/bin/chromium (.ci/install-browser)",
            allow_module_level=True,
        )
    pytest.importorskip("playwright.sync_api")
    pytest.importorskip("uvicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def served(crm: Crm) -> Iterator[str]:
    """``crm``'s web application under uvicorn in a thread on a free loopback port: its base URL
    (``http://127.0.0.1:PORT``) while the block runs."""
    from crmkit.web.app import create_asgi

    with served_asgi(create_asgi(crm)) as url:
        yield url


@contextmanager
def served_asgi(app: Any) -> Iterator[str]:
    """Any ASGI application (a Starlette app standing in for a remote system a plugin talks
    to) under uvicorn in a thread on a free loopback port: its base URL while the block runs."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Playwright's ``Browser``) while the block runs.

    Playwright's synchronous API runs an event loop of its own while it is open: close it
    (leave the block) before other tests use asyncio, e.g. with a module-scoped fixture.
    """
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()

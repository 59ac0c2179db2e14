"""A CRM served by uvicorn on a free local port, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from crmkit.app import Crm
from crmkit.testing import chromium, require_browser, served

require_browser()


@pytest.fixture
def serve() -> Iterator[Callable[[Crm], str]]:
    """``serve(crm)``: run the CRM's web application under uvicorn; returns its base URL."""
    with ExitStack() as stack:
        yield lambda crm: stack.enter_context(served(crm))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium per module (see :func:`crmkit.testing.chromium`)."""
    with chromium() as launched:
        yield launched

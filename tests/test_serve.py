"""``crmkit serve`` behind a reverse proxy: forwarded headers are believed from trusted proxies only.

The application runs in a real uvicorn on a loopback port, configured as the
``serve`` command configures it, so the requests come from 127.0.0.1 as they
would from a proxy on the same machine.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from crmkit.app import Crm
from crmkit.cli.serve import server_options
from crmkit.core.settings import Settings
from crmkit.core.tables import login_failure
from crmkit.core.web_leads import FORM_LIMIT
from tests import live_server

BOT = {"email": "bot@gmail.com", "website": "x"}
"""An enquiry the honeypot drops: it still counts against the address's budget."""
ANNA = {"last_name": "Schmidt", "email": "anna.schmidt@gmail.com"}


@contextmanager
def served(crm: Crm, **logging_options: Any) -> Iterator[httpx.Client]:
    """An HTTP client of ``crm`` served by uvicorn with the options ``crmkit serve`` gives it."""
    with live_server.served(crm, **logging_options, **server_options(crm.settings)) as client:
        yield client


def counted_addresses(crm: Crm) -> set[str]:
    with crm.read() as conn:
        return set(conn.execute(select(login_failure.c.key)).scalars())


def behind(make_crm: Callable[..., Crm], *proxies: str) -> Crm:
    return make_crm(settings=Settings(trusted_proxies=proxies))


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_counted(make_crm):
    crm = behind(make_crm, "127.0.0.1")
    with served(crm) as client:
        one = {"X-Forwarded-For": "203.0.113.5"}
        answers = [
            client.post("/forms/lead", json=BOT, headers=one) for _ in range(FORM_LIMIT.attempts)
        ]
        refused = client.post("/forms/lead", json=ANNA, headers=one)
        other = client.post("/forms/lead", json=ANNA, headers={"X-Forwarded-For": "203.0.113.6"})

    assert [a.status_code for a in answers] == [202] * FORM_LIMIT.attempts
    assert refused.status_code == 429
    assert other.status_code == 202
    assert counted_addresses(crm) == {"203.0.113.5", "203.0.113.6"}


def test_behind_a_trusted_proxy_an_https_origin_passes_when_the_proxy_says_https(make_crm):
    crm = behind(make_crm, "127.0.0.0/8")
    with served(crm) as client:
        origin = {"Host": "crm.example.com", "Origin": "https://crm.example.com"}
        plain = client.post("/forms/lead", data=ANNA, headers=origin)
        tls = client.post(
            "/forms/lead", data=ANNA, headers={**origin, "X-Forwarded-Proto": "https"}
        )

    assert plain.status_code == 403
    assert tls.status_code == 200 and "Thank you" in tls.text


def test_without_trusted_proxies_forwarded_headers_are_ignored(make_crm):
    crm = make_crm()
    assert crm.settings.trusted_proxies == ()
    with served(crm) as client:
        # A client naming a new address each time is still counted under its own.
        answers = [
            client.post("/forms/lead", json=BOT, headers={"X-Forwarded-For": f"198.51.100.{i}"})
            for i in range(FORM_LIMIT.attempts + 1)
        ]
        origin = {
            "Host": "crm.example.com",
            "Origin": "https://crm.example.com",
            "X-Forwarded-Proto": "https",
        }
        claimed_tls = client.post("/forms/lead", data=ANNA, headers=origin)

    assert [a.status_code for a in answers] == [202] * FORM_LIMIT.attempts + [429]
    assert counted_addresses(crm) == {"127.0.0.1"}
    assert claimed_tls.status_code == 403


def test_a_proxy_not_trusted_cannot_forward_an_address(make_crm):
    crm = behind(make_crm, "10.0.0.5")
    with served(crm) as client:
        answer = client.post("/forms/lead", json=BOT, headers={"X-Forwarded-For": "203.0.113.5"})

    assert answer.status_code == 202
    assert counted_addresses(crm) == {"127.0.0.1"}


@pytest.mark.parametrize("wanted", [False, True])
def test_a_line_per_request_is_logged_only_when_the_access_log_is_on(
    make_crm, caplog: pytest.LogCaptureFixture, wanted: bool
):
    crm = make_crm(settings=Settings(access_log=wanted))
    # Without uvicorn's logging configuration its access records reach pytest's handler.
    with (
        caplog.at_level(logging.INFO, logger="uvicorn.access"),
        served(crm, log_config=None, log_level="info") as client,
    ):
        answers = [client.get("/api/v1/health") for _ in range(3)]

    assert [a.status_code for a in answers] == [200] * 3
    logged = [r for r in caplog.records if r.name == "uvicorn.access"]
    assert len(logged) == (3 if wanted else 0)


FREEZE_COUNT = """
import gc, sys
from starlette.testclient import TestClient
from crmkit.app import Crm
from crmkit.cli import serve
from crmkit.web.app import create_asgi

crm = Crm()
crm.create_tables()
app = serve.asgi_app() if sys.argv[1] == "serve" else create_asgi(crm)
with TestClient(app) as client:
    assert client.get("/api/v1/health").status_code == 200
    print(gc.get_freeze_count())
print(gc.get_freeze_count())
"""


@pytest.mark.parametrize(("builder", "frozen"), [("serve", True), ("test", False)])
def test_a_served_process_freezes_what_its_start_made_until_it_stops_and_a_test_app_never(
    tmp_path, builder, frozen
):
    # In a process of its own: what a freeze holds is never collected in this one.
    env = {**os.environ, "CRMKIT_DATABASE_URL": f"sqlite:///{tmp_path / 'crm.db'}"}
    answer = subprocess.run(
        [sys.executable, "-c", FREEZE_COUNT, builder],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    serving, after = map(int, answer.stdout.split()[-2:])
    assert (serving > 10_000) if frozen else serving == 0
    assert after == 0  # the shutdown unfreezes

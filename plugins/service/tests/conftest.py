"""Fixtures of the service plugin's tests: a CRM with channels and service, agents, parties, requests as a user.

Each test runs on SQLite by default, on PostgreSQL with ``CRMKIT_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from attrs import frozen

from crmkit import Actor, Crm, Settings
from crmkit.testing import add_user, http_client

LINK_SECRET = "a-test-secret-of-at-least-32-characters"


def channel_settings(**overrides: Any) -> dict[str, Any]:
    """``[plugins.channels]``: mail from support@, to a relay nobody runs unless a test starts one."""
    return {
        "from_address": "Acme Support <support@acme.example>",
        "public_url": "https://crm.acme.example",
        "link_secret": LINK_SECRET,
        "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none", "timeout": 5.0},
        **overrides,
    }


@pytest.fixture
def make_service(make_crm: Callable[..., Crm]) -> Callable[..., Crm]:
    """``make_service(service={...}, channels={...}, plugins=())``: a CRM with both plugins and these settings."""

    def factory(
        service: dict[str, Any] | None = None,
        channels: dict[str, Any] | None = None,
        plugins: tuple[Any, ...] = (),
        create_tables: bool = True,
    ) -> Crm:
        settings = Settings(
            database_url="sqlite://",
            strict_plugins=True,
            plugin_settings={
                "channels": channel_settings(**(channels or {})),
                "service": service or {},
            },
        )
        return make_crm(
            plugins=["channels", "service", *plugins],
            settings=settings,
            create_tables=create_tables,
        )

    return factory


@pytest.fixture
def crm(make_service: Callable[..., Crm]) -> Crm:
    """A CRM with the channels and service plugins, default settings, tables created."""
    return make_service()


@frozen
class ServiceTeam:
    """A manager; a team lead and an agent of team "support" under them; an agent of another team."""

    manager: Actor
    lead: Actor
    agent: Actor
    outsider: Actor


@pytest.fixture
def staff(crm: Crm) -> ServiceTeam:
    manager = add_user(crm, "mona", "manager", team="support")
    assert manager.user_id is not None
    lead = add_user(crm, "lena", "manager", team="support", manager_id=manager.user_id)
    assert lead.user_id is not None
    return ServiceTeam(
        manager=manager,
        lead=lead,
        agent=add_user(crm, "sam", "service", team="support", manager_id=lead.user_id),
        outsider=add_user(crm, "otto", "service", team="field", territories=("FR-75",)),
    )


UserMaker = Callable[..., Actor]


PartyMaker = Callable[..., int]


PORTAL = "/p/service/portal"


@pytest.fixture
def relayed_service(make_service: Callable[..., Crm], smtp_relay: Any) -> Callable[..., Crm]:
    """``relayed_service(service={...})``: a CRM whose emails go to ``smtp_relay``."""

    def factory(service: dict[str, Any] | None = None) -> Crm:
        smtp = {"host": "127.0.0.1", "port": smtp_relay.port, "security": "none", "timeout": 5.0}
        return make_service(service=service, channels={"smtp": smtp})

    return factory


class PortalSteps:
    """What a customer's browser does on the portal, over HTTP; emails are read from ``relay``."""

    base = PORTAL

    def __init__(self, relay: Any) -> None:
        self.relay = relay

    @staticmethod
    def form_token(page: str) -> str:
        """The CSRF token a portal page's form carries."""
        import re

        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None, page
        return found.group(1)

    def link_in_mail(self, crm: Crm, to: str) -> str:
        """Deliver the queued emails; the path and query of the newest sign-in link sent to ``to``."""
        import re

        crm.jobs.run("channels.deliver_email")
        sent = [m for m in self.relay.handler.messages if m["To"] == to]
        assert sent, f"no email to {to}"
        body = sent[-1].get_body(("plain",)).get_content()
        found = re.search(
            r"https://crm\.acme\.example(/p/service/portal/sign-in/link\?token=\S+)", body
        )
        assert found is not None, body
        return found.group(1)

    def ask_for_link(self, client: Any, email: str) -> Any:
        """Post the sign-in form for ``email`` as a browser would (its page first, for the token)."""
        page = client.get(f"{PORTAL}/sign-in")
        return client.post(
            f"{PORTAL}/sign-in", data={"email": email, "csrf_token": self.form_token(page.text)}
        )

    def follow(self, client: Any, link: str) -> Any:
        """Open a sign-in link and press its button."""
        page = client.get(link)
        assert page.status_code == 200, page.text
        form = {"token": link.partition("token=")[2], "csrf_token": self.form_token(page.text)}
        return client.post(f"{PORTAL}/sign-in/link", data=form, follow_redirects=False)

    def sign_in(self, crm: Crm, email: str) -> Any:
        """An HTTP client signed in to the portal through an emailed link."""
        client = http_client(crm)
        assert self.ask_for_link(client, email).status_code == 200
        answer = self.follow(client, self.link_in_mail(crm, email))
        assert answer.status_code == 303, answer.text
        return client


@pytest.fixture
def portal(smtp_relay: Any) -> PortalSteps:
    return PortalSteps(smtp_relay)


class Now:
    """The time SLA clocks and the SLA job read, set by a test: ``now.set(...)``, ``now.advance(...)``."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def advance(self, **delta: float) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment


@pytest.fixture
def sla_now(monkeypatch: pytest.MonkeyPatch) -> Now:
    """The time of SLA clocks, cases and the SLA job, from Monday 2026-12-07 08:00 UTC on."""
    now = Now(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    for module in (
        "crmkit_service.sla.clocks",
        "crmkit_service.sla.watch",
        "crmkit_service.cases.service",
    ):
        monkeypatch.setattr(f"{module}.utcnow", now)
    return now


@pytest.fixture
def at_once() -> Callable[..., list[Any]]:
    """``at_once(*calls)``: each call in its own thread, all released together; their results in order.

    For races: on PostgreSQL the calls' transactions overlap, as requests of many
    users do.
    """

    def run(*calls: Callable[[], Any]) -> list[Any]:
        start = threading.Barrier(len(calls))
        results: list[Any] = [None] * len(calls)

        def one(index: int, call: Callable[[], Any]) -> None:
            start.wait()
            results[index] = call()

        threads = [threading.Thread(target=one, args=pair) for pair in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    return run

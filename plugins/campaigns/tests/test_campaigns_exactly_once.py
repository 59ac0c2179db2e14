"""Never twice, never lost: a campaign sent by a real ``crmkit worker`` that is paused, resumed,
killed with SIGKILL twice, restarted and cancelled mid-send, counted at a real SMTP relay.

The relay counts what it received by Message-ID; the database says which member got
which email. A member is queued in the transaction that writes its email to the outbox,
so a worker killed mid-batch leaves the whole batch to the next worker.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from crmkit_campaigns.campaigns import definition, lifecycle
from crmkit_campaigns.campaigns.tables import campaign, member
from crmkit_campaigns.campaigns.targeting import assign
from crmkit_channels import delivery_states
from sqlalchemy import func, select

from crmkit import Crm, build_party, create_party, party_table, record_consent

MEMBERS = 600
"""Enough that the third worker cannot queue them all between the wait and the cancel."""
CHANNELS = {
    "rate_per_second": 1000.0,
    "batch": 20,
    "sending_batch": 4,
    "lease_seconds": 2.0,
    "sending_timeout_seconds": 1.0,
    "first_retry_seconds": 0.5,
    "max_retry_seconds": 0.5,
}
CAMPAIGNS = {"campaigns": {"send_batch": 10, "run_seconds": 0.001}}
"""One batch of ten per run of the job (the time is checked after each batch), a run every
tick: a pause or a cancel then lands between two batches, however fast the machine queues.
With runs of many batches, SQLite's writer lock passes from batch to batch of the worker
while the test's pause waits its turn, and the whole campaign may be queued meanwhile."""


class KillingRelay:
    """An SMTP relay's handler that keeps each message and may act before answering it."""

    def __init__(self) -> None:
        self.message_ids: list[str] = []
        self.member_ids: list[int] = []
        """The ``member_id`` each message's text names."""
        self.on_data: Callable[[int], None] | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.message_ids.append(str(message["Message-ID"]))
            text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            self.member_ids.append(int(text.split("Member ")[1].split()[0]))
            count = len(self.message_ids)
        if self.on_data is not None:
            self.on_data(count)
        return "250 2.0.0 accepted"


@pytest.fixture
def killing_relay() -> Iterator[tuple[KillingRelay, int]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = KillingRelay()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


class Workers:
    """``crmkit worker`` processes on the test's database and settings, all killed at the end."""

    def __init__(self, config: Path) -> None:
        self.env = {
            **os.environ,
            "CRMKIT_CONFIG": str(config),
            "CRMKIT_PLUGINS": "channels,campaigns",
        }
        self.running: list[subprocess.Popen[str]] = []

    def start(self) -> subprocess.Popen[str]:
        command = [sys.executable, "-c", "from crmkit.cli.main import main; main()"]
        worker = subprocess.Popen(
            [*command, "worker", "--tick", "0.05"], env=self.env, stderr=subprocess.PIPE, text=True
        )
        self.running.append(worker)
        assert worker.stderr is not None
        ready = worker.stderr.readline()
        assert "campaigns.send" in ready, ready
        return worker

    def stop_all(self) -> None:
        for worker in self.running:
            if worker.poll() is None:
                worker.kill()
            worker.wait()
            if worker.stderr is not None:
                worker.stderr.close()


def _toml(table: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Enough TOML for these settings: scalars (JSON's spelling is TOML's) and nested tables."""
    lines = [f"{k} = {json.dumps(v)}" for k, v in table.items() if not isinstance(v, Mapping)]
    for key, value in table.items():
        if isinstance(value, Mapping):
            name = f"{prefix}.{key}" if prefix else key
            lines += ["", f"[{name}]", *_toml(value, name)]
    return lines


def _wait(condition: Callable[[], bool], seconds: float, what: str, every: float = 0.005) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(every)


def test_a_campaign_paused_killed_and_cancelled_mid_send_sends_nothing_twice_and_loses_nothing(
    make_campaigns: Any, crm_db: Any, tmp_path: Path, killing_relay: tuple[KillingRelay, int]
) -> None:
    relay, port = killing_relay
    smtp = {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5.0}
    crm = make_campaigns(campaigns=CAMPAIGNS, channels={"smtp": smtp, **CHANNELS})
    campaign_id = _started_campaign(crm)
    database_url = crm_db.session_url
    config = tmp_path / "crmkit.toml"
    settings = {
        "crmkit": {"database_url": database_url},
        "plugins": {
            "channels": crm.settings.plugin_settings["channels"],
            "campaigns": CAMPAIGNS,
        },
    }
    config.write_text("\n".join(_toml(settings)) + "\n")
    workers = Workers(config)

    def queued() -> int:
        with crm.read() as conn:
            return int(
                conn.execute(
                    select(func.count()).where(
                        member.c.campaign_id == campaign_id, member.c.email_id.is_not(None)
                    )
                ).scalar_one()
            )

    def act(action: Callable[..., Any]) -> None:
        with crm.transaction() as tx:
            action(tx, campaign_id)

    try:
        first = workers.start()
        # 1. Paused mid-send: no further batch while paused.
        _wait(lambda: queued() >= 40, 60, "40 members are queued")
        act(lifecycle.pause)
        time.sleep(1.0)  # a batch taken before the pause may still commit
        held = queued()
        time.sleep(2.0)
        assert queued() == held < MEMBERS
        # 2. Resumed, then killed from outside wherever the worker is.
        act(lifecycle.resume)
        _wait(lambda: queued() >= held + 30, 60, "30 more members are queued")
        first.kill()
        first.wait()
        # 3. Restarted, and killed while the relay holds a message and has not answered.
        second = workers.start()
        target = len(relay.message_ids) + 10

        def kill_mid_data(count: int) -> None:
            if count == target:
                second.kill()
                second.wait()

        relay.on_data = kill_mid_data
        _wait(lambda: second.poll() is not None, 60, "the second worker is killed")
        relay.on_data = None
        # 4. Restarted, and cancelled before every member had its turn.
        workers.start()
        _wait(lambda: queued() >= held + 120, 60, "120 more members are queued")
        act(lifecycle.cancel)
        # Asked twice a second: the question takes a writing transaction, which the worker waits for.
        _wait(
            lambda: _undelivered(crm, campaign_id) == 0, 90, "every email was delivered", every=0.5
        )
    finally:
        workers.stop_all()

    assert [m for m, n in Counter(relay.message_ids).items() if n > 1] == []
    assert [m for m, n in Counter(relay.member_ids).items() if n > 1] == []
    with crm.read() as conn:
        members = conn.execute(select(member).where(member.c.campaign_id == campaign_id)).all()
        status = conn.execute(
            select(campaign.c.status).where(campaign.c.id == campaign_id)
        ).scalar_one()
    with crm.transaction() as tx:
        states = delivery_states(
            tx, email_ids=[m.email_id for m in members if m.email_id is not None]
        )
    assert status == "cancelled"
    # One email per member who had its turn, none for those cancelled before theirs.
    emailed = {m.id: m.email_id for m in members if m.email_id is not None}
    assert len(set(emailed.values())) == len(emailed) == len(states.messages)
    cancelled = [m for m in members if m.status == "cancelled"]
    assert cancelled and all(m.email_id is None for m in cancelled)
    assert len(cancelled) + len(emailed) == MEMBERS
    # Never lost: each email is sent (and the relay has it) or unknown (the relay may have it).
    outcome = {state.email_id: state.status for state in states.messages}
    assert set(outcome.values()) <= {"sent", "unknown"}
    sent = {m for m, e in emailed.items() if outcome[e] == "sent"}
    assert sent <= set(relay.member_ids) <= set(emailed)


def _undelivered(crm: Crm, campaign_id: int) -> int:
    """The campaign's emails still queued or being handed over."""
    with crm.transaction() as tx:
        email_ids = (
            tx.conn.execute(
                select(member.c.email_id).where(
                    member.c.campaign_id == campaign_id, member.c.email_id.is_not(None)
                )
            )
            .scalars()
            .all()
        )
        return delivery_states(tx, email_ids=list(email_ids)).counts["queued"]


def _started_campaign(crm: Crm) -> int:
    """A campaign to ``MEMBERS`` consenting customers, started."""
    with crm.transaction() as tx:
        for i in range(MEMBERS):
            party = create_party(
                tx,
                build_party(
                    "customer",
                    {"kind": "person", "last_name": f"P{i}", "emails": [f"p{i}@example.org"]},
                    region="DE",
                ),
            )
            assert party.id is not None
            record_consent(tx, party.id, "marketing", "email", "granted", source="test")
        made = definition.create_campaign(
            tx,
            {
                "name": "Winter",
                "purpose": "marketing",
                "variants": [
                    {
                        "channel": "email",
                        "subject": "Winter, {{ party.name }}",
                        "text": "Member {{ member_id }}",
                    }
                ],
            },
        )
        assign(tx, made.id, select(party_table.c.id.label("party_id")))
        lifecycle.start(tx, made.id)
        return made.id

"""Never twice, never lost: a real ``crmkit worker`` delivering replies to the loopback Graph
server, killed with SIGKILL mid-batch, restarted, counted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from crmkit_channels.transport_tables import transport_message
from crmkit_social.conversations import service
from crmkit_social.conversations.tables import conversation_table
from sqlalchemy import func, select

from crmkit import Crm, timeline
from crmkit.testing import TestDatabase

from .conftest import Convo, ConvoMaker, GraphServer, messaging_event, take_social

REPLIES = 24


def _toml(table: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Enough TOML for settings: scalars (JSON's spelling is TOML's) and nested tables."""
    lines = [f"{k} = {json.dumps(v)}" for k, v in table.items() if not isinstance(v, Mapping)]
    for key, value in table.items():
        if isinstance(value, Mapping):
            name = f"{prefix}.{key}" if prefix else key
            lines += ["", f"[{name}]", *_toml(value, name)]
    return lines


class Workers:
    """``crmkit worker`` processes on the test's database and configuration (to kill them)."""

    def __init__(self, config: Path) -> None:
        self.env = {**os.environ, "CRMKIT_CONFIG": str(config), "CRMKIT_PLUGINS": "channels,social"}
        self.running: list[subprocess.Popen[str]] = []

    def start(self) -> subprocess.Popen[str]:
        command = [sys.executable, "-c", "from crmkit.cli.main import main; main()"]
        worker = subprocess.Popen(
            [*command, "worker", "--tick", "0.1"], env=self.env, stderr=subprocess.PIPE, text=True
        )
        self.running.append(worker)
        assert worker.stderr is not None
        ready = worker.stderr.readline()
        assert "channels.deliver_transports" in ready, ready
        return worker

    def stop_all(self) -> None:
        for worker in self.running:
            if worker.poll() is None:
                worker.kill()
            worker.wait()
            if worker.stderr is not None:
                worker.stderr.close()


@pytest.fixture
def workers(
    crm_db: TestDatabase, tmp_path: Path, social_settings: dict[str, Any]
) -> Iterator[Callable[[dict[str, Any]], Workers]]:
    made: list[Workers] = []
    url = crm_db.session_url

    def factory(channels: dict[str, Any]) -> Workers:
        config = tmp_path / "crmkit.toml"
        social = {**social_settings, "conversations": {"messages_per_second": 200.0}}
        document = {
            "crmkit": {"database_url": url},
            "plugins": {"channels": channels, "social": social},
        }
        config.write_text("\n".join(_toml(document)) + "\n")
        made.append(Workers(config))
        return made[-1]

    yield factory
    for started in made:
        started.stop_all()


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    ends = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > ends:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)


def _open(crm: Crm) -> int:
    t = transport_message
    with crm.read() as conn:
        query = select(func.count()).select_from(t).where(t.c.status.in_(("queued", "sending")))
        return int(conn.execute(query).scalar_one())


def _threads(convo: Convo) -> list[int]:
    for i in range(REPLIES):
        psid = f"psid-{i}"
        convo.graph.respond("GET", f"/{psid}", 200, {"id": psid, "name": f"Kunde Nummer{i}"})
        take_social(convo, "messages", messaging_event(psid, f"mid.{i}", "Hello"))
    with convo.crm.read() as conn:
        return list(
            conn.execute(
                select(conversation_table.c.id).order_by(conversation_table.c.id)
            ).scalars()
        )


@pytest.mark.parametrize("sending_batch", [1, 4])
def test_a_worker_killed_mid_batch_sends_no_reply_twice_and_loses_none(
    sending_batch: int,
    make_convo: ConvoMaker,
    graph: GraphServer,
    workers: Callable[[dict[str, Any]], Workers],
) -> None:
    convo = make_convo()
    threads = _threads(convo)
    with convo.crm.transaction(convo.admin) as tx:
        for i, thread in enumerate(threads):
            service.reply(tx, thread, {"text": f"Reply {i}"})
    graph.respond("POST", "/1001/messages", 200, {"recipient_id": "x", "message_id": "m"})
    channels = {
        "batch": 10,
        "sending_batch": sending_batch,
        "rate_per_second": 40.0,
        "lease_seconds": 2.0,
        "sending_timeout_seconds": 1.0,
        "first_retry_seconds": 1.0,
        "max_retry_seconds": 1.0,
    }
    crmkit_workers = workers(channels)
    posted: list[str] = []
    original = graph._answer
    first: subprocess.Popen[str] | None = None

    def answer(method: str, path: str) -> Any:
        if method == "POST" and path == "/1001/messages":
            posted.append(graph.requests[-1].body["message"]["text"])
            if len(posted) == 8 and first is not None:
                # 1. Killed while Graph holds the 8th reply and has not answered yet.
                first.kill()
                first.wait()
        return original(method, path)

    graph._answer = answer  # type: ignore[method-assign]
    try:
        first = crmkit_workers.start()
        _wait(
            lambda: first is not None and first.poll() is not None, 30, "the first worker is killed"
        )
        # 2. Killed from outside, wherever it is, once Graph has 16.
        second = crmkit_workers.start()
        _wait(lambda: len(posted) >= 16, 30, "Graph has 16 replies")
        second.kill()
        second.wait()
        # 3. Run to the end.
        crmkit_workers.start()
        _wait(lambda: _open(convo.crm) == 0, 60, "no reply is queued or sending")
    finally:
        crmkit_workers.stop_all()

    received = Counter(posted)
    with convo.crm.read() as conn:
        rows = conn.execute(
            select(
                transport_message.c.body, transport_message.c.status, transport_message.c.party_id
            )
        ).all()
    status = {r.body: r.status for r in rows}
    assert len(status) == REPLIES
    assert [text for text, n in received.items() if n > 1] == []  # never twice
    assert set(status.values()) <= {"sent", "unknown"}  # never lost
    sent = {t for t, s in status.items() if s == "sent"}
    unknown = {t for t, s in status.items() if s == "unknown"}
    assert sent <= set(received)
    assert set(received) <= sent | unknown
    assert posted[7] in unknown
    assert 1 <= len(unknown) <= 2 * sending_batch
    party_of = {r.body: r.party_id for r in rows}
    for text in unknown:
        with convo.crm.read() as conn:
            outcomes = [
                i.outcome for i in timeline(conn, party_of[text]).items if i.direction == "outbound"
            ]
        assert outcomes == ["unknown"]

"""Never twice, never lost: a real ``crmkit worker`` killed with SIGKILL mid-batch, restarted, counted.

The relay is a real SMTP server on loopback; what it received is counted by
Message-ID. The first kill lands in the narrowest window there is: the relay has
the whole message and the worker has not heard its answer. The second lands
wherever the worker happens to be.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from email.message import EmailMessage as Received
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_channels import EmailMessage, send
from crmkit_channels.tables import email
from sqlalchemy import func, select

from crmkit import SYSTEM, Crm, timeline

if TYPE_CHECKING:
    from conftest import Inbox, Workers

MESSAGES = 40


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.005)


def _open(crm: Crm) -> int:
    with crm.read() as conn:
        query = select(func.count()).where(email.c.status.in_(("queued", "sending")))
        return int(conn.execute(query).scalar_one())


@pytest.mark.parametrize("sending_batch", [1, 4])
def test_a_worker_killed_mid_batch_sends_nothing_twice_and_loses_nothing(
    sending_batch: int,
    make_channels: Callable[..., Crm],
    inbox: Inbox,
    workers: Callable[[dict[str, Any]], Workers],
    channel_settings: Callable[..., dict[str, Any]],
) -> None:
    overrides = {
        "batch": 10,
        "sending_batch": sending_batch,
        "rate_per_second": 40.0,
        "lease_seconds": 2.0,
        "sending_timeout_seconds": 1.0,
    }
    crm = make_channels(**overrides)
    with crm.transaction(SYSTEM) as tx:
        ids = {}
        for i in range(MESSAGES):
            party = _person(tx, i)
            message = EmailMessage(
                party,
                "orders",
                subject="Order {{ n }}",
                text="Thanks.",
                variables={"n": i},
                transactional=True,
            )
            sent = send(tx, message)
            ids[sent.message_id] = (sent.id, party)
    # The worker's messages bring their own texts: no templates to write out.
    crmkit_workers = workers(channel_settings(inbox.port, templates=(), **overrides))
    try:
        # 1. Killed while the relay holds the 8th message and has not answered yet.
        first = crmkit_workers.start()

        def kill_on_eighth(message: Received) -> None:
            if len(inbox.messages) == 8:
                first.kill()
                first.wait()

        inbox.on_data = kill_on_eighth
        _wait(lambda: first.poll() is not None, 30, "the first worker is killed")
        inbox.on_data = None

        # 2. Killed from outside, wherever it is, once the relay has 20.
        second = crmkit_workers.start()
        _wait(lambda: len(inbox.messages) >= 20, 30, "the relay has 20 messages")
        second.kill()
        second.wait()

        # 3. Run to the end.
        crmkit_workers.start()
        _wait(lambda: _open(crm) == 0, 60, "no email is queued or sending")
    finally:
        crmkit_workers.stop_all()

    received = Counter(inbox.message_ids())
    with crm.read() as conn:
        rows = conn.execute(select(email.c.message_id, email.c.status, email.c.party_id)).all()
    status = {r.message_id: r.status for r in rows}
    assert len(status) == MESSAGES
    # Never twice.
    assert [m for m, n in received.items() if n > 1] == []
    # Never lost: each is sent (and the relay has it) or unknown (and on the timeline as such).
    assert set(status.values()) <= {"sent", "unknown"}
    sent = {m for m, s in status.items() if s == "sent"}
    unknown = {m for m, s in status.items() if s == "unknown"}
    assert sent <= set(received)
    assert set(received) <= sent | unknown
    # The first kill's message: the relay has it, the CRM says it may have been sent. Each kill
    # leaves at most its sending batch unknown: those handed over, and those about to be.
    eighth = inbox.messages[7]["Message-ID"]
    assert eighth in unknown
    assert 1 <= len(unknown) <= 2 * sending_batch
    for message_id in unknown:
        _, party = ids[message_id]
        with crm.read() as conn:
            assert [i.outcome for i in timeline(conn, party).items] == ["unknown"]
    assert len(sent) >= MESSAGES - 2 * sending_batch


def _person(tx: Any, i: int) -> int:
    from crmkit import build_party, create_party

    party = create_party(
        tx,
        build_party(
            "customer",
            {"kind": "person", "last_name": f"P{i}", "emails": [f"p{i}@example.org"]},
            region="DE",
        ),
    )
    assert party.id is not None
    return party.id

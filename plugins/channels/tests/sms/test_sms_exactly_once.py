"""Never twice, never lost, for SMS: a real ``crmkit worker`` killed with SIGKILL mid-batch, restarted.

The gateway is a real HTTP server on loopback; what it took is counted by the
outbox id in each message's ``StatusCallback``. The first kill lands while the
gateway has taken a message and the worker waits for the answer; the second
wherever the worker happens to be.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from crmkit_channels import SmsMessage, send
from crmkit_channels.tables import sms
from sqlalchemy import func, select

from crmkit import SYSTEM, Crm, build_party, create_party, timeline

if TYPE_CHECKING:
    from conftest import Gateway

MESSAGES = 30
SENDING_BATCH = 3
"""Messages moved to ``sending`` together: what one kill may leave ``unknown``."""


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.005)


def _open(crm: Crm) -> int:
    with crm.read() as conn:
        query = select(func.count()).where(sms.c.status.in_(("queued", "sending")))
        return int(conn.execute(query).scalar_one())


def _taken_ids(gateway: Gateway) -> list[int]:
    return [
        int(parse_qs(urlsplit(t.form["StatusCallback"]).query)["message"][0]) for t in gateway.taken
    ]


def test_a_worker_killed_mid_batch_posts_no_sms_twice_and_loses_none(
    make_channels: Callable[..., Crm],
    gateway: Gateway,
    workers: Callable[[dict[str, Any]], Any],  # conftest of the tests above: Workers
    channel_settings: Callable[..., dict[str, Any]],
    inbox: Any,
) -> None:
    sms_settings: dict[str, Any] = {
        "base_url": gateway.url,
        "account_sid": "AC00000000000000000000000000000001",
        "auth_token": "test-auth-token-0123456789abcdef",
        "from_number": "+4915112345678",
        "timeout": 5.0,
    }
    overrides = {
        "batch": 10,
        "sending_batch": SENDING_BATCH,
        "rate_per_second": 40.0,
        "lease_seconds": 2.0,
        "sending_timeout_seconds": 1.0,
        "sms": sms_settings,
    }
    crm = make_channels(**overrides)
    with crm.transaction(SYSTEM) as tx:
        for i in range(MESSAGES):
            values = {"kind": "person", "last_name": f"P{i}", "phones": [f"+49151234{i:05d}"]}
            party = create_party(tx, build_party("customer", values, region="DE")).id
            assert party is not None
            send(tx, SmsMessage(party, "orders", body=f"Order {i} shipped", transactional=True))
    started = workers(channel_settings(inbox.port, templates=(), **overrides))
    first: subprocess.Popen[str] = started.start()

    # 1. Killed while the gateway has taken the 8th message and not answered yet.
    def kill_on_eighth(taken: int) -> None:
        if taken == 8:
            first.kill()
            first.wait()

    gateway.on_take = kill_on_eighth
    _wait(lambda: first.poll() is not None, 30, "the first worker is killed")
    gateway.on_take = None

    # 2. Killed from outside, wherever it is, once the gateway has 18.
    second = started.start()
    _wait(lambda: len(gateway.taken) >= 18, 30, "the gateway has 18 messages")
    second.kill()
    second.wait()

    # 3. Run to the end.
    started.start()
    _wait(lambda: _open(crm) == 0, 60, "no SMS is queued or sending")
    started.stop_all()

    taken = Counter(_taken_ids(gateway))
    with crm.read() as conn:
        rows = conn.execute(select(sms.c.id, sms.c.status, sms.c.sid, sms.c.party_id)).all()
    status = {r.id: r.status for r in rows}
    assert len(status) == MESSAGES
    # Never twice.
    assert [i for i, n in taken.items() if n > 1] == []
    # Never lost: each is sent (the gateway has it, its SID stored) or unknown (on the timeline).
    assert set(status.values()) <= {"sent", "unknown"}
    sent = {i for i, s in status.items() if s == "sent"}
    unknown = {i for i, s in status.items() if s == "unknown"}
    assert sent <= set(taken) <= sent | unknown
    sids = {t.sid for t in gateway.taken}
    assert all(r.sid in sids for r in rows if r.status == "sent")
    # The first kill's message: the gateway has it, the CRM says it may have been sent.
    # Each kill leaves at most its sending batch unknown.
    assert _taken_ids(gateway)[7] in unknown
    assert 1 <= len(unknown) <= 2 * SENDING_BATCH
    for row in rows:
        if row.status == "unknown":
            with crm.read() as conn:
                assert [i.outcome for i in timeline(conn, row.party_id).items] == ["unknown"]

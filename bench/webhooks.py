"""Outbound webhooks benchmark: signed deliveries/s from crmkit's outbox against plain aiohttp.

    python bench/webhooks.py [--subscriptions N] [--events E] [--rounds R] [--concurrency C]

A receiver on loopback (uvicorn, a bare ASGI app answering 204, in a process of its
own) takes every POST. crmkit: a SQLite file with N subscriptions (each to its own
path on the receiver, all event types) and E events written to the outbox, each
about another prospect; the time is from the first fan-out to the last recorded
outcome, by the same calls the ``core.deliver_webhooks`` job makes (fan-out,
lease, sign, POST with C at a time, record). Baseline: the same N x E signed POSTs
(same bodies, Standard Webhooks headers computed per request) sent by C concurrent
senders on one plain ``aiohttp.ClientSession`` (as crmkit's sender has), on the
same event loop and with no database, which is the limit of the HTTP client. The two take R turns each; figures are the medians of
the turns (deliveries/s) and crmkit's share of the baseline (median of the turns'
ratios). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import aiohttp
from _serving import free_port

from crmkit.app import Crm
from crmkit.core.settings import Settings
from crmkit.core.signatures import new_secret, secret_key, signed_headers
from crmkit.core.tables import utcnow, webhook_delivery
from crmkit.core.webhook_delivery import (
    DeliveryPolicy,
    deliver_webhooks,
    event_body,
    event_loop_factory,
)
from crmkit.core.webhooks import add_subscription

TARGET = 2000
"""Signed deliveries/s crmkit is to reach."""

RECEIVER = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
"""


def start_receiver(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    (directory / "receiver.py").write_text(RECEIVER)
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "receiver:app",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
        ],
        cwd=directory,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(urllib.request.Request(base, method="POST", data=b""))
            return process, base
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise SystemExit("the receiver did not start")


def run_crmkit(directory: Path, base: str, subscriptions: int, events: int, c: int) -> float:
    """Deliveries/s of one turn: a fresh database, N subscriptions, E events, all delivered."""
    path = directory / f"crmkit-{time.monotonic_ns()}.db"
    crm = Crm(Settings(database_url=f"sqlite:///{path}"), candidates=[])
    crm.create_tables()
    try:
        with crm.transaction() as tx:
            for i in range(subscriptions):
                add_subscription(tx, f"{base}/hook/{i}", ["*"])
        with crm.transaction() as tx:
            for i in range(events):
                tx.emit("prospect.updated", "prospect", 10_000 + i, {"id": 10_000 + i})
        policy = DeliveryPolicy(concurrency=c, batch=1000)
        started = time.perf_counter()
        sent = deliver_webhooks(crm, policy)
        elapsed = time.perf_counter() - started
        with crm.read() as conn:
            ok = conn.execute(
                webhook_delivery.select().where(webhook_delivery.c.status == "succeeded")
            ).all()
        expected = subscriptions * events
        if sent != expected or len(ok) != expected:
            raise SystemExit(f"crmkit delivered {len(ok)} of {expected} ({sent} attempts)")
        return expected / elapsed
    finally:
        crm.close()
        path.unlink(missing_ok=True)


async def plain_posts(base: str, subscriptions: int, events: int, c: int) -> float:
    """Deliveries/s of the same signed POSTs from a bare aiohttp client, no database."""
    keys = [secret_key(new_secret()) for _ in range(subscriptions)]
    bodies = [
        event_body(
            "prospect.updated",
            utcnow(),
            {
                "event_id": e + 1,
                "entity": "prospect",
                "entity_id": str(10_000 + e),
                "actor_id": None,
                "payload": {"id": 10_000 + e},
            },
        )
        for e in range(events)
    ]
    work = iter([(s, e) for e in range(events) for s in range(subscriptions)])
    failures = 0
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=c), timeout=aiohttp.ClientTimeout(total=10)
    ) as session:

        async def worker() -> None:
            nonlocal failures
            for s, e in work:
                body = bodies[e]
                headers = signed_headers(
                    keys[s], f"msg_{e * subscriptions + s}", body, int(time.time())
                )
                headers["content-type"] = "application/json"
                async with session.post(f"{base}/hook/{s}", data=body, headers=headers) as answer:
                    await answer.read()
                    failures += answer.status != 204

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(c)))
        elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"the baseline had {failures} failed POSTs")
    return subscriptions * events / elapsed


def run_plain(work: Coroutine[Any, Any, float]) -> float:
    """Run the baseline on the event loop crmkit's sender uses (uvloop when installed)."""
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        return runner.run(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    n, e, c = args.subscriptions, args.events, args.concurrency
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        receiver, base = start_receiver(directory)
        try:
            # Unmeasured warm-up of both, then alternating turns so that drifts hit both alike.
            run_plain(plain_posts(base, min(n, 100), 1, c))
            run_crmkit(directory, base, min(n, 100), 1, c)
            crmkit_rates, plain_rates = [], []
            for turn in range(args.rounds):
                plain_rates.append(run_plain(plain_posts(base, n, e, c)))
                crmkit_rates.append(run_crmkit(directory, base, n, e, c))
                print(
                    f"turn {turn + 1}: crmkit {crmkit_rates[-1]:,.0f}/s, "
                    f"plain aiohttp {plain_rates[-1]:,.0f}/s"
                )
        finally:
            receiver.terminate()
            receiver.wait()
    crmkit_rate = statistics.median(crmkit_rates)
    plain_rate = statistics.median(plain_rates)
    share = statistics.median(a / b for a, b in zip(crmkit_rates, plain_rates, strict=True))
    print(f"{n} subscriptions x {e} events = {n * e} deliveries per turn, {c} at a time")
    print(f"crmkit (outbox, signed, recorded): {crmkit_rate:,.0f} deliveries/s (median)")
    print(f"plain aiohttp, same signed POSTs:  {plain_rate:,.0f} deliveries/s (median)")
    print(
        f"crmkit / plain: {share:.2f}; target {TARGET} deliveries/s: "
        f"{'reached' if crmkit_rate >= TARGET else 'NOT reached'}"
    )
    print(
        json.dumps(
            {
                "benchmark": "webhooks",
                "subscriptions": n,
                "events": e,
                "concurrency": c,
                "rounds": args.rounds,
                "crmkit_deliveries_per_s": round(crmkit_rate),
                "plain_aiohttp_deliveries_per_s": round(plain_rate),
                "share_of_plain": round(share, 3),
                "target_deliveries_per_s": TARGET,
                "target_reached": crmkit_rate >= TARGET,
            }
        )
    )


if __name__ == "__main__":
    main()

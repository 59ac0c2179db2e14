"""Social benchmark: Meta webhook deliveries/s accepted and queued, and Lead Ads leads/s.

    python bench/social.py [--deliveries N] [--changes B] [--concurrency C] [--rounds R]
                           [--leads L]

Accepting: two servers run under uvicorn, one worker each, in processes of their own and
with the options ``crmkit serve`` gives uvicorn, on a SQLite file each: crmkit with every
installed plugin enabled and one connected page, taking signed deliveries at
``/p/social/webhooks/meta`` (signature checked over the raw body by the kernel's signed
public route, JSON read, each change stored once by its key in one multi-row insert, no
Graph call); and a bare Starlette app whose ``async`` handler checks the same HMAC and
inserts the raw body with the stdlib ``sqlite3`` driver on the event loop, which is the
limit. N deliveries of B ``leadgen`` changes each (unique leads, signed beforehand as Meta
would) are posted by C concurrent senders on one ``aiohttp`` session; the servers take R
turns each and the figures are the medians of the turns (deliveries/s) and crmkit's share of
the bare throughput (median of the turns' ratios). Every answer must be 200 and every change
stored.

Leads: L ``leadgen`` changes are stored for the page, then the ``social.process_changes``
job's work runs until none is pending: each lead fetched from a loopback Graph-shaped server
(``GET /{leadgen_id}`` with ``field_data``), mapped and taken in through the kernel's intake.
Baseline: the same L prospects through ``crmkit.intake_prospect`` alone (no webhook, no
Graph). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import sqlite3
import statistics
import tempfile
import threading
import time
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _serving import start_server

if TYPE_CHECKING:
    from starlette.requests import Request

TARGET = 1000.0
"""Deliveries/s crmkit is to accept and queue."""
APP_SECRET = "bench-app-secret"
TOKEN_KEY = "m1Uq0xKd2bq2Vf3JvT3y4sWq0mKJ8n3ZTzO9rWcPj5E="
PAGE_ID = "1001"
CALLBACK = "/p/social/webhooks/meta"
PLUGINS = {"*": True}
"""Every installed plugin enabled, whatever its default."""
FIRST_NAMES = ("Anna", "Jonas", "Lea", "Paul", "Mia", "Felix", "Emma", "Noah", "Lina", "Elias")
LAST_NAMES = ("Müller", "Schmidt", "Weber", "Fischer", "Wagner", "Becker", "Hoffmann", "Koch")


def settings(
    db: Path, graph_url: str = "http://127.0.0.1:9/v21.0", commit_seconds: float | None = None
) -> Any:
    from crmkit.core.settings import Settings

    social = {
        "accounts": {"graph_url": graph_url, "app_secret": APP_SECRET, "token_key": TOKEN_KEY},
        "webhooks": {
            "verify_token": "bench",
            **({} if commit_seconds is None else {"commit_seconds": commit_seconds}),
        },
    }
    return Settings(
        database_url=f"sqlite:///{db}", plugins=PLUGINS, plugin_settings={"social": social}
    )


def connect_page(crm: Any) -> None:
    from crmkit_social.accounts.service import store_account

    with crm.transaction() as tx:
        store_account(
            tx,
            crm,
            platform="facebook",
            page_id=PAGE_ID,
            name="Bench page",
            token="bench-page-token",
            expires_at=None,
        )


# --- The two servers.


def bare_app(db: Path) -> Any:
    """Check the HMAC of the raw body; insert the body with the stdlib driver; answer 200."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS bare_delivery"
        " (id INTEGER PRIMARY KEY, received_at REAL NOT NULL, body BLOB NOT NULL)"
    )
    key = APP_SECRET.encode()

    async def take(request: Request) -> JSONResponse:
        body = await request.body()
        given = request.headers.get("x-hub-signature-256", "")
        expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, given.lower()):
            return JSONResponse({"title": "Signature mismatch"}, 403)
        conn.execute(
            "INSERT INTO bare_delivery (received_at, body) VALUES (?, ?)", (time.time(), body)
        )
        return JSONResponse({"received": 1})

    return Starlette(routes=[Route(CALLBACK, take, methods=["POST"])])


def crmkit_app(db: Path) -> Any:
    """The CRM with every installed plugin, as ``crmkit serve`` builds it."""
    from crmkit.app import Crm
    from crmkit.web.app import create_asgi

    return create_asgi(Crm(settings(db)))


def serve(kind: str, db: Path, port: int) -> None:
    """Run one server (a child process of the benchmark)."""
    import uvicorn

    from crmkit.cli.serve import server_options

    app = crmkit_app(db) if kind == "crmkit" else bare_app(db)
    options = server_options(settings(db))
    uvicorn.run(app, host="127.0.0.1", port=port, workers=1, log_level="warning", **options)


def start(kind: str, db: Path, stack: ExitStack) -> str:
    """Start one server; its base URL once it answers."""
    return start_server([__file__, "--serve", kind, "--db", str(db)], CALLBACK, stack)


# --- The load.


def deliveries(count: int, changes: int, first: int) -> list[tuple[bytes, str]]:
    """``count`` signed deliveries of ``changes`` new leads each, as Meta sends them."""
    made = []
    now = int(time.time())
    for d in range(count):
        items = []
        for c in range(changes):
            lead = first + d * changes + c
            value = {
                "leadgen_id": str(lead),
                "page_id": PAGE_ID,
                "form_id": "9001",
                "ad_id": "3001",
                "adgroup_id": "2001",
                "created_time": now,
            }
            items.append({"field": "leadgen", "value": value})
        payload = {"object": "page", "entry": [{"id": PAGE_ID, "time": now, "changes": items}]}
        body = json.dumps(payload, separators=(",", ":")).encode()
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        made.append((body, signature))
    return made


async def send_all(
    base: str, bodies: list[tuple[bytes, str]], concurrency: int
) -> tuple[float, dict[int, int]]:
    """POST every delivery with ``concurrency`` senders; seconds taken and answers by status."""
    import aiohttp

    statuses: dict[int, int] = {}
    queue = list(reversed(bodies))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def sender() -> None:
            while queue:
                body, signature = queue.pop()
                headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
                async with session.post(base + CALLBACK, data=body, headers=headers) as answer:
                    await answer.read()
                    statuses[answer.status] = statuses.get(answer.status, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        return time.perf_counter() - began, statuses


def stored(kind: str, db: Path) -> int:
    table = "social_change" if kind == "crmkit" else "bare_delivery"
    with sqlite3.connect(db) as c:
        (count,) = c.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(count)


def accepting(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    from crmkit.app import Crm

    dbs = {"crmkit": folder / "crmkit.db", "bare": folder / "bare.db"}
    crm = Crm(settings(dbs["crmkit"]))
    crm.create_tables()
    connect_page(crm)
    crm.close()
    per_turn = max(1, args.deliveries // args.rounds)
    rates: dict[str, list[float]] = {"crmkit": [], "bare": []}
    sent = {"crmkit": 0, "bare": 0}
    with ExitStack() as stack:
        servers = {kind: start(kind, db, stack) for kind, db in dbs.items()}
        next_lead = 10**14
        for kind, base in servers.items():  # warm-up, unmeasured
            warm = deliveries(min(200, per_turn), args.changes, next_lead)
            next_lead += len(warm) * args.changes
            asyncio.run(send_all(base, warm, args.concurrency))
            sent[kind] += len(warm)
        for _ in range(args.rounds):
            for kind, base in servers.items():
                batch = deliveries(per_turn, args.changes, next_lead)
                next_lead += per_turn * args.changes
                seconds, statuses = asyncio.run(send_all(base, batch, args.concurrency))
                if set(statuses) != {200}:
                    raise RuntimeError(f"{kind} answered {statuses}")
                sent[kind] += per_turn
                rates[kind].append(per_turn / seconds)
    crmkit_rows = stored("crmkit", dbs["crmkit"])
    if crmkit_rows != sent["crmkit"] * args.changes:
        raise RuntimeError(
            f"crmkit stored {crmkit_rows} changes of {sent['crmkit'] * args.changes}"
        )
    if stored("bare", dbs["bare"]) != sent["bare"]:
        raise RuntimeError("the bare server lost deliveries")
    ratio = statistics.median(m / b for m, b in zip(rates["crmkit"], rates["bare"], strict=True))
    return {
        "crmkit_deliveries_per_s": round(statistics.median(rates["crmkit"]), 1),
        "bare_deliveries_per_s": round(statistics.median(rates["bare"]), 1),
        "crmkit_changes_per_s": round(statistics.median(rates["crmkit"]) * args.changes, 1),
        "ratio": round(ratio, 3),
        "target_deliveries_per_s": TARGET,
        "met": statistics.median(rates["crmkit"]) >= TARGET,
        "stored_changes": crmkit_rows,
    }


# --- Leads through intake.


class GraphLeads:
    """A Graph-shaped loopback server: ``GET /{leadgen_id}`` a lead, ``GET /{form_id}`` a form."""

    def __init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes: without this, Nagle holds the body back
            # until the client's delayed ACK (tens of ms a call on loopback), unlike Graph.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                node = self.path.split("?", 1)[0].rsplit("/", 1)[-1]
                data = json.dumps(outer.answer(node)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v21.0"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def person(n: int) -> tuple[str, str, str, str]:
        first = FIRST_NAMES[n % len(FIRST_NAMES)]
        last = LAST_NAMES[(n // len(FIRST_NAMES)) % len(LAST_NAMES)]
        email = f"{first.lower()}.lead{n}@example.org"
        return first, last, email, f"+49 30 {5550000 + n}"

    def answer(self, node: str) -> dict[str, Any]:
        if node == "9001":
            return {"id": node, "name": "Probefahrt anfragen"}
        n = int(node) % 10**9 if node.isdigit() else 0
        first, last, email, phone = self.person(n)
        return {
            "id": node,
            "created_time": "2026-12-06T10:00:00+0000",
            "form_id": "9001",
            "ad_id": "3001",
            "ad_name": "ID.4 Winter",
            "adset_id": "2001",
            "adset_name": "Berlin 25-54",
            "campaign_id": "1001001",
            "campaign_name": "Winter",
            "is_organic": False,
            "platform": "fb",
            "field_data": [
                {"name": "full_name", "values": [f"{first} {last}"]},
                {"name": "email", "values": [email]},
                {"name": "phone_number", "values": [phone]},
                {"name": "city", "values": ["Berlin"]},
            ],
            "custom_disclaimer_responses": [],
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def leads(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    from crmkit import SYSTEM, intake_prospect
    from crmkit.app import Crm

    try:
        from crmkit_social.leads import intake  # noqa: F401 - the leads part's handler
        from crmkit_social.webhooks.dispatch import handler_for

        handler_for("leadgen")
    except (ImportError, AttributeError) as missing:
        raise RuntimeError(f"leads part missing: {missing}") from None
    from crmkit_social.webhooks.inbox import read_delivery, store_changes
    from crmkit_social.webhooks.process import process_pending
    from crmkit_social.webhooks.tables import change_table

    graph = GraphLeads()
    try:
        crm = Crm(settings(folder / "leads.db", graph.url, args.commit_seconds))
        crm.create_tables()
        connect_page(crm)
        payload = json.loads(deliveries(1, args.leads, 5 * 10**14)[0][0])
        with crm.transaction() as tx:
            store_changes(tx.conn, read_delivery(payload))
        began = time.perf_counter()
        while True:
            counts = process_pending(crm)
            if not any(counts[k] for k in ("processed", "retried", "failed")):
                break
        seconds = time.perf_counter() - began
        with crm.read() as conn:
            from sqlalchemy import func, select

            states = dict(
                conn.execute(
                    select(change_table.c.state, func.count()).group_by(change_table.c.state)
                ).all()
            )
        crm.close()
        baseline = Crm(settings(folder / "intake.db", graph.url))
        baseline.create_tables()
        began_intake = time.perf_counter()
        for n in range(args.leads):
            first, last, email, phone = graph.person(n + 7 * 10**8)
            prospect = {
                "first_name": first,
                "last_name": last,
                "emails": [email],
                "phones": [phone],
                "addresses": [{"city": "Berlin", "country": "DE"}],
            }
            intake_prospect(baseline, SYSTEM, prospect, source="bench")
        intake_seconds = time.perf_counter() - began_intake
        baseline.close()
    finally:
        graph.close()
    processed = int(states.get("processed", 0))
    if processed != args.leads:
        raise RuntimeError(f"only {processed} of {args.leads} leads were processed: {states}")
    return {
        "leads": args.leads,
        "leads_per_s": round(args.leads / seconds, 1),
        "intake_alone_per_s": round(args.leads / intake_seconds, 1),
        "ratio": round(intake_seconds / seconds, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=6000, help="per server, over the turns")
    parser.add_argument("--changes", type=int, default=1, help="leadgen changes per delivery")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--leads", type=int, default=300)
    parser.add_argument(
        "--commit-seconds",
        type=float,
        help="[plugins.social.webhooks] commit_seconds of the leads run (0: a transaction a lead)",
    )
    parser.add_argument("--sections", default="accept,leads", help="comma-separated subset")
    parser.add_argument("--serve", choices=("crmkit", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.db, args.port)
        return
    sections = [s for s in args.sections.split(",") if s]
    figures: dict[str, Any] = {
        "commit_seconds": args.commit_seconds,
        "deliveries": args.deliveries,
        "changes_per_delivery": args.changes,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "database": "sqlite",
    }
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        if "accept" in sections:
            accept = accepting(args, folder)
            figures["accept"] = accept
            print(
                f"accept  crmkit {accept['crmkit_deliveries_per_s']:8.1f} deliveries/s"
                f" | bare {accept['bare_deliveries_per_s']:8.1f} deliveries/s"
                f" | ratio {accept['ratio']:.2f}"
                f" (target {TARGET:.0f}/s: {'met' if accept['met'] else 'NOT met'})",
                flush=True,
            )
        if "leads" in sections:
            taken = leads(args, folder)
            figures["leads"] = taken
            print(
                f"leads   {taken['leads_per_s']:8.1f} leads/s fetched, mapped and taken in"
                f" | intake alone {taken['intake_alone_per_s']:8.1f}/s"
                f" | ratio {taken['ratio']:.2f}",
                flush=True,
            )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

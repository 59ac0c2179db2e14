"""HTTP API benchmark: crmkit under uvicorn against a bare Starlette + stdlib sqlite3 endpoint.

    python bench/api.py [--customers N] [--seconds S] [--connections C] [--rounds R]

A SQLite file is seeded with N demo customers (``crmkit.demo``'s generator, with
their histories and the demo users). Two servers run under uvicorn, one worker
each, in processes of their own: crmkit with every installed plugin, called with
a real API token (scope ``write``) of the demo admin; and a bare Starlette app
answering the same queries with the stdlib ``sqlite3`` driver and no auth, which
is the limit. A closed-loop load generator (httpx on asyncio, C connections, in
this process) drives three cases: GET a customer by random id, a filtered list
page of 20 (customers whose name contains a random surname), and POST an
interaction. Each case runs R rounds of S/R seconds per server, alternating, so
that drifts of a shared machine hit both alike. Figures: requests/s, p50 and p99
latency, and crmkit's share of the bare throughput. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from starlette.requests import Request

TARGETS = {"get": 0.40, "list": 0.25, "post": 0.40}
PAGE = 20


# --- The bare server: the same queries through sqlite3, no framework of ours, no auth.


def bare_app(db: Path) -> Any:
    """Starlette routes calling sqlite3 directly; one connection per worker thread."""
    import threading

    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    local = threading.local()

    def conn() -> sqlite3.Connection:
        if not hasattr(local, "conn"):
            local.conn = sqlite3.connect(db, check_same_thread=False)
            local.conn.row_factory = sqlite3.Row
            local.conn.execute("PRAGMA journal_mode=WAL")
        c: sqlite3.Connection = local.conn
        return c

    def with_contacts(c: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
        parties = [dict(r) for r in rows]
        ids = [p["id"] for p in parties]
        marks = ",".join("?" * len(ids))
        contacts: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            for r in c.execute(
                f"SELECT party_id, kind, value FROM core_contact_point WHERE party_id IN ({marks})",
                ids,
            ):
                contacts[r["party_id"]].append({"kind": r["kind"], "value": r["value"]})
        for p in parties:
            p["contacts"] = contacts[p["id"]]
        return parties

    def get(request: Request) -> JSONResponse:
        c = conn()
        rows = c.execute(
            "SELECT * FROM core_party WHERE id = ?", (request.path_params["id"],)
        ).fetchall()
        if not rows:
            return JSONResponse({"detail": "not found"}, 404)
        return JSONResponse(with_contacts(c, rows)[0])

    def listing(request: Request) -> JSONResponse:
        c = conn()
        text = f"%{request.query_params['q']}%"
        rows = c.execute(
            "SELECT * FROM core_party WHERE role = 'customer' AND (display_name LIKE ?"
            " OR id IN (SELECT party_id FROM core_contact_point WHERE kind = 'email'"
            " AND key LIKE ?)) ORDER BY display_name, id LIMIT ?",
            (text, text, PAGE + 1),
        ).fetchall()
        return JSONResponse({"items": with_contacts(c, rows[:PAGE])})

    async def post(request: Request) -> JSONResponse:
        body = await request.json()
        c = conn()
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        cursor = c.execute(
            "INSERT INTO core_interaction (party_id, channel, direction, occurred_at, subject,"
            " source, refs, custom, created_at) VALUES (?, ?, ?, ?, ?, 'core', '[]', '{}', ?)",
            (body["party_id"], body["channel"], body["direction"], now, body["subject"], now),
        )
        c.commit()
        return JSONResponse({"id": cursor.lastrowid, **body}, 201)

    return Starlette(
        routes=[
            Route("/api/v1/parties/{id:int}", get),
            Route("/api/v1/customers", listing),
            Route("/api/v1/interactions", post, methods=["POST"]),
        ]
    )


def crmkit_app(db: Path) -> Any:
    """The CRM with every installed plugin, as ``crmkit serve`` builds it."""
    from crmkit.app import Crm
    from crmkit.core.settings import Settings
    from crmkit.web.app import create_asgi

    return create_asgi(Crm(Settings(database_url=f"sqlite:///{db}")))


def serve(kind: str, db: Path, port: int) -> None:
    """Run one server (a child process of the benchmark)."""
    import uvicorn

    app = crmkit_app(db) if kind == "crmkit" else bare_app(db)
    uvicorn.run(app, host="127.0.0.1", port=port, workers=1, log_level="warning", access_log=False)


# --- Setting up and driving the servers.


def seed(db: Path, customers: int) -> str:
    """Seed the demo data; return a new write token of the demo admin."""
    from crmkit.core.auth import create_token
    from crmkit.core.settings import Settings
    from crmkit.demo.data import ADMIN_USERNAME
    from crmkit.demo.seed import seed as seed_demo
    from crmkit.testing import make_app

    crm = make_app(settings=Settings(database_url=f"sqlite:///{db}"))
    seed_demo(crm, customers=customers, prospects=0)
    with crm.transaction() as tx:
        token = create_token(tx, ADMIN_USERNAME, "api benchmark", ("write",)).token
    crm.close()
    return token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(kind: str, db: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--db", str(db), "--port", str(port)]
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/api/v1/parties/1", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the {kind} server did not start")


Send = Callable[[httpx.AsyncClient, random.Random], Any]


def cases(ids: list[int], surnames: list[str]) -> dict[str, Send]:
    def get(client: httpx.AsyncClient, rnd: random.Random) -> Any:
        return client.get(f"/api/v1/parties/{rnd.choice(ids)}")

    def listing(client: httpx.AsyncClient, rnd: random.Random) -> Any:
        return client.get("/api/v1/customers", params={"q": rnd.choice(surnames), "limit": PAGE})

    def post(client: httpx.AsyncClient, rnd: random.Random) -> Any:
        body = {
            "party_id": rnd.choice(ids),
            "channel": "phone",
            "direction": "inbound",
            "subject": "Benchmark call",
        }
        return client.post("/api/v1/interactions", json=body)

    return {"get": get, "list": listing, "post": post}


async def drive(
    base: str, headers: dict[str, str], request: Send, seconds: float, connections: int
) -> tuple[int, list[float], int]:
    """Closed loop: each connection sends its next request when the last one answered."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:
        stop = time.perf_counter() + seconds

        async def worker(seed: int) -> None:
            nonlocal errors
            rnd = random.Random(seed)
            while time.perf_counter() < stop:
                began = time.perf_counter()
                answer = await request(client, rnd)
                latencies.append(time.perf_counter() - began)
                if answer.status_code >= 400:
                    errors += 1

        await asyncio.gather(*(worker(i) for i in range(connections)))
    return len(latencies), latencies, errors


def summary(count: int, latencies: list[float], seconds: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "rps": round(count / seconds, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="per case and server")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="alternations per case")
    parser.add_argument("--serve", choices=("crmkit", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.db, args.port)
        return

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        began = time.perf_counter()
        token = seed(db, args.customers)
        print(f"seeded {args.customers:,} customers in {time.perf_counter() - began:.1f} s")
        with sqlite3.connect(db) as c:
            ids = [r[0] for r in c.execute("SELECT id FROM core_party WHERE role = 'customer'")]
            surnames = sorted(
                {
                    r[0]
                    for r in c.execute(
                        "SELECT last_name FROM core_party WHERE last_name IS NOT NULL"
                    )
                }
            )
        servers = {kind: start(kind, db) for kind in ("crmkit", "bare")}
        auth = {"crmkit": {"authorization": f"Bearer {token}"}, "bare": {}}
        figures: dict[str, Any] = {
            "customers": args.customers,
            "seconds": args.seconds,
            "connections": args.connections,
            "auth": "API token (scope write)",
        }
        try:
            slice_ = args.seconds / args.rounds
            for case, request in cases(ids, surnames).items():
                totals: dict[str, tuple[int, list[float], int]] = {k: (0, [], 0) for k in servers}
                for _ in range(args.rounds):
                    for kind, (_, base) in servers.items():
                        count, lat, errs = asyncio.run(
                            drive(base, auth[kind], request, slice_, args.connections)
                        )
                        n, all_lat, e = totals[kind]
                        totals[kind] = (n + count, all_lat + lat, e + errs)
                result = {
                    kind: {**summary(n, lat, args.seconds), "errors": e}
                    for kind, (n, lat, e) in totals.items()
                }
                ratio = result["crmkit"]["rps"] / result["bare"]["rps"]
                result["ratio"] = round(ratio, 3)
                result["target"] = TARGETS[case]
                figures[case] = result
                print(
                    f"{case:5} crmkit {result['crmkit']['rps']:8.1f} req/s"
                    f" p50 {result['crmkit']['p50_ms']:6.2f} ms p99 {result['crmkit']['p99_ms']:7.2f} ms"
                    f" | bare {result['bare']['rps']:8.1f} req/s"
                    f" p50 {result['bare']['p50_ms']:6.2f} ms p99 {result['bare']['p99_ms']:7.2f} ms"
                    f" | ratio {ratio:.2f} (target {TARGETS[case]:.2f})"
                    f" errors {result['crmkit']['errors']}/{result['bare']['errors']}"
                )
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait(timeout=10)
    print(json.dumps(figures))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()

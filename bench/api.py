"""HTTP API benchmark: crmkit under uvicorn against a bare Starlette + stdlib sqlite3 endpoint.

    bench/install-tools        # once: installs wrk (Debian package) if it is missing
    python bench/api.py [--customers N] [--seconds S] [--connections C] [--rounds R]
                        [--database FILE] [--cases get,list,post]

A SQLite file is seeded with N demo customers (``crmkit.demo``'s generator, with their
histories and the demo users), or reused when ``--database`` names one seeded before.
Two servers run under uvicorn, one worker each, each on a copy of the file of its own,
in processes of their own and as ``crmkit serve`` runs them (uvicorn's event loop and
HTTP parser, no access log, what the start made frozen out of the garbage collector's
walks): crmkit with every installed plugin enabled, called with a real API token (scope
``write``) of the demo admin; and a bare Starlette app whose ``async`` handlers call the
stdlib ``sqlite3`` driver on the event loop (no thread hand-off, no auth, one
connection), which is the limit. "The same queries" are the SQL statements crmkit runs
for the request: for the POST, the party and its contact points, the interaction
(inserted if the party exists), the prospect's first contact, the audit entry and the
outbox event, in one transaction; only the framework, the hooks and the permission
checks are missing. wrk drives C connections for S seconds per case and server: GET a
customer by random id, a filtered list page of 20 (customers a random surname finds,
from the search index, by name) and POST an interaction on a random customer. After an
unmeasured warm-up, the servers take R turns of S/R seconds each per case, so that
drifts of a shared machine hit both alike; a turn starts once crmkit has handed every
event of the turns before to its subscribers (the seconds that took are
``crmkit_settling_s``), so that neither server's turn pays for the other's.
Figures: requests/s, p50 and p99 latency (pooled over the turns), crmkit's share of
the bare throughput (the median of the turns' ratios) and its p99 as a multiple of
the bare p99. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _serving import start_server
from attrs import frozen

if TYPE_CHECKING:
    from starlette.requests import Request

TARGETS = {"get": 0.30, "list": 0.30, "post": 0.25}
"""The least share of the bare throughput crmkit is to reach, per case."""
P99_TARGET = 3.0
"""The most crmkit's p99 latency is to be, as a multiple of the bare app's."""
PAGE = 20
PLUGINS = {"*": True}
"""Every installed plugin enabled, whatever its default."""

# --- The bare server: the same queries through sqlite3, no framework of ours, no auth.


def bare_app(db: Path) -> Any:
    """Async Starlette routes calling sqlite3 on the event loop: no thread hand-off, no auth.

    One connection, opened at start-up; a handler never awaits while it holds a transaction,
    so the loop runs the POSTs' transactions one after another, each committed alone.
    """
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    c = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    c.row_factory = sqlite3.Row
    # The durability crmkit runs with: WAL, synced at checkpoints.
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("PRAGMA synchronous=NORMAL")

    # crmkit's load: the party's columns and its contact points gathered as JSON, one statement.
    loaded = (
        "SELECT id, role, kind, first_name, last_name, organisation_name, birth_date, owner_id,"
        " custom, version, created_at, updated_at, source, status, customer_number,"
        " converted_at, (SELECT json_group_array(json_array(c.kind, c.position, c.value, c.key,"
        " json(c.data))) FROM core_contact_point AS c WHERE c.party_id = core_party.id)"
        " AS contacts FROM core_party"
    )

    def rendered(row: sqlite3.Row) -> dict[str, Any]:
        party = dict(row)
        party["custom"] = json.loads(party["custom"])
        party["contacts"] = [
            {"kind": kind, "value": value}
            for kind, _position, value, _key, _data in sorted(
                json.loads(party["contacts"]), key=lambda contact: contact[:2]
            )
        ]
        return party

    async def get(request: Request) -> JSONResponse:
        row = c.execute(
            f"{loaded} WHERE id = ? AND role = 'customer'", (request.path_params["id"],)
        ).fetchone()
        if row is None:
            return JSONResponse({"detail": "not found"}, 404)
        return JSONResponse(rendered(row))

    async def listing(request: Request) -> JSONResponse:
        prefix = request.query_params["q"].casefold()
        rows = c.execute(
            f"{loaded} WHERE role = 'customer' AND id IN (SELECT party_id"
            " FROM core_search_term WHERE term >= ? AND term < ?)"
            " ORDER BY display_name, id LIMIT ?",
            (prefix, prefix + chr(sys.maxunicode), PAGE + 1),
        ).fetchall()
        return JSONResponse({"items": [rendered(row) for row in rows[:PAGE]]})

    async def post(request: Request) -> JSONResponse:
        # crmkit's statements for this request, in its order: the party and its contact
        # points (the permission check's subject), the interaction (if the party exists),
        # the prospect's first contact, the audit entry and the outbox event.
        body = await request.json()
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        party_id = body["party_id"]
        c.execute("BEGIN IMMEDIATE")
        try:
            row = c.execute(f"{loaded} WHERE id = ?", (party_id,)).fetchone()
            if row is None:
                c.execute("ROLLBACK")
                return JSONResponse({"detail": "not found"}, 404)
            rendered(row)
            row = {
                "party_id": party_id,
                "channel": body["channel"],
                "direction": body["direction"],
                "occurred_at": now,
                "subject": body["subject"],
                "source": "core",
                "refs": [],
                "custom": {},
            }
            (item_id,) = c.execute(
                "INSERT INTO core_interaction (party_id, channel, direction, occurred_at,"
                " subject, source, refs, custom, created_at)"
                " SELECT id, ?, ?, ?, ?, 'core', '[]', '{}', ? FROM core_party WHERE id = ?"
                " RETURNING id",
                (body["channel"], body["direction"], now, body["subject"], now, party_id),
            ).fetchone()
            c.execute(
                "UPDATE core_party SET first_contacted_at = ? WHERE id = ? AND role = 'prospect'"
                " AND first_contacted_at IS NULL",
                (now, party_id),
            )
            c.execute(
                "INSERT INTO core_audit (occurred_at, actor_id, actor_name, entity, entity_id,"
                " action, changes) VALUES (?, NULL, 'bench', 'interaction', ?, 'created', ?)",
                (now, str(item_id), json.dumps({k: [None, v] for k, v in row.items()})),
            )
            c.execute(
                "INSERT INTO core_outbox (event_type, entity, entity_id, payload, created_at,"
                " delivered_at, attempts) VALUES ('interaction.logged', 'interaction', ?, ?, ?,"
                " ?, 0)",
                (str(item_id), json.dumps({"id": item_id, "party_id": party_id}), now, now),
            )
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return JSONResponse({"id": item_id, **row, "created_at": now}, 201)

    return Starlette(
        routes=[
            Route("/api/v1/customers/{id:int}", get),
            Route("/api/v1/customers", listing),
            Route("/api/v1/interactions", post, methods=["POST"]),
        ]
    )


def settings(db: Path) -> Any:
    from crmkit.core.settings import Settings

    return Settings(database_url=f"sqlite:///{db}", plugins=PLUGINS)


def crmkit_app(db: Path) -> Any:
    """The CRM with every installed plugin, as ``crmkit serve`` builds it."""
    from crmkit.app import Crm
    from crmkit.web.app import create_asgi

    return create_asgi(Crm(settings(db)), long_lived=True)


def serve(kind: str, db: Path, port: int) -> None:
    """Run one server (a child process of the benchmark)."""
    import uvicorn

    from crmkit.cli.serve import server_options

    if kind == "crmkit":
        app = crmkit_app(db)
    else:
        app = bare_app(db)
        gc.freeze()  # as crmkit's start is (create_asgi's long_lived)
    options = server_options(settings(db))
    uvicorn.run(app, host="127.0.0.1", port=port, workers=1, log_level="warning", **options)


# --- Setting up and driving the servers.


def prepare(db: Path, customers: int) -> tuple[str, list[str], bool]:
    """Seed the demo data unless it is there; a new write token of the demo admin and the plugins."""
    from crmkit.app import Crm
    from crmkit.core.auth import create_token
    from crmkit.demo.data import ADMIN_USERNAME
    from crmkit.demo.seed import seed

    crm = Crm(settings(db))
    crm.create_tables()
    seeded = seed(crm, customers=customers, prospects=0) is not None
    with crm.transaction() as tx:
        token = create_token(tx, ADMIN_USERNAME, "api benchmark", ("write",)).token
    plugins = sorted(n for n, s in crm.host.statuses.items() if s.state == "loaded")
    crm.close()
    return token, plugins, seeded


def start(kind: str, db: Path, stack: ExitStack) -> str:
    """Start one server; its base URL once it answers."""
    return start_server([__file__, "--serve", kind, "--db", str(db)], "/api/v1/customers/0", stack)


LUA = """
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local surnames = {}
for line in io.lines(os.getenv("BENCH_SURNAMES")) do surnames[#surnames + 1] = line end
local case = os.getenv("BENCH_CASE")
local QUANTILES = 1000
local headers = {["Content-Type"] = "application/json"}
if os.getenv("BENCH_TOKEN") ~= "" then
  headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end

function setup(thread)
  thread:set("seed", math.random(1, 2147483647))
end

function init(args)
  math.randomseed(seed)
end

request = function()
  if case == "get" then
    return wrk.format("GET", "/api/v1/customers/" .. ids[math.random(#ids)], headers)
  elseif case == "list" then
    local q = surnames[math.random(#surnames)]
    return wrk.format("GET", "/api/v1/customers?limit=20&q=" .. q, headers)
  end
  local body = string.format(
    '{"party_id": %s, "channel": "phone", "direction": "inbound", "subject": "Benchmark call"}',
    ids[math.random(#ids)])
  return wrk.format("POST", "/api/v1/interactions", headers, body)
end

done = function(summary, latency, requests)
  local quantiles = {}
  for i = 1, QUANTILES do
    quantiles[i] = latency:percentile(100 * (i - 0.5) / QUANTILES)
  end
  io.write(string.format(
    'BENCH {"requests": %d, "micros": %d, "errors": %d, "quantiles_us": [%s]}\\n',
    summary.requests, summary.duration,
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    table.concat(quantiles, ",")))
end
"""


@frozen
class Slice:
    """What wrk measured in one run: requests, seconds, errors and the latency quantiles."""

    requests: int
    seconds: float
    errors: int
    quantiles_ms: tuple[float, ...]
    """Evenly spaced: the i-th of n is the latency at percentile 100 (i + 0.5) / n."""


def run_wrk(base: str, case: str, seconds: float, connections: int, env: dict[str, str]) -> Slice:
    """One wrk run of ``case`` against ``base``."""
    answer = subprocess.run(
        [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            env["BENCH_SCRIPT"],
            base,
        ],
        env={**os.environ, **env, "BENCH_CASE": case},
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"^BENCH (\{.*\})$", answer.stdout, re.M)
    if found is None:
        raise RuntimeError(f"wrk printed no figures:\n{answer.stdout}\n{answer.stderr}")
    raw = json.loads(found[1])
    return Slice(
        requests=raw["requests"],
        seconds=raw["micros"] / 1e6,
        errors=raw["errors"],
        quantiles_ms=tuple(q / 1000 for q in raw["quantiles_us"]),
    )


def combined(slices: list[Slice]) -> dict[str, float]:
    """Requests/s over all slices; p50 and p99 of their latencies pooled, each weighted by its requests."""
    points = sorted((q, s.requests / len(s.quantiles_ms)) for s in slices for q in s.quantiles_ms)
    total = sum(weight for _, weight in points)

    def percentile(p: float) -> float:
        seen = 0.0
        for value, weight in points:
            seen += weight
            if seen >= total * p / 100:
                return round(value, 2)
        return round(points[-1][0], 2)

    return {
        "rps": round(sum(s.requests for s in slices) / sum(s.seconds for s in slices), 1),
        "p50_ms": percentile(50),
        "p99_ms": percentile(99),
        "errors": sum(s.errors for s in slices),
    }


def settled(db: Path, after: int, most: float = 300.0) -> float:
    """Seconds until crmkit on ``db`` has handed each event written after outbox id ``after``
    to its subscribers once. (What was there before, and a delivery that failed, is the
    ``core.deliver_outbox`` job's, which ``crmkit worker`` runs, not the server.)"""
    began = time.perf_counter()
    query = (
        "SELECT count(*) FROM core_outbox WHERE id > ? AND delivered_at IS NULL AND attempts = 0"
    )
    with sqlite3.connect(db, timeout=30) as c:
        while c.execute(query, (after,)).fetchone()[0]:
            if time.perf_counter() - began > most:
                raise RuntimeError(f"crmkit still had events to hand on after {most:.0f} s")
            time.sleep(0.1)
    return time.perf_counter() - began


def last_event(db: Path) -> int:
    with sqlite3.connect(db) as c:
        return int(c.execute("SELECT coalesce(max(id), 0) FROM core_outbox").fetchone()[0])


def workload(db: Path, folder: Path, token: str) -> dict[str, dict[str, str]]:
    """wrk's environment per server: the script, random ids and surnames, the token."""
    with sqlite3.connect(db) as c:
        ids = [r[0] for r in c.execute("SELECT id FROM core_party WHERE role = 'customer'")]
        surnames = sorted(
            {
                r[0].casefold()
                for r in c.execute(
                    "SELECT last_name FROM core_party WHERE role = 'customer'"
                    " AND last_name IS NOT NULL"
                )
                if r[0].isascii() and r[0].isalpha()
            }
        )
    random.Random(0).shuffle(ids)
    (folder / "ids").write_text("\n".join(map(str, ids)) + "\n")
    (folder / "surnames").write_text("\n".join(surnames) + "\n")
    (folder / "bench.lua").write_text(LUA)
    common = {
        "BENCH_SCRIPT": str(folder / "bench.lua"),
        "BENCH_IDS": str(folder / "ids"),
        "BENCH_SURNAMES": str(folder / "surnames"),
    }
    return {"crmkit": {**common, "BENCH_TOKEN": token}, "bare": {**common, "BENCH_TOKEN": ""}}


def line(case: str, result: dict[str, Any]) -> str:
    mine, bare = result["crmkit"], result["bare"]
    return (
        f"{case:5} crmkit {mine['rps']:8.1f} req/s p50 {mine['p50_ms']:6.2f} ms"
        f" p99 {mine['p99_ms']:7.2f} ms | bare {bare['rps']:8.1f} req/s"
        f" p50 {bare['p50_ms']:6.2f} ms p99 {bare['p99_ms']:7.2f} ms"
        f" | ratio {result['ratio']:.2f} (target {result['target']:.2f})"
        f" p99 x{result['p99_ratio']:.1f} (target x{P99_TARGET:.0f})"
        f" errors {mine['errors']}/{bare['errors']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="per case and server")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--rounds", type=int, default=4, help="turns each server takes per case (seconds split)"
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds per case")
    parser.add_argument(
        "--database", type=Path, help="SQLite file to seed, or to reuse if seeded before"
    )
    parser.add_argument("--cases", default="get,list,post", help="comma-separated subset")
    parser.add_argument("--serve", choices=("crmkit", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.db, args.port)
        return
    if shutil.which("wrk") is None:
        sys.exit("bench/api.py needs wrk: run bench/install-tools")
    cases = [c for c in args.cases.split(",") if c]
    if unknown := set(cases) - set(TARGETS):
        sys.exit(f"unknown cases: {', '.join(sorted(unknown))}")

    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        folder = Path(scratch)
        db = args.database or folder / "bench.db"
        began = time.perf_counter()
        token, plugins, seeded = prepare(db, args.customers)
        with sqlite3.connect(db) as c:
            (customers,) = c.execute(
                "SELECT count(*) FROM core_party WHERE role = 'customer'"
            ).fetchone()
        print(
            f"{'seeded' if seeded else 'reused'} {customers:,} customers"
            f" in {time.perf_counter() - began:.1f} s; plugins: {', '.join(plugins) or 'none'}"
        )
        env = workload(db, folder, token)
        # A file each: what one server still writes after its turn (crmkit's events, handed
        # to their subscribers) must not hold the other's writes up on the database's lock.
        dbs = {"crmkit": db, "bare": folder / "bare.db"}
        with sqlite3.connect(db) as source, sqlite3.connect(dbs["bare"]) as copy:
            source.backup(copy)
        before = last_event(db)
        servers = {kind: start(kind, dbs[kind], stack) for kind in ("crmkit", "bare")}
        figures: dict[str, Any] = {
            "customers": customers,
            "seconds": args.seconds,
            "connections": args.connections,
            "plugins": plugins,
            "auth": "API token (scope write)",
            "rounds": args.rounds,
            "generator": "wrk",
        }
        for case in cases:
            for kind, base in servers.items():
                run_wrk(base, case, args.warmup, args.connections, env[kind])
            slices: dict[str, list[Slice]] = {kind: [] for kind in servers}
            settling = 0.0
            for _ in range(args.rounds):
                for kind, base in servers.items():
                    # Nor its work on the machine's cores: crmkit's events handed on first.
                    settling += settled(dbs["crmkit"], before)
                    slice_ = args.seconds / args.rounds
                    slices[kind].append(run_wrk(base, case, slice_, args.connections, env[kind]))
            result: dict[str, Any] = {kind: combined(slices[kind]) for kind in servers}
            result["crmkit_settling_s"] = round(settling, 2)
            # Each round's ratio compares turns taken side by side; their median resists
            # a turn that the shared machine slowed down.
            result["ratio"] = round(
                statistics.median(
                    (m.requests / m.seconds) / (b.requests / b.seconds)
                    for m, b in zip(slices["crmkit"], slices["bare"], strict=True)
                ),
                3,
            )
            result["target"] = TARGETS[case]
            result["p99_ratio"] = round(result["crmkit"]["p99_ms"] / result["bare"]["p99_ms"], 2)
            result["p99_target"] = P99_TARGET
            figures[case] = result
            print(line(case, result), flush=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

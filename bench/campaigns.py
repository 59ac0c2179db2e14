"""Campaigns benchmark: segments, a campaign to 100,000 members, tracking hits, each beside a baseline.

    python bench/campaigns.py [--parties N] [--interactions M] [--members K] [--runs R]
                              [--seconds S] [--connections C] [--database-url URL]
                              [--sections segments,campaign,tracking]

**Segments** (``--parties``, ``--interactions``): the figures of ``segment_figures`` in
``bench/campaign_segments.py`` (the segments part's own bench: a segment over N parties
and M interactions resolved through ``compile_segment``, beside hand-written SQL, and
its plan on PostgreSQL). Called with those of ``parties``, ``interactions``, ``runs``
and ``database_url`` its signature names; skipped (and said so) while the file is missing.

**Campaign**: a database (SQLite: a file cached in the temp folder, keyed by K; or
``--database-url``, PostgreSQL) holding K customers with an email address and granted
``marketing`` email consent (``source`` ``bench-campaigns``). Each run creates a segment
(``source`` is ``bench-campaigns``) and a one-off campaign with an email of its own (a
subject, a text and an HTML part with a link: tracked, with an unsubscribe link) through
the campaigns plugin's Python API, then times **targeting** (``lifecycle.target``: the
segment's INSERT … SELECT of members) and **queueing** (``lifecycle.start``, then the send
job's ``send_batch`` in one transaction per batch, as ``crmkit worker`` runs it, until
every member is ``queued``: each email checked against consent and suppression and
stored in the outbox, where it waits to be rendered at delivery; the first of each batch
is rendered at once). Baseline: the same members by a hand-written INSERT … SELECT, then
the outbox rows as crmkit stores them (variables and a body id, built beforehand) by one
``executemany`` on the driver's connection, in one transaction. What a run queued is deleted after it. Figures:
medians of R runs of the wall time and of this process's CPU time (steadier on a busy
machine; on PostgreSQL the server's CPU is not in it), the ratios crmkit / baseline, and
whether targeting and queueing took under the issue's 10 s.

**Tracking** (``--seconds``, ``--connections``): ``/p/channels/open`` and
``/p/channels/click`` of crmkit (the channels and campaigns plugins, under uvicorn as
``crmkit serve`` runs it) hit by wrk with valid tokens of 10,000 emails, each request a
random one, against a bare Starlette app doing the same per hit on the event loop with
the stdlib ``sqlite3`` (SQLite only): the token's HMAC checked, the email looked up by
Message-ID, the event inserted, committed alone. Each server takes R turns of S/R seconds
per case; figures are the medians of the turns' requests/s (target 3,000), p50 and p99,
and the ratio of crmkit's median to the bare one.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import inspect
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from _cache import cached_sqlite
from _serving import start_server
from attrs import frozen
from sqlalchemy import delete, func, insert, select

from crmkit import SYSTEM, Crm, Settings, utcnow
from crmkit.testing import make_app

SOURCE = "bench-campaigns"
QUEUE_TARGET_S = 10.0
"""The issue's bound: a campaign to 100,000 members targeted and queued in under 10 s."""
TRACKING_TARGET = 3000.0
"""Tracking hits/s to reach."""
TRACKED_EMAILS = 10_000
SECRET = "a-benchmark-secret-of-at-least-32-characters"
PUBLIC_URL = "https://crm.acme.example"
BATCH = 10_000
HERE = Path(__file__).resolve().parent

SUBJECT = "Autumn offers for {{ party.first_name or party.name }}"
TEXT = (
    "Dear {{ party.name }},\n\nour autumn range is in: https://shop.acme.example/autumn\n\n"
    "Kind regards,\nAcme\n\nNo more of these: {{ unsubscribe_url }}\n"
)
HTML = (
    "<html><body><p>Dear {{ party.name }},</p><p>our autumn range is in:"
    ' <a href="https://shop.acme.example/autumn">see it</a>.</p><p>Kind regards,<br>Acme</p>'
    '<p><a href="{{ unsubscribe_url }}">No more of these</a></p></body></html>'
)


def settings_for(url: str) -> Settings:
    return Settings(
        database_url=url,
        plugin_settings={
            "channels": {
                "from_address": "Acme <news@acme.example>",
                "public_url": PUBLIC_URL,
                "link_secret": SECRET,
            },
            "campaigns": {},
        },
    )


def crm_on(url: str) -> Crm:
    return make_app(["channels", "campaigns"], settings=settings_for(url))


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


# --- Segments: the segments part's bench, when it is there.


def segments_section(args: argparse.Namespace) -> dict[str, Any]:
    try:
        module = importlib.import_module("campaign_segments")
    except ModuleNotFoundError:
        print("segments: bench/campaign_segments.py is not there yet; skipped")
        return {"segments": None}
    figures: Callable[..., dict[str, Any]] = module.segment_figures
    given = {
        "parties": args.parties,
        "interactions": args.interactions,
        "runs": args.runs,
        "database_url": args.database_url,
    }
    wanted = inspect.signature(figures).parameters
    found = figures(**{name: value for name, value in given.items() if name in wanted})
    print(f"segments: {json.dumps(found)}")
    return {"segments": found}


# --- The campaign: parties, then timed runs.


def _parties(count: int) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    now = utcnow()
    for n in range(1, count + 1):
        first, last = f"Ada{n}", "Lovelace" if n % 2 else "Hopper"
        address = f"{first.lower()}.{last.lower()}@example.org"
        party = {
            "role": "customer",
            "kind": "person",
            "display_name": f"{first} {last}",
            "first_name": first,
            "last_name": last,
            "source": SOURCE,
            "custom": {},
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        point = {"kind": "email", "position": 0, "value": address, "key": address}
        consent = {
            "purpose": "marketing",
            "channel": "email",
            "status": "granted",
            "source": SOURCE,
            "recorded_at": now,
            "recorded_by": "bench",
        }
        yield party, point, consent


def fill_parties(crm: Crm, count: int) -> None:
    """``count`` consenting customers with an address, in batches (set-based, no events)."""
    from crmkit import consent_table, contact_point_table, party_table

    rows = _parties(count)
    with crm.transaction(SYSTEM) as tx:
        while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
            ids = (
                tx.conn.execute(
                    insert(party_table).returning(party_table.c.id, sort_by_parameter_order=True),
                    [p for p, _, _ in batch],
                )
                .scalars()
                .all()
            )
            points = [{**c, "party_id": i} for i, (_, c, _) in zip(ids, batch, strict=True)]
            consents = [{**c, "party_id": i} for i, (_, _, c) in zip(ids, batch, strict=True)]
            tx.conn.execute(insert(contact_point_table), points)
            tx.conn.execute(insert(consent_table), consents)


def campaign_database(members: int, url: str | None) -> str:
    """The database URL holding ``members`` bench parties, filled if it holds another number."""
    if url is None:
        url = cached_sqlite("campaigns", f"campaigns-{members}")
    from crmkit import party_table

    crm = crm_on(url)
    try:
        with crm.read() as conn:
            held = conn.execute(
                select(func.count()).select_from(party_table).where(party_table.c.source == SOURCE)
            ).scalar_one()
        if held != members:
            if held:
                with crm.transaction(SYSTEM) as tx:
                    tx.conn.execute(delete(party_table).where(party_table.c.source == SOURCE))
            began = time.perf_counter()
            fill_parties(crm, members)
            print(f"filled {members:,} parties in {time.perf_counter() - began:.1f} s")
        else:
            print(f"reusing {members:,} parties of {url.rpartition('/')[2]}")
    finally:
        crm.close()
    return url


@frozen
class Timed:
    """Wall seconds and this process's CPU seconds (steadier on a busy machine) of a step."""

    wall: float
    cpu: float


class Clock:
    """Wall and CPU time since it was made, or since the last :meth:`lap`."""

    def __init__(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self) -> Timed:
        wall, cpu = time.perf_counter(), time.process_time()
        took = Timed(wall - self._wall, cpu - self._cpu)
        self._wall, self._cpu = wall, cpu
        return took


def crmkit_run(crm: Crm, run: int, batch: int) -> tuple[Timed, Timed, int]:
    """Time to target and to queue a new campaign; how many members it has."""
    from crmkit_campaigns.campaigns.definition import create_campaign
    from crmkit_campaigns.campaigns.lifecycle import start, target
    from crmkit_campaigns.campaigns.sending import send_batch
    from crmkit_campaigns.segments.service import create_segment

    with crm.transaction(SYSTEM) as tx:
        definition = {"all": [{"criterion": "source", "op": "eq", "value": SOURCE}]}
        segment = create_segment(tx, {"name": f"Bench {run}", "definition": definition})
        variant = {"channel": "email", "label": "A", "subject": SUBJECT, "text": TEXT}
        found = create_campaign(
            tx,
            {
                "name": f"Autumn {run}",
                "purpose": "marketing",
                "segment_id": segment.id,
                "variants": [{**variant, "html": HTML}],
            },
        )
    clock = Clock()
    with crm.transaction(SYSTEM) as tx:
        members = target(tx, found.id).members
    targeted = clock.lap()
    with crm.transaction(SYSTEM) as tx:
        start(tx, found.id)
    while True:
        with crm.transaction(SYSTEM) as tx:
            if send_batch(tx, found.id, batch) == 0:
                break
    queued = clock.lap()
    check_queued(crm, found.id, members)
    forget_campaign(crm, found.id)
    return targeted, queued, members


def check_queued(crm: Crm, campaign_id: int, members: int) -> None:
    from crmkit_campaigns.campaigns.tables import member
    from crmkit_channels.tables import email

    with crm.read() as conn:
        statuses = dict(
            conn.execute(
                select(member.c.status, func.count())
                .where(member.c.campaign_id == campaign_id)
                .group_by(member.c.status)
            ).all()
        )
        emails = conn.execute(
            select(func.count())
            .select_from(email)
            .join(member, member.c.email_id == email.c.id)
            .where(member.c.campaign_id == campaign_id, email.c.status == "queued")
        ).scalar_one()
    if statuses != {"queued": members} or emails != members:
        raise SystemExit(f"campaign {campaign_id}: members {statuses}, queued emails {emails}")


def forget_campaign(crm: Crm, campaign_id: int) -> None:
    """Delete what a run queued (its emails, their timeline entries are none: all consented)."""
    from crmkit_campaigns.campaigns.tables import campaign, member
    from crmkit_channels.tables import email

    with crm.transaction(SYSTEM) as tx:
        ids = select(member.c.email_id).where(member.c.campaign_id == campaign_id)
        tx.conn.execute(delete(email).where(email.c.id.in_(ids)))
        tx.conn.execute(delete(campaign).where(campaign.c.id == campaign_id))


def baseline_run(crm: Crm, run: int) -> tuple[Timed, int]:
    """Seconds of the hand-written INSERT … SELECT of members and executemany of outbox rows."""
    from crmkit_campaigns.campaigns.tables import campaign

    from crmkit import party_table

    with crm.transaction(SYSTEM) as tx:
        now = utcnow()
        campaign_id = tx.conn.execute(
            insert(campaign)
            .values(
                name=f"Baseline {run}",
                kind="one_off",
                purpose="marketing",
                status="sending",
                time_zone="UTC",
                test_share=100,
                currency="EUR",
                created_at=now,
                updated_at=now,
                version=1,
            )
            .returning(campaign.c.id)
        ).scalar_one()
    postgres = crm.engine.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    stamp = now.isoformat(" ") if not postgres else now
    members_sql = (
        "INSERT INTO campaigns_member (campaign_id, party_id, occurrence, channel, in_test,"
        f" status, targeted_at) SELECT {mark}, p.id, '', 'email', 0, 'targeted', {mark}"
        " FROM core_party AS p WHERE p.source = " + mark + " AND EXISTS (SELECT 1 FROM"
        " core_consent AS c WHERE c.party_id = p.id AND c.purpose = 'marketing' AND"
        " c.channel = 'email' AND c.status = 'granted') AND EXISTS (SELECT 1 FROM"
        " core_contact_point AS e WHERE e.party_id = p.id AND e.kind = 'email')"
    )
    with crm.read() as conn:
        ids = (
            conn.execute(select(party_table.c.id).where(party_table.c.source == SOURCE))
            .scalars()
            .all()
        )
    columns = (
        "party_id, purpose, transactional, recipient, message_id, variables, pending,"
        " status, attempts, next_attempt_at, created_by, created_at"
    )
    outbox_sql = (
        f"INSERT INTO channels_email ({columns}) VALUES"
        f" ({', '.join([mark] * len(columns.split(',')))})"
    )
    rows = [
        (
            i,
            "marketing",
            False,
            f"ada{i}@example.org",
            f"<baseline-{run}-{i}@acme.example>",
            # What crmkit stores of each member's message: its variables, and its body by id.
            json.dumps(
                {
                    "campaign": {"id": campaign_id, "name": f"Baseline {run}"},
                    "member_id": i,
                    "response_url": f"https://crm.acme.example/p/campaigns/respond/{i}.sig",
                }
            ),
            '{"body": 1}',
            "queued",
            0,
            stamp,
            "bench",
            stamp,
        )
        for i in ids
    ]
    raw_conn = crm.engine.raw_connection()
    try:
        cursor = raw_conn.cursor()
        clock = Clock()
        if not postgres:
            cursor.execute("BEGIN")  # crmkit's SQLite connections leave transactions to it
        cursor.execute(members_sql, (campaign_id, stamp, SOURCE))
        cursor.executemany(outbox_sql, rows)
        raw_conn.commit()
        took = clock.lap()
        cursor.execute(
            f"DELETE FROM channels_email WHERE message_id LIKE {mark}", (f"<baseline-{run}-%",)
        )
        cursor.execute(f"DELETE FROM campaigns_campaign WHERE id = {mark}", (campaign_id,))
        raw_conn.commit()
    finally:
        raw_conn.close()
    return took, len(rows)


def campaign_section(args: argparse.Namespace) -> dict[str, Any]:
    url = campaign_database(args.members, args.database_url)
    crm = crm_on(url)
    batch = crm.settings_of["campaigns"].campaigns.send_batch
    steps: dict[str, list[Timed]] = {"target": [], "queue": [], "baseline": []}
    members = 0
    try:
        for run in range(args.runs):
            targeted, queued, members = crmkit_run(crm, run, batch)
            baseline, rows = baseline_run(crm, run)
            if rows != members:
                raise SystemExit(f"baseline queued {rows}, crmkit {members}")
            for name, took in (("target", targeted), ("queue", queued), ("baseline", baseline)):
                steps[name].append(took)
            print(
                f"run {run + 1}: targeted {members:,} in {targeted.wall:.2f} s"
                f" (CPU {targeted.cpu:.2f} s), queued in {queued.wall:.2f} s"
                f" (CPU {queued.cpu:.2f} s, {queued.cpu / members * 1000:.3f} ms per member);"
                f" baseline {baseline.wall:.2f} s (CPU {baseline.cpu:.2f} s)",
                flush=True,
            )
    finally:
        crm.close()
    figures: dict[str, Any] = {"members": members, "database": crm.engine.dialect.name}
    figures["send_batch"] = batch
    for name, times in steps.items():
        figures[f"{name}_s"] = median([t.wall for t in times])
        figures[f"{name}_cpu_s"] = median([t.cpu for t in times])
    total = median([t.wall + q.wall for t, q in zip(steps["target"], steps["queue"], strict=True)])
    cpu = median([t.cpu + q.cpu for t, q in zip(steps["target"], steps["queue"], strict=True)])
    figures.update(
        target_and_queue_s=total,
        target_and_queue_cpu_s=cpu,
        per_member_cpu_ms=round(cpu / members * 1000, 4),
        ratio=round(total / figures["baseline_s"], 1),
        cpu_ratio=round(cpu / figures["baseline_cpu_s"], 1),
        bound_s=QUEUE_TARGET_S,
        within_bound=total < QUEUE_TARGET_S,
    )
    print(
        f"campaign of {members:,}: targeted {figures['target_s']:.2f} s + queued"
        f" {figures['queue_s']:.2f} s = {total:.2f} s (CPU {cpu:.2f} s; bound"
        f" {QUEUE_TARGET_S:.0f} s) | baseline {figures['baseline_s']:.2f} s (CPU"
        f" {figures['baseline_cpu_s']:.2f} s) | ratio {figures['ratio']} (CPU"
        f" {figures['cpu_ratio']})"
    )
    return {"campaign": figures}


# --- Tracking: wrk against two servers.


def tracking_database(url: str | None, folder: Path) -> str:
    """A database with ``TRACKED_EMAILS`` sent emails (a party each) to record hits of."""
    from crmkit_channels.tables import email

    from crmkit import party_table

    url = url or f"sqlite:///{folder / 'tracking.sqlite'}"
    crm = crm_on(url)
    try:
        with crm.transaction(SYSTEM) as tx:
            now = utcnow()
            parties = [p for p, _, _ in _parties(TRACKED_EMAILS)]
            ids = (
                tx.conn.execute(
                    insert(party_table).returning(party_table.c.id, sort_by_parameter_order=True),
                    [{**p, "source": "bench-tracking"} for p in parties],
                )
                .scalars()
                .all()
            )
            stamp = time.monotonic_ns()
            tx.conn.execute(
                insert(email),
                [
                    {
                        "party_id": party_id,
                        "purpose": "marketing",
                        "transactional": False,
                        "recipient": f"ada{n}@example.org",
                        "subject": "Autumn offers",
                        "message_id": f"<track-{stamp}-{n}@acme.example>",
                        "raw": "x",
                        "variables": {},
                        "status": "sent",
                        "attempts": 1,
                        "created_by": "bench",
                        "created_at": now,
                        "finished_at": now,
                    }
                    for n, party_id in enumerate(ids)
                ],
            )
        with crm.read() as conn:
            message_ids = (
                conn.execute(
                    select(email.c.message_id).where(email.c.message_id.like(f"<track-{stamp}-%"))
                )
                .scalars()
                .all()
            )
        write_paths(crm, message_ids, folder)
    finally:
        crm.close()
    return url


def forget_tracking(url: str) -> None:
    """Delete the tracking section's parties (their emails and events go with them)."""
    from crmkit import party_table

    crm = crm_on(url)
    try:
        with crm.transaction(SYSTEM) as tx:
            tx.conn.execute(delete(party_table).where(party_table.c.source == "bench-tracking"))
    finally:
        crm.close()


def write_paths(crm: Crm, message_ids: list[str], folder: Path) -> None:
    """The open and click paths wrk picks from, one a line."""
    from crmkit_channels.tracking_links import click_url, pixel_url

    settings = crm.settings_of["channels"]
    for kind, make in (
        ("open", lambda m: pixel_url(settings, m)),
        ("click", lambda m: click_url(settings, m, "https://shop.acme.example/autumn")),
    ):
        paths = [make(m).removeprefix(PUBLIC_URL) for m in message_ids]
        (folder / f"{kind}.paths").write_text("\n".join(paths) + "\n")


def bare_app(url: str) -> Any:
    """Starlette routes doing per hit what the tracking routes must: the HMAC check, the
    email's look-up, the event's insert, committed alone; stdlib sqlite3 on the event loop."""
    import base64
    import hashlib
    import hmac
    import sqlite3

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import RedirectResponse, Response
    from starlette.routing import Route

    db = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    key = SECRET.encode()

    def unb64(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    def tracked(request: Request) -> tuple[str, str] | None:
        try:
            claim_part, signature_part = request.query_params["t"].split(".")
            claim = unb64(claim_part)
            signature = unb64(signature_part)
        except (KeyError, ValueError):
            return None
        wanted = hmac.new(key, b"channels.tracking\x00" + claim, hashlib.sha256).digest()
        if not hmac.compare_digest(signature, wanted):
            return None
        message_id, _, target = claim.decode().partition("\x00")
        return message_id, target

    def record(message_id: str, kind: str, detail: str | None) -> None:
        row = db.execute(
            "SELECT id, party_id FROM channels_email WHERE message_id = ?", (message_id,)
        ).fetchone()
        if row is None:
            return
        db.execute(
            "INSERT INTO channels_email_event (email_id, party_id, kind, detail, occurred_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (row[0], row[1], kind, detail, time.strftime("%Y-%m-%d %H:%M:%S.000000")),
        )

    async def opened(request: Request) -> Response:
        found = tracked(request)
        if found is None:
            return Response("not valid", 404)
        record(found[0], "open", None)
        return Response(b"GIF89a", media_type="image/gif")

    async def clicked(request: Request) -> Response:
        found = tracked(request)
        if found is None:
            return Response("not valid", 404)
        record(found[0], "click", found[1])
        return RedirectResponse(found[1], 302)

    return Starlette(
        routes=[Route("/p/channels/open", opened), Route("/p/channels/click", clicked)]
    )


def serve(kind: str, url: str, port: int) -> None:
    """Run one server (a child process of the benchmark)."""
    import uvicorn

    from crmkit.cli.serve import server_options
    from crmkit.web.app import create_asgi

    settings = settings_for(url)
    if kind == "crmkit":
        crm = make_app(["channels", "campaigns"], settings=settings, create_tables=False)
        app: Any = create_asgi(crm, long_lived=True)
    else:
        app = bare_app(url)
        gc.freeze()  # as crmkit's start is (create_asgi's long_lived)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", **server_options(settings))


def start(kind: str, url: str, stack: ExitStack) -> str:
    """Start one server; its base URL once it answers."""
    arguments = [__file__, "--serve", kind, "--database-url", url]
    return start_server(arguments, "/p/channels/open?t=x", stack)


LUA = """
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local QUANTILES = 100

function setup(thread)
  thread:set("seed", math.random(1, 2147483647))
end

function init(args)
  math.randomseed(seed)
end

request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end

done = function(summary, latency, requests)
  local quantiles = {}
  for i = 1, QUANTILES do
    quantiles[i] = latency:percentile(100 * (i - 0.5) / QUANTILES)
  end
  io.write(string.format(
    'BENCH {"requests": %d, "micros": %d, "errors": %d, "non2xx": %d, "quantiles_us": [%s]}\\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, table.concat(quantiles, ",")))
end
"""


def run_wrk(
    base: str, paths: Path, seconds: float, connections: int, script: Path
) -> dict[str, Any]:
    answer = subprocess.run(
        [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base,
        ],
        env={**os.environ, "BENCH_PATHS": str(paths)},
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"^BENCH (\{.*\})$", answer.stdout, re.M)
    if found is None:
        raise RuntimeError(f"wrk printed no figures:\n{answer.stdout}\n{answer.stderr}")
    raw = json.loads(found[1])
    quantiles = raw["quantiles_us"]
    return {
        "rps": round(raw["requests"] / (raw["micros"] / 1e6), 1),
        "p50_ms": round(quantiles[len(quantiles) // 2] / 1000, 2),
        "p99_ms": round(quantiles[-1] / 1000, 2),
        "errors": raw["errors"] + raw["non2xx"],
    }


def tracking_section(args: argparse.Namespace) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        print("tracking: needs wrk (bench/install-tools); skipped")
        return {"tracking": None}
    figures: dict[str, Any] = {"connections": args.connections, "seconds": args.seconds}
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        folder = Path(scratch)
        url = tracking_database(args.database_url, folder)
        stack.callback(forget_tracking, url)
        kinds = ["crmkit"] + (["bare"] if url.startswith("sqlite") else [])
        servers = {kind: start(kind, url, stack) for kind in kinds}
        script = folder / "bench.lua"
        script.write_text(LUA)
        for case in ("open", "click"):
            paths = folder / f"{case}.paths"
            for base in servers.values():
                run_wrk(base, paths, 1, args.connections, script)  # warm-up
            result: dict[str, Any] = {}
            for kind, base in servers.items():
                turns = [
                    run_wrk(base, paths, args.seconds / args.runs, args.connections, script)
                    for _ in range(args.runs)
                ]
                result[kind] = {
                    "rps": median([t["rps"] for t in turns]),
                    "p50_ms": median([t["p50_ms"] for t in turns]),
                    "p99_ms": median([t["p99_ms"] for t in turns]),
                    "errors": sum(t["errors"] for t in turns),
                }
            mine = result["crmkit"]
            if "bare" in result:
                result["ratio"] = round(mine["rps"] / result["bare"]["rps"], 3)
            result["target_rps"] = TRACKING_TARGET
            figures[case] = result
            bare = result.get("bare")
            print(
                f"{case:5} crmkit {mine['rps']:8.1f} hits/s p50 {mine['p50_ms']:6.2f} ms"
                f" p99 {mine['p99_ms']:7.2f} ms errors {mine['errors']}"
                + (
                    f" | bare {bare['rps']:8.1f} hits/s p50 {bare['p50_ms']:6.2f} ms"
                    f" p99 {bare['p99_ms']:7.2f} ms | ratio {result['ratio']:.2f}"
                    if bare
                    else ""
                )
                + f" (target {TRACKING_TARGET:.0f}/s)",
                flush=True,
            )
    return {"tracking": figures}


SECTIONS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "segments": segments_section,
    "campaign": campaign_section,
    "tracking": tracking_section,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--parties", type=int, default=1_000_000, help="segments: parties")
    parser.add_argument(
        "--interactions", type=int, default=10_000_000, help="segments: interactions"
    )
    parser.add_argument("--members", type=int, default=100_000, help="campaign: members")
    parser.add_argument("--runs", type=int, default=3, help="report the median of this many runs")
    parser.add_argument("--seconds", type=float, default=10.0, help="tracking: per case and server")
    parser.add_argument("--connections", type=int, default=32, help="tracking: wrk connections")
    parser.add_argument(
        "--database-url", help="PostgreSQL URL (default: SQLite files in the temp folder)"
    )
    parser.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated subset")
    parser.add_argument("--serve", choices=("crmkit", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.database_url, args.port)
        return
    chosen = [s for s in args.sections.split(",") if s]
    if unknown := set(chosen) - set(SECTIONS):
        sys.exit(f"unknown sections: {', '.join(sorted(unknown))}")
    sys.path.insert(0, str(HERE))  # bench/campaign_segments.py
    figures: dict[str, Any] = {"runs": args.runs}
    for name in chosen:
        figures.update(SECTIONS[name](args))
    print(json.dumps(figures, default=str))


if __name__ == "__main__":
    main()

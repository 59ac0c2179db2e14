"""Loyalty benchmark: a member's balance and tier over a million-entry ledger, and 1,000
concurrent redemptions that must not spend a point twice.

    python bench/loyalty.py [--members N] [--entries M] [--runs R] [--redemptions K]
                            [--threads T] [--database-url URL]

Builds (once, then reuses it: a SQLite file cached in the temp folder keyed by N and M, or
with ``--database-url`` a PostgreSQL schema of the same name) a database with the loyalty
plugin's tables: N bench customers (default 50,000), each a member of one programme
(tiers Member, Silver at 1,000 points, Gold at 5,000) with a ledger of M entries in all
(default 1,000,000) over the two years before today: earnings, redemptions spent first in,
first out, and the expiries of what was left of earnings over a year old, with the lots
and allocations they make. Tiers follow the points earned in the last twelve months.

Then, each figure the median of R calls (default 2,000) on members drawn at random:

* **balance and tier**: ``crmkit_loyalty.ledger.service.standing`` (one indexed query,
  through ``crm.read()``), and ``members.member_detail`` as the member page and
  ``GET /p/loyalty/members/{id}`` call it (the party's visibility checked, the points
  expiring within 90 days), beside the same SELECT of balance and tier on the bare
  driver (``sqlite3`` or ``psycopg``) with a connection kept open. Target: under 5 ms.
* **concurrent redemptions**: K redemption requests (default 1,000) from T threads
  (default 32), each in its own transaction, against 100 members of a programme made for
  the run who earned 1,000 points each: ten requests of 150 points per member, so that the
  balances allow exactly six each (600 in all) and refuse the rest with a conflict. Then
  the balance check (``crmkit loyalty check``'s ``mismatches``, over the whole ledger)
  must find nothing: no double spend. Figures: redemptions/s, successes against what the
  balances allowed, the check's time.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crmkit_loyalty.ledger import members, redemptions, service
from crmkit_loyalty.ledger.check import mismatches
from crmkit_loyalty.ledger.tables import allocation, entry, lot, member, tier_change
from crmkit_loyalty.programmes.months import add_months
from crmkit_loyalty.programmes.tables import programme, tier
from sqlalchemy import func, insert, make_url, select, text

from crmkit import SYSTEM, ConflictError, Crm, Settings, Transaction, party_table
from crmkit.testing import make_app

SOURCE = "bench-loyalty"
PROGRAMME = "Bench Rewards"
BATCH = 50_000
NOW = datetime.now(UTC)
SOURCES = {"earn": "import", "redeem": "redemption", "expire": "expiry"}
TIERS = (("Member", 0, 0), ("Silver", 1, 1000), ("Gold", 2, 5000))
STANDING_SQL = (
    "SELECT m.id, m.balance, m.lifetime_points, m.tier_id, m.tier_since, t.name, t.rank"
    " FROM loyalty_member m JOIN loyalty_tier t ON t.id = m.tier_id WHERE m.id = {}"
)


def crm_on(url: str) -> Crm:
    return make_app(["loyalty"], settings=Settings(database_url=url))


def median_ms(work: Callable[[], object], picks: list[int]) -> float:
    """The median wall time of ``work`` over the picks, in milliseconds (a warm-up first)."""
    work()
    times = []
    for _ in picks:
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return round(statistics.median(times) * 1000, 3)


# --- The database: cached, filled set-based with explicit ids (a fresh database each time).


def bench_url(url: str | None, members_count: int, entries_count: int) -> str:
    name = f"bench_loyalty_{members_count}_{entries_count}"
    if url is None:
        folder = Path(tempfile.gettempdir()) / "crmkit-bench-loyalty"
        folder.mkdir(exist_ok=True)
        return f"sqlite:///{folder / f'{name}.sqlite'}"
    admin = crm_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{name}"'))
    admin.dispose()
    return str(make_url(url).update_query_dict({"options": f"-csearch_path={name}"}))


def crm_engine(url: str) -> Any:
    from sqlalchemy import create_engine

    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed)


def _histories(
    rng: random.Random, count: int, per_member: int
) -> Iterator[list[tuple[str, int, datetime, datetime | None, list[tuple[int, int]]]]]:
    """Each member's entries played forward: (kind, points, at, expires_at, taken) where
    ``taken`` lists (index of the lot's entry, points) for what spends."""
    for _ in range(count):
        moments = sorted(
            NOW - timedelta(seconds=rng.randint(0, 730 * 86400)) for _ in range(per_member)
        )
        history: list[tuple[str, int, datetime, datetime | None, list[tuple[int, int]]]] = []
        lots: list[list[Any]] = []  # [index, remaining, expires_at]
        balance = 0
        for at in moments:
            for held in lots:  # what has expired by now, as the job would have done
                if held[2] <= at and held[1] > 0 and len(history) < per_member:
                    history.append(("expire", -held[1], held[2], None, [(held[0], held[1])]))
                    balance -= held[1]
                    held[1] = 0
            if len(history) >= per_member:
                break
            if balance >= 400 and rng.random() < 0.2:
                wanted = rng.randrange(100, min(balance, 1000), 50)
                taken: list[tuple[int, int]] = []
                for held in sorted(lots, key=lambda h: (h[2], h[0])):
                    take = min(wanted - sum(p for _, p in taken), held[1])
                    if take > 0:
                        taken.append((held[0], take))
                        held[1] -= take
                history.append(("redeem", -wanted, at, None, taken))
                balance -= wanted
                continue
            points = rng.choice((20, 40, 60, 90, 120, 200, 350))
            expires = add_months(at, 12)
            lots.append([len(history), points, expires])
            history.append(("earn", points, at, expires, []))
            balance += points
        yield history


def fill(crm: Crm, members_count: int, entries_count: int) -> None:
    rng = random.Random(7)
    per_member = entries_count // members_count
    with crm.transaction(SYSTEM) as tx:
        conn = tx.conn
        programme_id = conn.execute(
            insert(programme)
            .values(
                name=PROGRAMME,
                status="active",
                currency="EUR",
                points_expire_months=12,
                qualification_months=12,
                downgrade="one_step",
                auto_enrol=0,
                created_at=NOW,
                updated_at=NOW,
                version=1,
            )
            .returning(programme.c.id)
        ).scalar_one()
        tier_ids = [
            conn.execute(
                insert(tier)
                .values(
                    programme_id=programme_id,
                    name=name,
                    rank=rank,
                    threshold=threshold,
                    multiplier=1,
                    version=1,
                )
                .returning(tier.c.id)
            ).scalar_one()
            for name, rank, threshold in TIERS
        ]
        party_ids: list[int] = []
        for start in range(0, members_count, BATCH):
            rows = [
                {
                    "role": "customer",
                    "kind": "person",
                    "display_name": f"Bench Member {n}",
                    "first_name": "Bench",
                    "last_name": f"Member {n}",
                    "source": SOURCE,
                    "custom": {},
                    "version": 1,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in range(start, min(start + BATCH, members_count))
            ]
            party_ids += (
                conn.execute(
                    insert(party_table).returning(party_table.c.id, sort_by_parameter_order=True),
                    rows,
                )
                .scalars()
                .all()
            )
        year_ago = NOW - timedelta(days=365)
        entry_id = 0
        member_rows: list[dict[str, Any]] = []
        entry_rows: list[dict[str, Any]] = []
        lot_rows: dict[int, dict[str, Any]] = {}
        taken_rows: list[dict[str, Any]] = []

        def flush() -> None:
            if member_rows:
                conn.execute(insert(member), member_rows)
            if entry_rows:
                conn.execute(insert(entry), entry_rows)
                conn.execute(insert(lot), list(lot_rows.values()))
            if taken_rows:
                conn.execute(insert(allocation), taken_rows)
            for made in (member_rows, entry_rows, taken_rows):
                made.clear()
            lot_rows.clear()

        for n, history in enumerate(_histories(rng, members_count, per_member), start=1):
            first = entry_id + 1
            for kind, points, at, expires, taken in history:
                entry_id += 1
                entry_rows.append(
                    {
                        "id": entry_id,
                        "member_id": n,
                        "kind": kind,
                        "points": points,
                        "source": SOURCES[kind],
                        # An expiry's reference is the expired lot's entry id, as the job's.
                        "reference": str(first + taken[0][0])
                        if kind == "expire"
                        else f"b{entry_id}",
                        "expires_at": expires,
                        "created_at": at,
                    }
                )
                if kind == "earn":
                    lot_rows[entry_id] = {
                        "entry_id": entry_id,
                        "member_id": n,
                        "remaining": points,
                        "expires_at": expires,
                    }
                for index, take in taken:
                    lot_rows[first + index]["remaining"] -= take
                    taken_rows.append(
                        {"entry_id": entry_id, "lot_id": first + index, "points": take}
                    )
            earned = sum(p for k, p, at, _, _ in history if k == "earn" and at >= year_ago)
            rank = max(r for _, r, threshold in TIERS if threshold <= earned)
            member_rows.append(
                {
                    "id": n,
                    "programme_id": programme_id,
                    "party_id": party_ids[n - 1],
                    "number": f"B{n:09d}",
                    "status": "active",
                    "tier_id": tier_ids[rank],
                    "tier_since": NOW - timedelta(days=30),
                    "balance": sum(p for _, p, _, _, _ in history),
                    "lifetime_points": sum(p for k, p, _, _, _ in history if k == "earn"),
                    "enrolled_at": NOW - timedelta(days=730),
                    "updated_at": NOW,
                    "version": 1,
                }
            )
            if len(entry_rows) >= BATCH:
                flush()
        flush()
        if conn.dialect.name == "postgresql":
            # Explicit ids leave the sequences behind: move them past what was written.
            for table in ("loyalty_member", "loyalty_entry"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
                )
        conn.execute(
            insert(tier_change),
            [
                {
                    "member_id": n,
                    "from_tier_id": None,
                    "to_tier_id": tier_ids[0],
                    "reason": "enrolled",
                    "changed_at": NOW - timedelta(days=730),
                }
                for n in range(1, members_count + 1)
            ],
        )
    if crm.engine.dialect.name == "postgresql":
        with crm.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()


def prepared(url: str | None, members_count: int, entries_count: int) -> tuple[str, Crm]:
    where = bench_url(url, members_count, entries_count)
    crm = crm_on(where)
    with crm.read() as conn:
        held = conn.execute(
            select(func.count()).select_from(entry).where(entry.c.source == "import")
        ).scalar_one()
        programmes = conn.execute(select(func.count()).select_from(programme)).scalar_one()
    if held and programmes:
        print(f"reusing the ledger of {where.rpartition('/')[2]}")
        return where, crm
    began = time.perf_counter()
    fill(crm, members_count, entries_count)
    print(f"filled {members_count:,} members in {time.perf_counter() - began:.1f} s")
    return where, crm


# --- Balance and tier.


def standing_section(crm: Crm, url: str, runs: int) -> dict[str, Any]:
    with crm.read() as conn:
        total = conn.execute(select(func.count()).select_from(entry)).scalar_one()
        # The bench members have the ids 1 to N; members the redemption runs add come after.
        top = conn.execute(
            select(func.count())
            .select_from(member)
            .join(programme, programme.c.id == member.c.programme_id)
            .where(programme.c.name == PROGRAMME)
        ).scalar_one()
    rng = random.Random(11)
    picks = [rng.randint(1, top) for _ in range(runs)]
    order = iter(picks * 2)

    def plugin_standing() -> None:
        with crm.read() as conn:
            service.standing(conn, next(order))

    def plugin_detail() -> None:
        with crm.read() as conn:
            tx = reading_as_system(crm, conn)
            members.member_detail(tx, next(order), NOW)

    standing_ms = median_ms(plugin_standing, picks)
    order = iter(picks * 2)
    detail_ms = median_ms(plugin_detail, picks)
    order = iter(picks * 2)
    raw_ms = median_ms(raw_standing(url, order), picks)
    figures = {
        "entries": total,
        "members": top,
        "standing_ms": standing_ms,
        "member_detail_ms": detail_ms,
        "baseline_raw_select_ms": raw_ms,
        "standing_ratio": round(standing_ms / raw_ms, 2),
        "member_detail_ratio": round(detail_ms / raw_ms, 2),
        "under_5_ms": standing_ms < 5 and detail_ms < 5,
    }
    print(
        f"balance and tier: standing {standing_ms} ms, member page's detail {detail_ms} ms,"
        f" bare driver {raw_ms} ms (x{figures['standing_ratio']}, x{figures['member_detail_ratio']})"
    )
    return figures


def reading_as_system(crm: Crm, conn: Any) -> Any:
    return Transaction(conn=conn, hooks=crm.host, actor=SYSTEM, app=crm)


def raw_standing(url: str, order: Iterator[int]) -> Callable[[], object]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        raw = sqlite3.connect(parsed.database or "", check_same_thread=False)
        sql = STANDING_SQL.format("?")
        return lambda: raw.execute(sql, (next(order),)).fetchone()
    import psycopg

    options = parsed.query.get("options")
    dsn = parsed.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    pg = psycopg.connect(dsn, options=str(options or ""), autocommit=True)
    sql = STANDING_SQL.format("%s")
    return lambda: pg.execute(sql, (next(order),)).fetchone()


# --- Concurrent redemptions.


def redemption_section(crm: Crm, requests: int, threads: int) -> dict[str, Any]:
    per_member, cost, earned = 10, 150, 1000
    count = requests // per_member
    with crm.transaction(SYSTEM) as tx:
        name = f"Bench concurrency {time.time_ns()}"
        programme_id = tx.conn.execute(
            insert(programme)
            .values(
                name=name,
                status="active",
                currency="EUR",
                points_expire_months=12,
                qualification_months=12,
                downgrade="one_step",
                auto_enrol=0,
                created_at=NOW,
                updated_at=NOW,
                version=1,
            )
            .returning(programme.c.id)
        ).scalar_one()
        tx.conn.execute(
            insert(tier).values(
                programme_id=programme_id,
                name="Member",
                rank=0,
                threshold=0,
                multiplier=1,
                version=1,
            )
        )
        parties = (
            tx.conn.execute(
                select(party_table.c.id)
                .where(party_table.c.source == SOURCE)
                .order_by(party_table.c.id)
                .limit(count)
            )
            .scalars()
            .all()
        )
        member_ids = []
        for party_id in parties:
            made = service.enrol(tx, programme_id, party_id)
            service.earn(tx, made.id, earned, source="bench", reference="start")
            member_ids.append(made.id)
    work = [(m, f"till-{m}-{n}") for m in member_ids for n in range(per_member)]
    random.Random(3).shuffle(work)
    outcomes: list[bool] = []
    lock = threading.Lock()
    chunks = [work[i::threads] for i in range(threads)]
    start = threading.Barrier(threads + 1)

    def run(chunk: list[tuple[int, str]]) -> None:
        start.wait()
        for member_id, reference in chunk:
            try:
                with crm.transaction(SYSTEM) as tx:
                    redemptions.redeem(tx, member_id, points=cost, reference=reference)
                done = True
            except ConflictError:
                done = False
            with lock:
                outcomes.append(done)

    workers = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    took = time.perf_counter() - began
    allowed = len(member_ids) * min(per_member, earned // cost)
    with crm.read() as conn:
        balances = (
            conn.execute(select(member.c.balance).where(member.c.id.in_(member_ids)))
            .scalars()
            .all()
        )
        checked = time.perf_counter()
        found = mismatches(conn)
        check_ms = round((time.perf_counter() - checked) * 1000, 1)
    figures = {
        "redemption_requests": len(outcomes),
        "redemption_threads": threads,
        "redeemed": sum(outcomes),
        "allowed_by_balances": allowed,
        "refused": len(outcomes) - sum(outcomes),
        "redemptions_per_second": round(len(outcomes) / took, 1),
        "negative_balances": sum(1 for b in balances if b < 0),
        "check_mismatches": len(found),
        "check_ms": check_ms,
        "no_double_spend": sum(outcomes) == allowed and not found and min(balances) >= 0,
    }
    print(
        f"redemptions: {sum(outcomes)} of {len(outcomes)} succeeded ({allowed} allowed) from"
        f" {threads} threads, {figures['redemptions_per_second']}/s; check: {len(found)}"
        f" mismatch(es) over the whole ledger in {check_ms} ms"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=2_000)
    parser.add_argument("--redemptions", type=int, default=1_000)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument(
        "--database-url", help="PostgreSQL URL (default: a SQLite file in the temp folder)"
    )
    args = parser.parse_args()
    url, crm = prepared(args.database_url, args.members, args.entries)
    try:
        figures = {
            "database": crm.engine.dialect.name,
            **standing_section(crm, url, args.runs),
            **redemption_section(crm, args.redemptions, args.threads),
        }
    finally:
        crm.close()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

"""Segments benchmark: saved-segment definitions over N parties and M interactions, compiled by
``compile_segment`` and run, beside hand-written SQL of the same answer.

    python bench/campaign_segments.py [--parties N] [--interactions M] [--runs R]
                                      [--database-url URL] [--explain]

Builds (once, then reuses it) a database of N parties (``source`` ``bench-segments``; two in
three customers), each with a first address (six in ten in Germany, postcodes 10000-99999,
one in ten in Austria, three in ten in France), an email address and marketing email consent
(granted for four in five, withdrawn for the rest), M interactions over the last four years
(six in ten emails: sent, opened or clicked; the rest phone calls and meetings) and N/2 sfa
orders over the last six years with one line of product group W, X, Y or Z. Rows are made
by the database itself (a recursive CTE on SQLite, ``generate_series`` on PostgreSQL).
SQLite: a file cached in ``/tmp/crmkit-bench-campaigns`` keyed by the sizes; PostgreSQL
(``--database-url``): the bench rows are kept between runs and rebuilt when the sizes differ.

Then, for each segment (``SEGMENTS``), the median of R runs of: ``compile_segment`` in a
transaction of a marketer plus ``count(*)`` of it, and the same plus fetching every id;
beside the hand-written SQL's count and ids. The ids of both must be the same. On PostgreSQL
(``--explain``) the compiled query's plan is printed. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crmkit_campaigns.segments.targets import compile_segment
from sqlalchemy import Connection, create_engine, func, select, text

from crmkit import Actor, Crm, Settings, Transaction
from crmkit.testing import make_app

SOURCE = "bench-segments"
FOLDER = Path(tempfile.gettempdir()) / "crmkit-bench-campaigns"
TARGET_MS = 1000.0
"""The issue's bound: a segment over 1,000,000 parties and 10,000,000 interactions in under 1 s."""
NOW = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
RUNNER = Actor(user_id=None, username="bench-admin", role="admin")
"""Who runs the segments: a role that reads every interaction (the marketing role reads none,
and a segment counts only the interactions its runner may read)."""
HASH = 2654435761
"""Knuth's multiplicative hash: spreads a row number over countries, channels, dates."""

ISSUE_EXAMPLE = {
    "all": [
        {"criterion": "source", "op": "eq", "value": SOURCE},
        {"criterion": "role", "op": "eq", "value": "customer"},
        {"criterion": "territory", "op": "in", "value": ["DE-8"]},
        {
            "criterion": "orders",
            "op": "any",
            "with": {"product_group": "X", "older_than_days": 1095},
        },
        {
            "criterion": "interactions",
            "op": "none",
            "with": {"channel": "email", "outcome": "open", "within_days": 182},
        },
    ]
}
ISSUE_BY_HAND = """
SELECT p.id FROM core_party p
WHERE p.source = :source AND p.role = 'customer'
  AND p.id IN (SELECT a.party_id FROM core_contact_point a
               WHERE a.kind = 'address' AND a.position = 0 AND a.key LIKE 'DE-8%')
  AND EXISTS (SELECT 1 FROM sfa_order o JOIN sfa_order_line l ON l.order_id = o.id
              WHERE o.party_id = p.id AND l.product_group = 'X' AND o.placed_at < :three_years)
  AND NOT EXISTS (SELECT 1 FROM core_interaction i
                  WHERE i.party_id = p.id AND i.channel = 'email' AND i.outcome = 'open'
                    AND i.occurred_at >= :half_year)
"""
ENGAGED_PROSPECTS = {
    "all": [
        {"criterion": "source", "op": "eq", "value": SOURCE},
        {"criterion": "role", "op": "eq", "value": "prospect"},
        {"criterion": "country", "op": "eq", "value": "FR"},
        {"criterion": "consent", "op": "eq", "value": "granted", "with": {"purpose": "marketing"}},
        {"criterion": "interactions", "op": "at_least", "value": 3, "with": {"within_days": 365}},
    ]
}
ENGAGED_BY_HAND = """
SELECT p.id FROM core_party p
WHERE p.source = :source AND p.role = 'prospect'
  AND p.id IN (SELECT a.party_id FROM core_contact_point a
               WHERE a.kind = 'address' AND a.position = 0 AND a.key LIKE 'FR-%')
  AND (SELECT c.status FROM core_consent c
       WHERE c.party_id = p.id AND c.purpose = 'marketing' AND c.channel = 'email'
       ORDER BY c.id DESC LIMIT 1) = 'granted'
  AND (SELECT count(*) FROM core_interaction i
       WHERE i.party_id = p.id AND i.occurred_at >= :year) >= 3
"""
RECENT_CLICKERS = {
    "all": [
        {"criterion": "source", "op": "eq", "value": SOURCE},
        {"criterion": "country", "op": "in", "value": ["DE", "AT"]},
        {"criterion": "role", "op": "eq", "value": "customer"},
        {
            "criterion": "interactions",
            "op": "any",
            "with": {"channel": "email", "outcome": "click", "within_days": 30},
        },
    ]
}
CLICKERS_BY_HAND = """
SELECT p.id FROM core_party p
WHERE p.source = :source AND p.role = 'customer'
  AND p.id IN (SELECT a.party_id FROM core_contact_point a
               WHERE a.kind = 'address' AND a.position = 0
                 AND (a.key LIKE 'DE-%' OR a.key LIKE 'AT-%'))
  AND EXISTS (SELECT 1 FROM core_interaction i
              WHERE i.party_id = p.id AND i.channel = 'email' AND i.outcome = 'click'
                AND i.occurred_at >= :month)
"""
SEGMENTS: dict[str, tuple[dict[str, Any], str]] = {
    "issue_example": (ISSUE_EXAMPLE, ISSUE_BY_HAND),
    "engaged_prospects": (ENGAGED_PROSPECTS, ENGAGED_BY_HAND),
    "recent_clickers": (RECENT_CLICKERS, CLICKERS_BY_HAND),
}
"""The timed segments: the issue's example (customers in DE-8 who bought product group X more
than three years ago and opened no email in six months), French prospects with marketing
consent and three interactions in a year, German and Austrian customers who clicked lately."""


# --- Building the data, in SQL


class Dialect:
    """The SQL that differs between SQLite and PostgreSQL when the database makes the rows."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pg = name == "postgresql"

    def rows(self, count: int, select_list: str, table: str, columns: str) -> str:
        """INSERT INTO ``table`` one row per ``g`` from 1 to ``count``."""
        if self.pg:
            return (
                f"INSERT INTO {table} ({columns}) SELECT {select_list} "
                f"FROM generate_series(1, {count}) AS s(g)"
            )
        return (
            f"INSERT INTO {table} ({columns}) WITH RECURSIVE s(g) AS "
            f"(SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {count}) "
            f"SELECT {select_list} FROM s"
        )

    def minutes_ago(self, minutes: str) -> str:
        if self.pg:
            return f"(TIMESTAMPTZ '{NOW.isoformat()}' - ({minutes}) * INTERVAL '1 minute')"
        stamp = NOW.replace(tzinfo=None).isoformat(" ")
        return f"strftime('%Y-%m-%d %H:%M:%S.000000', '{stamp}', '-' || ({minutes}) || ' minutes')"

    def json(self, literal: str) -> str:
        return f"CAST('{literal}' AS JSONB)" if self.pg else f"'{literal}'"

    def object(self, *pairs: str) -> str:
        return f"{'jsonb_build_object' if self.pg else 'json_object'}({', '.join(pairs)})"

    def now(self) -> str:
        return self.minutes_ago("0")


def hashed(expression: str, modulo: int) -> str:
    return f"((({expression}) * {HASH}) % 4294967296 % {modulo})"


def build(conn: Connection, parties: int, interactions: int) -> None:
    """Fill the bench rows; party ids from ``base + 1`` on."""
    sql = Dialect(conn.dialect.name)
    base = conn.execute(
        select(func.coalesce(func.max(text("id")), 0)).select_from(text("core_party"))
    ).scalar_one()
    party = f"({base} + g)"
    country = f"CASE WHEN {hashed('g', 10)} < 6 THEN 'DE' WHEN {hashed('g', 10)} = 6 THEN 'AT' ELSE 'FR' END"
    postcode = f"CAST(10000 + {hashed('g + 7', 90000)} AS TEXT)"
    started = time.perf_counter()

    indexes: list[tuple[str, str]] = []
    if not sql.pg:
        # Built once at the end: far faster than keeping them up to date row by row.
        indexes = [
            (name, ddl)
            for name, ddl in conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        ]
        for name, _ in indexes:
            conn.exec_driver_sql(f"DROP INDEX {name}")

    def run(label: str, statement: str) -> None:
        # psycopg reads % as a placeholder.
        conn.exec_driver_sql(statement.replace("%", "%%") if sql.pg else statement)
        print(f"{label:16} {time.perf_counter() - started:7.1f}s", flush=True)

    run(
        "parties",
        sql.rows(
            parties,
            f"{party}, CASE WHEN g % 3 = 0 THEN 'prospect' ELSE 'customer' END, 'person', "
            f"'Party ' || CAST(g AS TEXT), '{SOURCE}', {sql.json('{}')}, 1, "
            f"{sql.minutes_ago(hashed('g', 2 * 365 * 1440))}, {sql.now()}",
            "core_party",
            "id, role, kind, display_name, source, custom, version, created_at, updated_at",
        ),
    )
    run(
        "addresses",
        sql.rows(
            parties,
            f"{party}, 'address', 0, 'Street 1, ' || {postcode}, {country} || '-' || {postcode}, "
            + sql.object(
                "'street'",
                "'Street 1'",
                "'postcode'",
                postcode,
                "'city'",
                "'Town'",
                "'country'",
                country,
            ),
            "core_contact_point",
            "party_id, kind, position, value, key, data",
        ),
    )
    run(
        "emails",
        sql.rows(
            parties,
            f"{party}, 'email', 0, 'p' || CAST(g AS TEXT) || '@example.org', "
            "'p' || CAST(g AS TEXT) || '@example.org'",
            "core_contact_point",
            "party_id, kind, position, value, key",
        ),
    )
    run(
        "consent",
        sql.rows(
            parties,
            f"{party}, 'marketing', 'email', CASE WHEN {hashed('g + 3', 5)} = 0 THEN 'withdrawn' "
            f"ELSE 'granted' END, 'bench', {sql.now()}, 'bench'",
            "core_consent",
            "party_id, purpose, channel, status, source, recorded_at, recorded_by",
        ),
    )
    channel = (
        f"CASE WHEN {hashed('g', 10)} < 6 THEN 'email' WHEN {hashed('g', 10)} < 8 THEN 'phone' "
        "ELSE 'meeting' END"
    )
    outcome = (
        f"CASE WHEN {hashed('g', 10)} >= 6 THEN 'reached' WHEN {hashed('g + 1', 10)} < 3 "
        f"THEN 'open' WHEN {hashed('g + 1', 10)} < 5 THEN 'click' ELSE 'sent' END"
    )
    run(
        "interactions",
        sql.rows(
            interactions,
            f"{base} + 1 + {hashed('g + 11', parties)}, {channel}, 'outbound', "
            f"{sql.minutes_ago(hashed('g + 5', 4 * 365 * 1440))}, {outcome}, 'channels', "
            f"{sql.json('[]')}, {sql.json('{}')}, {sql.now()}",
            "core_interaction",
            "party_id, channel, direction, occurred_at, outcome, source, refs, custom, created_at",
        ),
    )
    orders = max(1, parties // 2)
    order_base = conn.execute(text("SELECT coalesce(max(id), 0) FROM sfa_order")).scalar_one()
    order_id = f"({order_base} + g)"
    run(
        "orders",
        sql.rows(
            orders,
            f"{order_id}, 'BS-' || CAST({order_id} AS TEXT), {order_id}, {order_id}, "
            f"{base} + 1 + {hashed('g + 13', parties)}, 'EUR', 100, 0, 100, "
            f"{sql.minutes_ago(hashed('g + 17', 6 * 365 * 1440))}",
            "sfa_order",
            "id, number, quotation_id, opportunity_id, party_id, currency, total_net, total_tax, "
            "total_gross, placed_at",
        ),
    )
    group = (
        f"CASE {hashed('g + 19', 4)} WHEN 0 THEN 'W' WHEN 1 THEN 'X' WHEN 2 THEN 'Y' ELSE 'Z' END"
    )
    run(
        "order lines",
        sql.rows(
            orders,
            f"{order_id}, 1, 1, 'P-1', {group}, 'Item', 1, 'pc', 100, 0, 0, 100, 0, 100",
            "sfa_order_line",
            "order_id, position, product_id, product_code, product_group, description, quantity, "
            "unit, unit_price, discount, tax_rate, net, tax, gross",
        ),
    )
    if sql.pg:
        for table in (
            "core_party",
            "core_contact_point",
            "core_consent",
            "core_interaction",
            "sfa_order",
            "sfa_order_line",
        ):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    for name, ddl in indexes:
        run(name, ddl)
    run("analyze", "ANALYZE")


def settings_for(url: str) -> Settings:
    return Settings(
        database_url=url,
        plugin_settings={
            "channels": {
                "from_address": "Acme <news@acme.example>",
                "public_url": "https://crm.acme.example",
                "link_secret": "a-benchmark-secret-of-at-least-32-characters",
            },
            "campaigns": {},
        },
    )


def crm_on(url: str) -> Crm:
    return make_app(["channels", "sfa", "campaigns"], settings=settings_for(url))


def bench_rows(conn: Connection) -> tuple[int, int]:
    parties = conn.execute(
        text("SELECT count(*) FROM core_party WHERE source = :s"), {"s": SOURCE}
    ).scalar_one()
    interactions = conn.execute(
        text(
            "SELECT count(*) FROM core_interaction WHERE party_id IN "
            "(SELECT id FROM core_party WHERE source = :s)"
        ),
        {"s": SOURCE},
    ).scalar_one()
    return parties, interactions


def sqlite_database(parties: int, interactions: int) -> str:
    """The URL of the cached SQLite file of these sizes, built if missing."""
    FOLDER.mkdir(exist_ok=True)
    path = FOLDER / f"segments-{parties}-{interactions}-{NOW:%Y%m%d}.sqlite"
    if path.exists():
        print(f"reusing {path}")
        return f"sqlite:///{path}"
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    crm_on(f"sqlite:///{partial}").close()
    # A plain engine: sfa's orders need no quotation or opportunity here (no foreign keys).
    engine = create_engine(f"sqlite:///{partial}")
    with engine.begin() as conn:
        build(conn, parties, interactions)
    engine.dispose()
    partial.rename(path)
    return f"sqlite:///{path}"


def postgresql_database(url: str, parties: int, interactions: int) -> str:
    """``url``, holding the bench rows of these sizes (rebuilt when they differ)."""
    app = crm_on(url)
    with app.engine.begin() as conn:
        if bench_rows(conn) != (parties, interactions):
            print("building the bench rows", flush=True)
            # sfa's orders need no quotation or opportunity here: no foreign key triggers.
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.execute(
                text(
                    "DELETE FROM sfa_order WHERE party_id IN (SELECT id FROM core_party WHERE source = :s)"
                ),
                {"s": SOURCE},
            )
            conn.execute(text("DELETE FROM core_party WHERE source = :s"), {"s": SOURCE})
            build(conn, parties, interactions)
        else:
            print("reusing the bench rows")
    app.close()
    return url


# --- Timing


def median_ms(work: Callable[[], object], runs: int) -> float:
    """The median wall time of ``runs`` calls, in milliseconds, after one warm-up call."""
    work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def parameters(pg: bool) -> dict[str, Any]:
    """The bound values of the SQL by hand, from now as ``compile_segment`` takes it: moments
    as the database compares them (SQLite: the text UTCDateTime stores)."""

    now = datetime.now(UTC)

    def ago(days: int) -> Any:
        moment = now - timedelta(days=days)
        return moment if pg else moment.replace(tzinfo=None).isoformat(" ", "microseconds")

    return {
        "source": SOURCE,
        "three_years": ago(1095),
        "half_year": ago(182),
        "year": ago(365),
        "month": ago(30),
    }


def explained(conn: Connection, tx: Transaction, definition: Any) -> str:
    """PostgreSQL's plan of the compiled segment, with its actual times."""
    compiled = compile_segment(tx, definition).compile(dialect=conn.dialect)
    rows = conn.exec_driver_sql(
        "EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), compiled.construct_params()
    ).all()
    return "\n".join(row[0] for row in rows)


def time_segment(
    app: Crm,
    name: str,
    definition: dict[str, Any],
    by_hand: str,
    pg: bool,
    runs: int,
    explain: bool,
) -> dict[str, Any]:
    """One segment's figures: compiled and by hand, count and ids; their ids must agree."""
    with app.engine.connect() as conn:
        tx = Transaction(conn=conn, hooks=app.host, actor=RUNNER, app=app)

        def compiled_count() -> int:
            query = compile_segment(tx, definition).subquery()
            return int(conn.execute(select(func.count()).select_from(query)).scalar_one())

        def compiled_ids() -> set[int]:
            return set(conn.execute(compile_segment(tx, definition)).scalars())

        def hand_count() -> int:
            counted = text(f"SELECT count(*) FROM ({by_hand}) AS q")
            return int(conn.execute(counted, bound).scalar_one())

        def hand_ids() -> set[int]:
            return set(conn.execute(text(by_hand), bound).scalars())

        bound = parameters(pg)
        found, expected = compiled_ids(), hand_ids()

        if found != expected:
            raise AssertionError(
                f"{name}: compile_segment found {len(found)} parties, the SQL by hand "
                f"{len(expected)} ({len(found ^ expected)} differ)"
            )
        figures: dict[str, Any] = {
            "parties": len(found),
            "count_ms": median_ms(compiled_count, runs),
            "count_by_hand_ms": median_ms(hand_count, runs),
            "ids_ms": median_ms(compiled_ids, runs),
            "ids_by_hand_ms": median_ms(hand_ids, runs),
        }
        figures["under_target"] = figures["ids_ms"] < TARGET_MS
        if explain:
            print(f"--- plan of {name}\n{explained(conn, tx, definition)}")
    return figures


def segment_figures(
    database_url: str | None = None,
    *,
    parties: int = 1_000_000,
    interactions: int = 10_000_000,
    runs: int = 5,
    explain: bool = True,
    only: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Build (or reuse) the data, then time each of ``SEGMENTS`` against its hand-written SQL."""
    pg = bool(database_url and database_url.startswith("postgresql"))
    url = (
        postgresql_database(database_url, parties, interactions)
        if pg and database_url
        else sqlite_database(parties, interactions)
    )
    app = crm_on(url)
    figures: dict[str, Any] = {
        "database": "postgresql" if pg else "sqlite",
        "parties": parties,
        "interactions": interactions,
        "runs": runs,
        "target_ms": TARGET_MS,
    }
    for name, (definition, by_hand) in SEGMENTS.items():
        if only and name not in only:
            continue
        figures[name] = time_segment(app, name, definition, by_hand, pg, runs, pg and explain)
        print(f"{name}: {json.dumps(figures[name])}", flush=True)
    app.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parties", type=int, default=1_000_000)
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a cached SQLite file)")
    parser.add_argument("--explain", action="store_true", help="print the plans (PostgreSQL)")
    parser.add_argument(
        "--segments", default="", help=f"comma-separated, among {', '.join(SEGMENTS)} (all)"
    )
    args = parser.parse_args()
    found = segment_figures(
        args.database_url,
        parties=args.parties,
        interactions=args.interactions,
        runs=args.runs,
        explain=args.explain,
        only=tuple(name for name in args.segments.split(",") if name),
    )
    print(json.dumps(found))


if __name__ == "__main__":
    main()

"""SFA benchmark: the pipeline board, a quarter's forecast and a team's target attainment on SQLite.

    python bench/sfa.py [--opportunities N] [--activities M] [--runs K]

Builds (once, then reuses it from a cache folder in the temp directory keyed by
the sizes) a SQLite database with the sfa plugin's tables: 200 salespeople in
20 teams, 100,000 parties, N opportunities spread over three years around
today (open, won, lost), M activities and an order for every tenth won deal.
Then times, each the median of K runs:

* **board cards**: the board page's query, the first cards of every stage
  for one salesperson (their own and their territory's deals);
* **board**: open opportunities per pipeline, stage and currency, with their
  amounts (the "pipeline by stage" widget), for everybody;
* **forecast**: ``crmkit_sfa.planning.forecast.forecast`` for this quarter,
  everybody's and one team's;
* **attainment**: ``crmkit_sfa.planning.targets.attainment`` of a team's
  quarterly amount target;
* **overdue**: the overdue-activities widget of one salesperson (among the
  M activities);

next to baselines measured in the same run: ``SELECT count(*)`` over the tables
each reads, and the board's and the forecast's sums written by hand in plain sqlite3.
A cached database built by an older schema gets the tables' current indexes
first. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from crmkit_sfa.pipeline.pages import BOARD_CARDS
from crmkit_sfa.planning.forecast import forecast
from crmkit_sfa.planning.periods import period_of
from crmkit_sfa.planning.scopes import EVERYBODY, Scope
from crmkit_sfa.planning.targets import attainment, create_target
from crmkit_sfa.planning.widgets import overdue_activities
from sqlalchemy import Table, create_engine, func, select

from crmkit.core.actors import SYSTEM, Actor
from crmkit.core.permissions import visible
from crmkit.core.settings import Settings
from crmkit.core.tables import metadata
from crmkit.testing import make_app

BATCH = 50_000
USERS, TEAM_SIZE, PARTIES = 200, 10, 100_000
STAGES = [
    ("initiation", 10),
    ("identification", 20),
    ("qualification", 30),
    ("rfp_received", 50),
    ("quotation_sent", 70),
    ("final", 90),
]
BOARD_BY_HAND = (
    "SELECT pipeline, stage, currency, count(*), sum(amount) FROM sfa_opportunity "
    "WHERE status = 'open' GROUP BY pipeline, stage, currency"
)

TODAY = datetime.now(UTC).date()
NOW = datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=12)
"""Naive, in UTC: generated times are whole hours, written the way UTCDateTime stores them."""


def _stamp(moment: datetime) -> str:
    """A naive UTC time of whole seconds as the kernel's UTCDateTime stores it on SQLite."""
    return f"{moment.isoformat(' ')}.000000"


def _insert(db: sqlite3.Connection, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    """executemany in big batches; columns the rows leave out stay NULL.

    The table's indexes are dropped first and built again at the end: one
    sort per index instead of millions of random insertions.
    """
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL",
        (table.name,),
    ).fetchall()
    for name, _ in indexes:
        db.execute(f"DROP INDEX {name}")
    batch: list[dict[str, Any]] = []
    names: list[str] = []
    count = 0
    for row in rows:
        if not names:
            names = list(row)
            sql = (
                f"INSERT INTO {table.name} ({', '.join(names)}) "
                f"VALUES ({', '.join('?' for _ in names)})"
            )
        batch.append(row)
        if len(batch) == BATCH:
            db.executemany(sql, [tuple(r[n] for n in names) for r in batch])
            count += len(batch)
            batch.clear()
    if batch:
        db.executemany(sql, [tuple(r[n] for n in names) for r in batch])
        count += len(batch)
    for _, ddl in indexes:
        db.execute(ddl)
    db.commit()
    return count


def _users() -> Iterator[dict[str, Any]]:
    now = _stamp(NOW)
    for n in range(1, USERS + 1):
        manager = (n - 1) // TEAM_SIZE * TEAM_SIZE + 1
        yield {
            "id": n,
            "username": f"seller{n}",
            "display_name": f"Seller {n}",
            "role": "manager" if n == manager else "sales",
            "manager_id": None if n == manager else manager,
            "team": f"team{(n - 1) // TEAM_SIZE + 1}",
            "territories": "[]",
            "active": 1,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }


def _parties() -> Iterator[dict[str, Any]]:
    now = _stamp(NOW)
    for n in range(1, PARTIES + 1):
        yield {
            "id": n,
            "role": "customer",
            "kind": "organisation",
            "display_name": f"Company {n}",
            "organisation_name": f"Company {n}",
            "custom": "{}",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }


def _opportunities(count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    span = 3 * 365
    first = TODAY - timedelta(days=span // 2)
    for n in range(1, count + 1):
        close = first + timedelta(days=rng.randrange(span))
        stage, probability = rng.choice(STAGES)
        roll = rng.random()
        status = "open" if roll < 0.6 else "won" if roll < 0.85 else "lost"
        entered = datetime.combine(close, datetime.min.time()) - timedelta(
            days=rng.randrange(1, 90)
        )
        yield {
            "id": n,
            "party_id": rng.randrange(1, PARTIES + 1),
            "pipeline": "sales",
            "stage": stage,
            "status": status,
            "title": f"Deal {n}",
            "amount": f"{rng.randrange(100, 500_000)}.{rng.randrange(100):02d}",
            "currency": "EUR" if rng.random() < 0.9 else "CHF",
            "probability": 100 if status == "won" else 0 if status == "lost" else probability,
            "expected_close": close.isoformat(),
            "owner_id": rng.randrange(1, USERS + 1),
            "territory": f"DE-{rng.randrange(10000, 99999)}",
            "products": "[]",
            "contacts": "[]",
            "milestones": "[]",
            "stage_entered_at": _stamp(entered),
            "closed_at": None if status == "open" else _stamp(entered + timedelta(days=30)),
            "custom": "{}",
            "version": 1,
            "created_at": _stamp(entered),
            "updated_at": _stamp(entered),
        }


def _activities(count: int, opportunities: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    kinds = ("call", "meeting", "task", "visit", "note")
    for n in range(1, count + 1):
        due = NOW + timedelta(hours=rng.randrange(-24 * 400, 24 * 200))
        planned = rng.random() < 0.3
        yield {
            "id": n,
            "party_id": rng.randrange(1, PARTIES + 1),
            "opportunity_id": rng.randrange(1, opportunities + 1),
            "kind": rng.choice(kinds),
            "subject": f"Activity {n}",
            "owner_id": rng.randrange(1, USERS + 1),
            "due_at": _stamp(due),
            "status": "planned" if planned else "done",
            "completed_at": None if planned else _stamp(due),
            "version": 1,
            "created_at": _stamp(due - timedelta(days=7)),
            "updated_at": _stamp(due - timedelta(days=7)),
        }


def _won(db: sqlite3.Connection) -> list[tuple[int, int, int, str, str, str]]:
    return db.execute(
        "SELECT id, party_id, owner_id, amount, currency, closed_at FROM sfa_opportunity "
        "WHERE status = 'won' AND id % 10 = 0"
    ).fetchall()


def _order_rows(won: Sequence[tuple[Any, ...]]) -> dict[str, Iterator[dict[str, Any]]]:
    def quotations() -> Iterator[dict[str, Any]]:
        for opp_id, party_id, owner_id, amount, currency, closed_at in won:
            yield {
                "id": opp_id,
                "number": f"Q-{opp_id}",
                "version": 1,
                "opportunity_id": opp_id,
                "party_id": party_id,
                "owner_id": owner_id,
                "status": "accepted",
                "valid_until": closed_at[:10],
                "currency": currency,
                "total_net": amount,
                "total_tax": "0",
                "total_gross": amount,
                "created_at": closed_at,
                "updated_at": closed_at,
            }

    def orders() -> Iterator[dict[str, Any]]:
        for opp_id, party_id, owner_id, amount, currency, closed_at in won:
            yield {
                "id": opp_id,
                "number": f"SO-{opp_id}",
                "quotation_id": opp_id,
                "opportunity_id": opp_id,
                "party_id": party_id,
                "owner_id": owner_id,
                "currency": currency,
                "total_net": amount,
                "total_tax": "0",
                "total_gross": amount,
                "placed_at": closed_at,
            }

    def lines() -> Iterator[dict[str, Any]]:
        for opp_id, *_, amount, _currency, _closed_at in won:
            yield {
                "order_id": opp_id,
                "position": 1,
                "product_id": 1 + opp_id % 3,
                "product_code": f"P{1 + opp_id % 3}",
                "product_group": ("vans", "cars", "service")[opp_id % 3],
                "description": "Product",
                "quantity": "1",
                "unit": "pc",
                "unit_price": amount,
                "discount": "0",
                "tax_rate": "0",
                "net": amount,
                "tax": "0",
                "gross": amount,
            }

    return {"sfa_quotation": quotations(), "sfa_order": orders(), "sfa_order_line": lines()}


def _products() -> Iterator[dict[str, Any]]:
    now = _stamp(NOW)
    for n, group in enumerate(("vans", "cars", "service"), 1):
        yield {
            "id": n,
            "code": f"P{n}",
            "name": group,
            "product_group": group,
            "unit": "pc",
            "tax_rate": "0",
            "active": 1,
            "created_at": now,
            "updated_at": now,
        }


def build(path: Path, opportunities: int, activities: int) -> None:
    """Create the schema through crmkit, then fill it with plain sqlite3 executemany."""
    app = make_app(["sfa"], settings=Settings(database_url=f"sqlite:///{path}"))
    app.close()
    rng = random.Random(5)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    tables = metadata.tables
    started = time.perf_counter()
    _insert(db, tables["core_user"], _users())
    _insert(db, tables["core_party"], _parties())
    _insert(db, tables["sfa_opportunity"], _opportunities(opportunities, rng))
    _insert(db, tables["sfa_activity"], _activities(activities, opportunities, rng))
    _insert(db, tables["sfa_product"], _products())
    for name, rows in _order_rows(_won(db)).items():
        _insert(db, tables[name], rows)
    db.execute("ANALYZE")
    db.commit()
    db.close()
    print(f"generated the database in {time.perf_counter() - started:.1f}s")


def database(opportunities: int, activities: int) -> Path:
    """The cached database of these sizes, built if missing."""
    folder = Path(tempfile.gettempdir()) / "crmkit-bench-sfa"
    folder.mkdir(exist_ok=True)
    path = folder / f"sfa-{opportunities}-{activities}.sqlite"
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        build(partial, opportunities, activities)
        partial.rename(path)
    else:
        print(f"reusing {path.name}")
    return path


def median_ms(work: Callable[[], object], runs: int) -> float:
    """The median wall time of ``runs`` calls, in milliseconds (after one warm-up call)."""
    work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=7, help="report the median of this many runs")
    args = parser.parse_args()
    path = database(args.opportunities, args.activities)
    engine = create_engine(f"sqlite:///{path}")
    for table in metadata.sorted_tables:
        if table.name.startswith("sfa_"):
            for index in table.indexes:
                index.create(engine, checkfirst=True)
    engine.dispose()
    with sqlite3.connect(path) as db:
        # The cached database keeps whatever an earlier (perhaps interrupted) run left.
        db.execute("DELETE FROM sfa_target")
        db.execute("ANALYZE")

    app = make_app(
        ["sfa"], settings=Settings(database_url=f"sqlite:///{path}"), create_tables=False
    )
    planning = app.settings_of["sfa"].planning
    seller = Actor(user_id=7, username="seller7", role="sales", team="team1")
    quarter = period_of("quarter", TODAY)
    opportunity, order = metadata.tables["sfa_opportunity"], metadata.tables["sfa_order"]
    with app.transaction() as tx:
        target = create_target(
            tx,
            {
                "scope": "team",
                "scope_key": "team3",
                "period": quarter.key,
                "value": "50000000.00",
                "currency": "EUR",
            },
        )
    raw = sqlite3.connect(path)
    forecast_by_hand = (
        "SELECT currency, count(*), sum(amount), sum(amount * probability), "
        "sum(CASE WHEN probability >= ? THEN amount ELSE 0 END), "
        "sum(CASE WHEN probability >= ? THEN amount ELSE 0 END) FROM sfa_opportunity "
        "WHERE status = 'open' AND expected_close >= ? AND expected_close < ? GROUP BY currency"
    )
    hand_parameters = (
        planning.commit_probability,
        planning.best_case_probability,
        quarter.start.isoformat(),
        quarter.end.isoformat(),
    )
    try:
        with app.read() as conn:

            def board_cards() -> object:
                # The board page's query (crmkit_sfa.pipeline.pages.board): per stage, the
                # open deals the actor sees, soonest expected close first, BOARD_CARDS of them.
                return [
                    conn.execute(
                        select(opportunity)
                        .where(
                            opportunity.c.pipeline == "sales",
                            opportunity.c.status == "open",
                            opportunity.c.stage == stage,
                            visible(app.host, seller, "sfa.opportunity", opportunity),
                        )
                        .order_by(
                            opportunity.c.expected_close.is_(None), opportunity.c.expected_close
                        )
                        .limit(BOARD_CARDS)
                    ).all()
                    for stage, _ in STAGES
                ]

            def board() -> object:
                return conn.execute(
                    select(
                        opportunity.c.pipeline,
                        opportunity.c.stage,
                        opportunity.c.currency,
                        func.count(),
                        func.sum(opportunity.c.amount),
                    )
                    .where(
                        opportunity.c.status == "open",
                        visible(app.host, SYSTEM, "sfa.opportunity", opportunity),
                    )
                    .group_by(opportunity.c.pipeline, opportunity.c.stage, opportunity.c.currency)
                ).all()

            figures: dict[str, Any] = {
                "opportunities": args.opportunities,
                "activities": args.activities,
                "runs": args.runs,
                "board_cards_ms": median_ms(board_cards, args.runs),
                "board_ms": median_ms(board, args.runs),
                "forecast_quarter_ms": median_ms(
                    lambda: forecast(conn, quarter, EVERYBODY, planning, TODAY), args.runs
                ),
                "forecast_quarter_team_ms": median_ms(
                    lambda: forecast(conn, quarter, Scope("team", "team3"), planning, TODAY),
                    args.runs,
                ),
                "attainment_team_ms": median_ms(lambda: attainment(conn, target, TODAY), args.runs),
                "overdue_widget_ms": median_ms(lambda: overdue_activities(app, seller), args.runs),
                "baseline_count_activities_ms": median_ms(
                    lambda: raw.execute("SELECT count(*) FROM sfa_activity").fetchone(), args.runs
                ),
                "baseline_count_opportunities_ms": median_ms(
                    lambda: raw.execute("SELECT count(*) FROM sfa_opportunity").fetchone(),
                    args.runs,
                ),
                "baseline_count_orders_ms": median_ms(
                    lambda: raw.execute("SELECT count(*) FROM sfa_order").fetchone(), args.runs
                ),
                "baseline_board_by_hand_ms": median_ms(
                    lambda: raw.execute(BOARD_BY_HAND).fetchall(), args.runs
                ),
                "baseline_forecast_by_hand_ms": median_ms(
                    lambda: raw.execute(forecast_by_hand, hand_parameters).fetchall(), args.runs
                ),
            }
            result = forecast(conn, quarter, EVERYBODY, planning, TODAY)
            eur = next(c.figures for c in result.currencies if c.figures.currency == "EUR")
            reached = attainment(conn, target, TODAY)
            orders = conn.execute(select(func.count()).select_from(order)).scalar_one()
    finally:
        raw.close()
        app.close()

    print(
        f"{quarter.key}: {eur.open_count:,} open EUR deals, weighted {eur.weighted:,} EUR; "
        f"team3 sold {reached.actual:,} EUR ({orders:,} orders in all)"
    )
    for name, value in figures.items():
        if name.endswith("_ms"):
            print(f"{name:34} {value:10.2f} ms")
    figures["checks"] = {
        "weighted_eur": str(eur.weighted),
        "team_actual_eur": str(reached.actual),
        "decimal": isinstance(reached.actual, Decimal) and isinstance(eur.weighted, Decimal),
        "quarter": quarter.key,
        "today": date.today().isoformat(),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

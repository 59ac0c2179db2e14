"""Analytics benchmark: lifetime value at scale beside the reference library, churn AUC
beside a plain recency rule, dashboard tiles beside hand-written SQL.

    python bench/analytics.py [--sections clv,churn,tiles] [--customers N] [--seed S]
                              [--reference-customers M] [--database-url URL]

Each section is a function of its own; the last line printed is one JSON object with a key
per section run.

* **clv** (lifetime value): draws ``--customers`` customers (default 1,000,000) and their
  purchases over two years from known BG/NBD and Gamma-Gamma parameters with numpy (about
  20 purchases per customer: 20,000,000 transactions), saves the arrays, then in a fresh
  process (so that its peak memory is the models' own, not the generator's) times what
  ``crmkit_analytics.transactions`` does with them: the summary statistics (purchases on
  the same day are one), the BG/NBD and Gamma-Gamma fits, and each customer's expected
  purchases over 90 days, probability of being alive, expected spend and value over a
  year. It prints the wall time and peak RSS of that process against the targets (60 s,
  4 GB). In another fresh process it fits the reference implementation (``lifetimes``
  0.11.3, the ``bench`` extra) on the same summaries of ``--reference-customers``
  customers (default: all of them; the first M when given, and crmkit's fit is then
  repeated on the same M for the comparison) and prints the parameters side by side with
  their relative differences (the target: within 1 %) and the true ones.
* **churn**: the churn model's AUC beside the plain recency rule's on the same held-out
  window, on generated histories (see ``churn_section``).
* **tiles**: each dashboard tile for this quarter, as an admin and as a manager, on a
  SQLite rollup table of three years of a million customers (built once, cached in the temp
  directory), beside hand-written SQL of the same figures in the same run (target: 200 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

# The parameters the clv section draws its customers with (time in days).
TRUE = {"r": 5.1, "alpha": 40.0, "a": 1.2, "b": 12.0, "p": 6.0, "q": 4.0, "v": 90.0}
OBSERVE_DAYS = 730.0
CLV_TARGET_S = 60.0
CLV_TARGET_RSS_MB = 4096.0


def _peak_rss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _run_worker(*args: str) -> dict[str, Any]:
    """Run this file in a fresh process with ``args``; its last line's JSON."""
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"worker {args[0]} failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _clv_worker(folder: Path) -> dict[str, Any]:
    """Load the drawn purchases and time statistics, fits and predictions."""
    from crmkit_analytics.transactions import clv

    customer = np.load(folder / "customer.npy")
    t = np.load(folder / "t.npy")
    amount = np.load(folder / "amount.npy")
    loaded_mb = _peak_rss_mb()
    started = time.perf_counter()
    summary = clv.summarise(customer, t, amount, OBSERVE_DAYS)
    stats_s = time.perf_counter() - started
    del customer, t, amount
    moment = time.perf_counter()
    bg = clv.fit_bg_nbd(summary.frequency, summary.recency, summary.T)
    bg_s = time.perf_counter() - moment
    moment = time.perf_counter()
    gg = clv.fit_gamma_gamma(summary.frequency, summary.monetary)
    gg_s = time.perf_counter() - moment
    moment = time.perf_counter()
    args = (summary.frequency, summary.recency, summary.T)
    expected = clv.expected_purchases(bg, 90.0, *args)
    alive = clv.p_alive(bg, *args)
    spend = clv.expected_spend(gg, summary.frequency, summary.monetary)
    value = clv.lifetime_value(bg, gg, *args, summary.monetary, horizon_days=365)
    predict_s = time.perf_counter() - moment
    total_s = time.perf_counter() - started
    np.savez(
        folder / "summary.npz",
        frequency=summary.frequency,
        recency=summary.recency,
        T=summary.T,
        monetary=summary.monetary,
    )
    return {
        "customers": len(summary),
        "statistics_s": round(stats_s, 2),
        "fit_bg_nbd_s": round(bg_s, 2),
        "fit_gamma_gamma_s": round(gg_s, 2),
        "predictions_s": round(predict_s, 2),
        "total_s": round(total_s, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "rss_after_loading_mb": round(loaded_mb, 1),
        "bg_nbd": bg.as_dict(),
        "gamma_gamma": gg.as_dict(),
        "expected_purchases_90d_total": float(expected.sum()),
        "mean_p_alive": float(alive.mean()),
        "mean_expected_spend": float(spend.mean()),
        "clv_total": float(value.sum()),
    }


def _reference_worker(folder: Path, limit: int) -> dict[str, Any]:
    """Fit lifetimes (and crmkit again when ``limit`` cuts the customers) on the summaries."""
    try:
        import lifetimes
    except ImportError:
        return {"skipped": "lifetimes is not installed: pip install -e .[bench]"}
    from crmkit_analytics.transactions import clv

    data = np.load(folder / "summary.npz")
    x, tx, T, m = (data[name] for name in ("frequency", "recency", "T", "monetary"))
    if 0 < limit < x.size:
        x, tx, T, m = x[:limit], tx[:limit], T[:limit], m[:limit]
    repeat = x > 0
    started = time.perf_counter()
    bg = lifetimes.BetaGeoFitter().fit(x, tx, T)
    bg_s = time.perf_counter() - started
    moment = time.perf_counter()
    gg = lifetimes.GammaGammaFitter().fit(x[repeat], m[repeat])
    gg_s = time.perf_counter() - moment
    found: dict[str, Any] = {
        "library": f"lifetimes {lifetimes.__version__}",
        "customers": int(x.size),
        "fit_bg_nbd_s": round(bg_s, 2),
        "fit_gamma_gamma_s": round(gg_s, 2),
        "bg_nbd": {k: float(v) for k, v in bg.params_.items()},
        "gamma_gamma": {k: float(v) for k, v in gg.params_.items()},
    }
    moment = time.perf_counter()
    ours_bg = clv.fit_bg_nbd(x, tx, T)
    ours_gg = clv.fit_gamma_gamma(x, m)
    found["crmkit_fit_s"] = round(time.perf_counter() - moment, 2)
    found["crmkit"] = {**ours_bg.as_dict(), **ours_gg.as_dict()}
    return found


def clv_section(args: argparse.Namespace) -> dict[str, Any]:
    from crmkit_analytics.transactions import clv

    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    customer, t, amount = clv.simulate(rng, args.customers, observe_days=OBSERVE_DAYS, **TRUE)
    drawn_s = time.perf_counter() - started
    print(
        f"clv: drew {args.customers:,} customers, {customer.size:,} transactions in {drawn_s:.1f} s"
    )
    with tempfile.TemporaryDirectory(prefix="crmkit-bench-clv-") as name:
        folder = Path(name)
        np.save(folder / "customer.npy", customer)
        np.save(folder / "t.npy", t)
        np.save(folder / "amount.npy", amount)
        transactions = int(customer.size)
        del customer, t, amount
        ours = _run_worker("--clv-worker", str(folder))
        print(
            f"clv: crmkit {ours['total_s']:.1f} s (statistics {ours['statistics_s']:.1f} s, "
            f"BG/NBD {ours['fit_bg_nbd_s']:.1f} s, Gamma-Gamma {ours['fit_gamma_gamma_s']:.1f} "
            f"s, predictions {ours['predictions_s']:.1f} s), peak RSS {ours['peak_rss_mb']:.0f} "
            f"MB; targets {CLV_TARGET_S:.0f} s, {CLV_TARGET_RSS_MB:.0f} MB"
        )
        reference = _run_worker(
            "--reference-worker",
            str(folder),
            "--reference-customers",
            str(args.reference_customers),
        )
    comparison: dict[str, Any] = {}
    if "skipped" in reference:
        print(f"clv: reference skipped: {reference['skipped']}")
    else:
        ours_same = reference["crmkit"]
        theirs = {**reference["bg_nbd"], **reference["gamma_gamma"]}
        print(
            f"clv: {reference['library']} on {reference['customers']:,} customers: BG/NBD "
            f"{reference['fit_bg_nbd_s']:.1f} s, Gamma-Gamma {reference['fit_gamma_gamma_s']:.1f} s"
        )
        print(f"{'parameter':>10} {'true':>12} {'crmkit':>14} {'lifetimes':>14} {'rel. diff':>10}")
        for name, true in TRUE.items():
            difference = abs(ours_same[name] - theirs[name]) / abs(theirs[name])
            comparison[name] = {
                "true": true,
                "crmkit": ours_same[name],
                "reference": theirs[name],
                "relative_difference": difference,
            }
            print(
                f"{name:>10} {true:>12.4f} {ours_same[name]:>14.6f} {theirs[name]:>14.6f} "
                f"{difference:>10.2e}"
            )
    worst = max((c["relative_difference"] for c in comparison.values()), default=None)
    return {
        "customers": args.customers,
        "transactions": transactions,
        "true": TRUE,
        "crmkit": ours,
        "reference": reference,
        "parameters": comparison,
        "max_relative_difference": worst,
        "within_1_percent": None if worst is None else worst <= 0.01,
        "within_60_s": ours["total_s"] <= CLV_TARGET_S,
        "within_4_gb": ours["peak_rss_mb"] <= CLV_TARGET_RSS_MB,
    }


CHURN_CUSTOMERS = 200_000
CHURN_WINDOW_DAYS = 90.0
CHURN_ACTIVE_DAYS = 365.0


def churn_section(args: argparse.Namespace) -> dict[str, Any]:
    """The churn model's AUC and the recency rule's on the same holdout.

    Generates ``min(--customers, 200,000)`` customer histories with a known churn process
    (``crmkit_analytics.churn.synthetic``: own buying rhythms, spend falling and complaints,
    detractor answers and silence in contacts before defecting), then runs what ``crmkit
    analytics churn --evaluate`` runs on them (``crmkit_analytics.churn.model.evaluate``): the
    logistic regression fitted on the customers two windows before the end (labelled by the
    window after), both it and the recency rule (days since the last order) scored on the
    customers one window before the end, labelled by the last window, which neither saw.
    As in the CRM (``active_days``), customers silent for over a year are lost already and
    left out of both.
    """
    from crmkit_analytics.churn import model, synthetic

    customers = min(args.customers, CHURN_CUSTOMERS)
    started = time.perf_counter()
    made = synthetic.generate(customers, seed=args.seed)
    generated_s = time.perf_counter() - started
    started = time.perf_counter()
    result = model.evaluate(
        made.history,
        made.end,
        window=CHURN_WINDOW_DAYS,
        usual_gap=90.0,
        signal_days=180.0,
        active_days=CHURN_ACTIVE_DAYS,
    )
    evaluated_s = time.perf_counter() - started
    print(
        f"churn: {customers:,} customers, {len(made.history.order_t):,} orders; holdout of "
        f"{result.tested_on:,} customers, {result.defected:,} defected; AUC model "
        f"{result.model_auc:.4f}, recency rule {result.recency_auc:.4f} "
        f"(fit and scoring {evaluated_s:.1f} s)"
    )
    return {
        "customers": customers,
        "orders": len(made.history.order_t),
        "window_days": CHURN_WINDOW_DAYS,
        "active_days": CHURN_ACTIVE_DAYS,
        "trained_on": result.trained_on,
        "tested_on": result.tested_on,
        "defected": result.defected,
        "model_auc": result.model_auc,
        "recency_auc": result.recency_auc,
        "model_beats_recency": (result.model_auc or 0.0) > (result.recency_auc or 0.0),
        "coefficients": dict(zip(model.FEATURES, result.model.coefficients, strict=True)),
        "generate_s": round(generated_s, 2),
        "evaluate_s": round(evaluated_s, 2),
    }


TILE_METRICS = (
    (
        "sfa.pipeline",
        "amount",
        (
            "default/new",
            "default/qualified",
            "default/proposal",
            "default/negotiation",
            "default/final",
        ),
    ),
    (
        "sfa.weighted",
        "amount",
        (
            "default/new",
            "default/qualified",
            "default/proposal",
            "default/negotiation",
            "default/final",
        ),
    ),
    ("sfa.won", "amount", ("web", "fair", "referral", "partner", "(none)")),
    ("sfa.orders", "amount", ("",)),
    ("leads.created", "count", ("web", "fair", "referral", "partner", "(none)")),
    ("leads.open", "count", ("web", "fair", "referral", "partner", "(none)")),
    ("leads.uncontacted", "count", ("web", "fair", "referral", "partner", "(none)")),
    ("campaigns.sent", "count", ()),
    ("campaigns.responses", "count", ()),
    ("campaigns.conversions", "count", ()),
    ("campaigns.revenue", "amount", ()),
    ("campaigns.cost", "amount", ()),
    ("service.opened", "count", ("billing", "repair", "delivery", "warranty", "other")),
    ("service.closed", "count", ("billing", "repair", "delivery", "warranty", "other")),
    ("service.sla_met", "count", ("",)),
    ("service.sla_breached", "count", ("",)),
    ("service.open", "count", ("billing", "repair", "delivery", "warranty", "other")),
    ("surveys.promoters", "count", ("#1 After repair", "#2 Delivery")),
    ("surveys.passives", "count", ("#1 After repair", "#2 Delivery")),
    ("surveys.detractors", "count", ("#1 After repair", "#2 Delivery")),
)
TILE_RUNS, TILE_DAYS = 5, 1096
TILE_TARGET_MS = 200.0
TILE_TERRITORIES = tuple(f"DE-{n}" for n in range(10, 20))
TILE_OWNERS_PER_TERRITORY = 4
TILE_TEAMS = ("north", "south", "east", "west")
TILE_BY_HAND = {
    # The same figures as each tile's main query, written by hand for sqlite3.
    "pipeline": [
        f"SELECT dimension, sum(count), sum(amount) FROM analytics_rollup "
        f"WHERE metric = '{metric}' AND day BETWEEN ? AND ? GROUP BY dimension"
        for metric in ("sfa.pipeline", "sfa.weighted", "sfa.won")
    ],
    "leads": [
        "SELECT dimension, sum(count), sum(amount) FROM analytics_rollup "
        "WHERE metric = 'leads.created' AND day BETWEEN ? AND ? GROUP BY dimension",
        "SELECT day, sum(count), sum(amount) FROM analytics_rollup "
        "WHERE metric = 'leads.open' AND day <= ? GROUP BY day",
        "SELECT sum(count) FROM analytics_rollup WHERE metric = 'leads.uncontacted' AND day <= ?",
    ],
    "campaigns": [
        "SELECT metric, dimension, sum(count), sum(amount) FROM analytics_rollup "
        "WHERE metric IN ('campaigns.sent', 'campaigns.responses', 'campaigns.conversions', "
        "'campaigns.revenue', 'campaigns.cost') AND day BETWEEN ? AND ? GROUP BY metric, dimension",
    ],
    "service": [
        *(
            f"SELECT day, sum(count) FROM analytics_rollup "
            f"WHERE metric = '{metric}' AND day BETWEEN ? AND ? GROUP BY day"
            for metric in ("service.opened", "service.closed")
        ),
        *(
            f"SELECT dimension, sum(count) FROM analytics_rollup "
            f"WHERE metric = '{metric}' AND day BETWEEN ? AND ? GROUP BY dimension"
            for metric in (
                "service.opened",
                "service.closed",
                "service.sla_met",
                "service.sla_breached",
            )
        ),
        "SELECT day, sum(count) FROM analytics_rollup WHERE metric = 'service.open' AND day <= ? "
        "GROUP BY day",
    ],
    "nps": [
        f"SELECT dimension, sum(count) FROM analytics_rollup "
        f"WHERE metric = '{metric}' AND day BETWEEN ? AND ? GROUP BY dimension"
        for metric in ("surveys.promoters", "surveys.passives", "surveys.detractors")
    ],
    "revenue": [
        "SELECT day, sum(amount) FROM analytics_rollup "
        "WHERE metric = 'sfa.orders' AND day BETWEEN ? AND ? GROUP BY day",
    ],
}


def _tile_cells(days: int, rng: Any) -> Any:
    """Rollup cells of three years of a CRM of a million customers, shaped as the sources
    write them: deals, leads, cases and answers by day, dimension and the territory key,
    team and owner of their party (40 salespeople in 10 territories and 4 teams); open
    leads only for the last 120 days (older ones have expired); campaigns by campaign and
    its marketer, 60 campaigns of 60 days each."""
    from datetime import date, timedelta

    first = date.today() - timedelta(days=days - 1)
    campaigns = [(rng.randrange(days), 100 + n % 5) for n in range(60)]
    for offset in range(days):
        day = (first + timedelta(days=offset)).isoformat()
        for metric, unit, dimensions in TILE_METRICS:
            if metric.startswith("campaigns."):
                for n, (begins, marketer) in enumerate(campaigns):
                    if begins <= offset < begins + 60:
                        count = rng.randint(0, 400)
                        amount = count * rng.uniform(1, 30) if unit == "amount" else 0.0
                        yield (
                            metric,
                            day,
                            f"#{n + 1} Campaign {n + 1}",
                            "",
                            "",
                            marketer,
                            count,
                            amount,
                        )
                continue
            if (
                metric in ("leads.open", "leads.uncontacted", "service.open")
                and offset < days - 120
            ):
                continue
            for t, territory in enumerate(TILE_TERRITORIES):
                for o in range(TILE_OWNERS_PER_TERRITORY):
                    owner = 100 + t * TILE_OWNERS_PER_TERRITORY + o
                    team = TILE_TEAMS[owner % len(TILE_TEAMS)]
                    for dimension in dimensions:
                        count = rng.randint(0, 40)
                        amount = count * rng.uniform(50, 900) if unit == "amount" else 0.0
                        key = f"{territory}{rng.randint(100, 999)}"
                        yield (metric, day, dimension, key, team, owner, count, amount)


def _tile_database(path: Path, days: int, seed: int) -> int:
    """The rollup table (and the users a manager's team is read from) in a SQLite file,
    filled with rollup cells; how many."""
    import itertools
    import random
    import sqlite3

    from crmkit_analytics.rollups.tables import rollup
    from sqlalchemy import create_engine

    from crmkit.core.tables import user

    engine = create_engine(f"sqlite:///{path}")
    rollup.metadata.create_all(engine, tables=[rollup, user])
    engine.dispose()
    db = sqlite3.connect(path)
    rng = random.Random(seed)
    cells = _tile_cells(days, rng)
    total = 0
    while True:
        chunk = list(itertools.islice(cells, 200_000))
        if not chunk:
            break
        db.executemany(
            "INSERT INTO analytics_rollup (metric, day, dimension, territory, team, owner_id, count, amount) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            chunk,
        )
        total += len(chunk)
    db.commit()
    db.execute("ANALYZE")
    db.close()
    return total


def tiles_section(args: argparse.Namespace) -> dict[str, Any]:
    """Each dashboard tile's figures for this quarter, as an admin and as a manager of two
    territories and a team, on a SQLite rollup table of three years of a CRM of a million
    customers (built once into the temp directory, about 1.6 million cells, see
    ``_tile_cells``), beside the same figures in hand-written SQL (sqlite3) in the same run:
    median milliseconds of ``TILE_RUNS``. Target: each tile under 200 ms."""
    import sqlite3

    from crmkit_analytics.dashboard import service as dashboard
    from crmkit_analytics.dashboard.tiles import TILES

    from crmkit.core.actors import Actor
    from crmkit.core.settings import Settings
    from crmkit.testing import make_app

    runs, days = TILE_RUNS, TILE_DAYS

    cache = Path(tempfile.gettempdir()) / "crmkit-bench-analytics-tiles"
    cache.mkdir(exist_ok=True)
    path = cache / f"rollups-{days}-{args.seed}.sqlite"
    if not path.exists():
        building = path.with_suffix(".building")
        building.unlink(missing_ok=True)
        _tile_database(building, days, args.seed)
        building.rename(path)
    db = sqlite3.connect(path)
    cells = db.execute("SELECT count(*) FROM analytics_rollup").fetchone()[0]

    settings = Settings(database_url=f"sqlite:///{path}")
    app = make_app(["analytics", _tile_feeder()], settings=settings, create_tables=False)
    admin = Actor(user_id=1, username="admin", role="admin")
    manager = Actor(
        user_id=2, username="max", role="manager", team="north", territories=("DE-10", "DE-11")
    )
    filters = dashboard.filters_of({"period": "quarter"})
    start, end = filters.period.start.isoformat(), filters.period.end.isoformat()
    figures: dict[str, Any] = {"cells": cells, "period": [start, end], "tiles": {}}
    try:
        with app.read() as conn:
            for name in TILES:
                if name not in dashboard.shown_tiles(app):
                    continue
                entry = {
                    role: _median_ms(
                        lambda actor=actor, name=name: dashboard.tile(
                            app, conn, actor, name, filters
                        ),
                        runs,
                    )
                    for role, actor in (("admin_ms", admin), ("manager_ms", manager))
                }

                def by_hand(name: str = name) -> object:
                    for sql in TILE_BY_HAND[name]:
                        params = (end,) if sql.count("?") == 1 else (start, end)
                        db.execute(sql, params).fetchall()
                    return None

                entry["by_hand_ms"] = _median_ms(by_hand, runs)
                entry["under_200ms"] = max(entry["admin_ms"], entry["manager_ms"]) < TILE_TARGET_MS
                figures["tiles"][name] = entry
    finally:
        app.close()
        db.close()
    for name, entry in figures["tiles"].items():
        print(
            f"tile {name}: admin {entry['admin_ms']} ms, manager {entry['manager_ms']} ms, "
            f"hand-written SQL {entry['by_hand_ms']} ms"
        )
    return figures


def _median_ms(work: Any, runs: int) -> float:
    import statistics

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def _tile_feeder() -> Any:
    """A throwaway plugin publishing the metrics the tiles read, as sfa, campaigns, service
    and surveys do (their own tables are not needed: tiles read rollups only)."""
    from crmkit_analytics.sources import FactSource, Metric

    from crmkit import hookimpl
    from crmkit.testing import register_plugin

    metrics = tuple(
        Metric(name, name, unit) for name, unit, _ in TILE_METRICS if not name.startswith("leads.")
    )

    class Feeder:
        @hookimpl(optionalhook=True)
        def analytics_sources(self) -> list[Any]:
            return [FactSource(name="bench", metrics=metrics)]

    return register_plugin(Feeder(), name="benchfeeder", depends=("analytics",))


SECTIONS = {"clv": clv_section, "churn": churn_section, "tiles": tiles_section}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sections", default="clv,churn,tiles", help="comma-separated")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument(
        "--reference-customers",
        type=int,
        default=0,
        help="fit the reference on the first M customers only (0: all)",
    )
    parser.add_argument("--database-url", default=os.environ.get("CRMKIT_BENCH_DATABASE_URL"))
    parser.add_argument("--clv-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--reference-worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.clv_worker:
        print(json.dumps(_clv_worker(args.clv_worker)))
        return
    if args.reference_worker:
        print(json.dumps(_reference_worker(args.reference_worker, args.reference_customers)))
        return
    wanted = [name.strip() for name in args.sections.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    results = {name: SECTIONS[name](args) for name in wanted}
    print(json.dumps(results))


if __name__ == "__main__":
    main()

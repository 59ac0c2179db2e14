"""Surveys benchmark: 100,000 answers aggregated into NPS and CSAT trends per month.

    python bench/surveys.py [--answers N] [--runs R] [--database-url URL] [--explain]

Builds (once, then reuses it: a SQLite file in the temp folder keyed by N, or the
PostgreSQL database of ``--database-url``) a published survey with an NPS and a CSAT
question (through the definitions part's service) and N/2 completed anonymous responses,
each answering both, so N answers spread evenly over the two years before today. Then
times, each the median of R runs after a warm-up:

* **crmkit**: ``crmkit_surveys.results.service.trends_of`` for every scored question
  (NPS and CSAT) per month, the function ``GET /p/surveys/surveys/{id}/results/trend``
  calls: the survey's questions read, one GROUP BY over the answers of completed responses,
  the figures (NPS with its interval, CSAT with its Wilson interval, means) per month;
* **baseline**: the same figures from one hand-written GROUP BY on the raw driver
  (``sqlite3`` or ``psycopg``) counting promoters, detractors, satisfied answers and
  sums of squares per question and month, the intervals computed from those counts.

Both must agree on every month's NPS and CSAT. The target is 200 ms. ``--explain`` prints
the database's plan of crmkit's query. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from _cache import cached_sqlite
from sqlalchemy import delete, func, insert, select

from crmkit import SYSTEM, Crm, Settings, Transaction, utcnow
from crmkit.testing import make_app

NAME = "Bench: NPS and CSAT"
TARGET_MS = 200.0
DAYS = 730
BATCH = 5_000
DEFINITION = {
    "languages": ["en"],
    "title": {"en": "How did we do?"},
    "pages": [
        {
            "questions": [
                {"key": "nps", "kind": "nps", "text": {"en": "Would you recommend us?"}},
                {"key": "csat", "kind": "csat", "text": {"en": "How satisfied are you?"}},
            ]
        }
    ],
}


def crm_on(url: str) -> Crm:
    settings = Settings(
        database_url=url,
        plugin_settings={
            "channels": {
                "from_address": "Acme <survey@acme.example>",
                "public_url": "https://crm.acme.example",
                "link_secret": "a-benchmark-secret-of-at-least-32-characters",
            },
            "surveys": {},
        },
    )
    return make_app(["channels", "surveys"], settings=settings)


def bench_survey(crm: Crm) -> int | None:
    from crmkit_surveys.definitions.service import find_survey

    with crm.read() as conn:
        found = find_survey(conn, NAME)
    return None if found is None else found.id


def answers_held(crm: Crm, survey_id: int) -> int:
    from crmkit_surveys.answering.tables import answer

    with crm.read() as conn:
        query = select(func.count()).select_from(answer).where(answer.c.survey_id == survey_id)
        return int(conn.execute(query).scalar_one())


def fill(crm: Crm, answers: int) -> int:
    """A new bench survey with ``answers`` answers (two per completed response)."""
    from crmkit_surveys.answering.tables import answer, response
    from crmkit_surveys.definitions.service import create_survey, publish

    with crm.transaction(SYSTEM) as tx:
        created = create_survey(tx, {"name": NAME, "definition": DEFINITION})
        version_id = publish(tx, created.id).published_version_id
    rng = random.Random(7)
    now = utcnow()
    nps_weights = [3, 2, 2, 3, 3, 4, 6, 10, 14, 22, 31]
    csat_weights = [5, 7, 13, 35, 40]
    # Answers arrive as time goes by: stored oldest first, as a live survey stores them.
    every = sorted(
        now - timedelta(seconds=rng.uniform(0, DAYS * 86400)) for _ in range(answers // 2)
    )
    for start in range(0, len(every), BATCH):
        moments = every[start : start + BATCH]
        with crm.transaction(SYSTEM) as tx:
            ids = (
                tx.conn.execute(
                    insert(response).returning(response.c.id, sort_by_parameter_order=True),
                    [
                        {
                            "survey_id": created.id,
                            "version_id": version_id,
                            "language": "en",
                            "status": "completed",
                            "started_at": at,
                            "updated_at": at,
                            "completed_at": at,
                        }
                        for at in moments
                    ],
                )
                .scalars()
                .all()
            )
            rows = []
            for response_id, at in zip(ids, moments, strict=True):
                nps = rng.choices(range(11), nps_weights)[0]
                csat = rng.choices(range(1, 6), csat_weights)[0]
                for key, score in (("nps", nps), ("csat", csat)):
                    rows.append(
                        {
                            "response_id": response_id,
                            "survey_id": created.id,
                            "question": key,
                            "kind": key,
                            "score": score,
                            "answered_at": at,
                        }
                    )
            tx.conn.execute(insert(answer), rows)
    return created.id


def database(answers: int, url: str | None) -> tuple[str, int]:
    """The database URL and the bench survey's id, filled when it holds another number."""
    if url is None:
        url = cached_sqlite("surveys", f"surveys-{answers}")
    from crmkit_surveys.definitions.tables import survey

    crm = crm_on(url)
    try:
        survey_id = bench_survey(crm)
        if survey_id is not None and answers_held(crm, survey_id) == answers:
            print(f"reusing {answers:,} answers of {url.rpartition('/')[2]}")
            return url, survey_id
        if survey_id is not None:
            with crm.transaction(SYSTEM) as tx:
                tx.conn.execute(delete(survey).where(survey.c.id == survey_id))
        began = time.perf_counter()
        survey_id = fill(crm, answers)
        print(f"filled {answers:,} answers in {time.perf_counter() - began:.1f} s")
        if crm.engine.dialect.name == "postgresql":
            with crm.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE surveys_answer")
                conn.exec_driver_sql("ANALYZE surveys_response")
                conn.commit()
        return url, survey_id
    finally:
        crm.close()


def crmkit_trends(crm: Crm, survey_id: int) -> dict[tuple[str, str], tuple[Any, Any]]:
    """NPS and CSAT per (question, month) as the trend route computes them."""
    from crmkit_surveys.results.aggregates import Filters
    from crmkit_surveys.results.service import trends_of

    with crm.read() as conn:
        tx = Transaction(conn=conn, hooks=crm.host, actor=SYSTEM, app=crm)
        found = trends_of(tx, survey_id, None, "month", Filters())
    return {
        (trend.question, point.period): (point.figures.nps, point.figures.csat)
        for trend in found.trends
        for point in trend.points
    }


BASELINE_SQLITE = """
SELECT a.question, strftime('%Y-%m', a.answered_at) AS month, count(*),
       sum(a.score >= 9), sum(a.score BETWEEN 7 AND 8), sum(a.score <= 6), sum(a.score >= 4)
FROM surveys_answer AS a JOIN surveys_response AS r ON r.id = a.response_id
WHERE a.survey_id = ? AND r.status = 'completed'
GROUP BY a.question, month
"""
BASELINE_POSTGRESQL = """
SELECT a.question, to_char(a.answered_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, count(*),
       count(*) FILTER (WHERE a.score >= 9), count(*) FILTER (WHERE a.score BETWEEN 7 AND 8),
       count(*) FILTER (WHERE a.score <= 6), count(*) FILTER (WHERE a.score >= 4)
FROM surveys_answer AS a JOIN surveys_response AS r ON r.id = a.response_id
WHERE a.survey_id = %s AND r.status = 'completed'
GROUP BY a.question, month
"""
Z = 1.959963984540054


def baseline_figures(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str], tuple[float, float]]:
    """Per (question, month): the NPS and its interval's width, or CSAT and its Wilson interval's."""
    found = {}
    for question, month, n, promoters, _, detractors, satisfied in rows:
        if question == "nps":
            p, d = promoters / n, detractors / n
            margin = Z * math.sqrt((p + d - (p - d) ** 2) / n)
            found[(question, month)] = (round(100 * (p - d), 2), round(100 * margin, 2))
        else:
            p = satisfied / n
            centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
            half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
            found[(question, month)] = (round(100 * p, 2), round(100 * (centre - half), 2))
    return found


def baseline(url: str, survey_id: int) -> Callable[[], dict[tuple[str, str], tuple[float, float]]]:
    """A function running the hand-written query on a raw connection kept open between runs."""
    if url.startswith("sqlite"):
        raw: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
        sql = BASELINE_SQLITE
    else:
        import psycopg

        raw = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        sql = BASELINE_POSTGRESQL

    def run() -> dict[tuple[str, str], tuple[float, float]]:
        rows = raw.execute(sql, (survey_id,)).fetchall()
        if not url.startswith("sqlite"):
            raw.rollback()
        return baseline_figures(rows)

    return run


def median_ms(work: Callable[[], object], runs: int) -> tuple[float, float, list[float]]:
    """Median wall and CPU (this process's: steadier on a busy machine; a PostgreSQL server's
    CPU is not in it) milliseconds of ``runs`` runs after a warm-up, and each run's wall."""
    work()  # warm-up: caches, the statement's compilation, the planner's statistics
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return round(statistics.median(walls), 2), round(statistics.median(cpus), 2), walls


def agree(mine: dict[tuple[str, str], tuple[Any, Any]], theirs: dict[Any, Any]) -> None:
    for (question, month), (nps, csat) in mine.items():
        if (question, month) not in theirs:
            if (nps or csat) is not None:
                raise SystemExit(f"{question} {month}: crmkit has figures, the baseline none")
            continue
        value, bound = theirs[(question, month)]
        if question == "nps":
            got = (nps.score, round(nps.score - nps.low, 2))
        else:
            got = (csat.percent, csat.low)
        if abs(got[0] - value) > 0.011 or abs(got[1] - bound) > 0.011:
            raise SystemExit(f"{question} {month}: crmkit {got}, baseline {(value, bound)}")


def explain(crm: Crm, survey_id: int) -> None:
    from crmkit_surveys.answering.tables import answer
    from crmkit_surveys.results.aggregates import Filters, answers_of_responses, conditions
    from crmkit_surveys.results.periods import bucket

    with crm.read() as conn:
        when = bucket(conn.dialect.name, answer.c.answered_at, "month").label("bucket")
        query = (
            select(when, answer.c.question, answer.c.score, func.count())
            .select_from(answers_of_responses())
            .where(*conditions(survey_id, Filters()))
            .group_by(when, answer.c.question, answer.c.score)
        )
        compiled = query.compile(conn.engine, compile_kwargs={"literal_binds": True})
        prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
        for row in conn.exec_driver_sql(prefix + str(compiled).replace("%", "%%")):
            print("  plan:", " ".join(str(v) for v in row))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9, help="report the median of this many runs")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--explain", action="store_true", help="print crmkit's query plan")
    args = parser.parse_args()
    url, survey_id = database(args.answers, args.database_url)
    crm = crm_on(url)
    try:
        if args.explain:
            explain(crm, survey_id)
        by_hand = baseline(url, survey_id)
        agree(crmkit_trends(crm, survey_id), by_hand())
        mine, mine_cpu, mine_runs = median_ms(lambda: crmkit_trends(crm, survey_id), args.runs)
        theirs, their_cpu, their_runs = median_ms(by_hand, args.runs)
        months = len(crmkit_trends(crm, survey_id)) // 2
        dialect = crm.engine.dialect.name
    finally:
        crm.close()
    ratio = round(mine / theirs, 2)
    load = os.getloadavg()[0]
    print(
        f"runs, wall ms: crmkit {[round(t) for t in mine_runs]}, baseline {[round(t) for t in their_runs]}"
    )
    print(
        f"{dialect}: NPS and CSAT trends of {args.answers:,} answers over {months} months:"
        f" crmkit {mine:.1f} ms (CPU {mine_cpu:.1f} ms), baseline {theirs:.1f} ms"
        f" (CPU {their_cpu:.1f} ms), ratio {ratio}; load average {load:.1f} on"
        f" {os.cpu_count()} CPUs (target {TARGET_MS:.0f} ms:"
        f" {'met' if mine < TARGET_MS else 'missed'})"
    )
    figures = {
        "database": dialect,
        "answers": args.answers,
        "months": months,
        "runs": args.runs,
        "crmkit_ms": mine,
        "crmkit_cpu_ms": mine_cpu,
        "baseline_ms": theirs,
        "baseline_cpu_ms": their_cpu,
        "ratio": ratio,
        "cpu_ratio": round(mine_cpu / their_cpu, 2) if their_cpu else None,
        "load_average": round(load, 1),
        "target_ms": TARGET_MS,
        "within_target": mine < TARGET_MS,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

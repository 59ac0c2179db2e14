"""Customer service benchmark: the agent's work list and a quarter's SLA compliance on SQLite.

    python bench/service.py [--cases N] [--events M] [--runs K]

Builds (once, then reuses it from a cache folder in the temp directory keyed by
the sizes) a SQLite database with the service plugin's tables: 300 users in 30
teams of a lead and nine agents under one head of service, 200,000 parties (one
in twenty a prospect), 20 categories, N cases spread over the two years before
today (the last ten days' still open, a few of them waiting on the customer), M
case events and two SLA clocks per case (first response, resolution; met,
breached, running or paused as their case's history makes them), with a breach
row for every clock that missed its target. Then times, each the median of K runs:

* **work list**: ``crmkit_service.sla.worklist.work_list`` for one agent (role
  service: customers only), 50 cases, the soonest due first;
* **compliance**: ``crmkit_service.sla.worklist.compliance`` for this quarter,
  seen by the agent (customers only: by hand, every clock less those of the prospects,
  in one statement) and by the system (everything);
* **knowledge base** (``--articles``, 100,000 by default, their words drawn by Zipf's law,
  one in twenty a draft and one in fifty archived): ``crmkit_service.knowledge.search.search``
  for two topic words and for the two most common words (the costliest search), and
  ``suggest`` for a case's subject and body;

next to the same answers written by hand in plain sqlite3, and ``SELECT count(*)``
over the tables they read, all measured in the same run.

The data is made by filler functions (``FILLERS``: one per table, each a generator of
rows given the sizes and a random source) and the timings by section functions
(``SECTIONS``: each takes the :class:`Bench` and returns its figures, names ending in
``_ms`` for times). The last line is one JSON object.

* **inbound email to case** (``--inbound-messages``, 2,000 by default, over
  ``--inbound-connections`` SMTP connections from a relay in another process, as
  ``bench/channels.py`` sends them): messages/s through the channels plugin's
  ``mail-in`` server into a database of its own, from the first message to the last
  one routed. Four in five are new questions to support (each opens a case and is
  acknowledged, within the channels plugin's daily limit per sender); one in five
  answers a case opened before the run, by its ``[CS-…]`` subject.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage as MimeMessage
from pathlib import Path
from typing import Any

from attrs import evolve, frozen
from channels import RELAY, add_customers, free_port
from crmkit_channels.inbound_tables import inbound_email
from crmkit_channels.mail_in import server
from crmkit_channels.tables import email
from crmkit_service.cases.service import open_case
from crmkit_service.cases.tables import case as case_table
from crmkit_service.cases.tables import case_event
from crmkit_service.knowledge.search import search as search_articles
from crmkit_service.knowledge.search import suggest
from crmkit_service.sla.periods import Period, quarter_of
from crmkit_service.sla.worklist import compliance, work_list
from sqlalchemy import create_engine, func, select

from crmkit import Crm
from crmkit.core.actors import SYSTEM, Actor
from crmkit.core.settings import Settings
from crmkit.core.tables import metadata
from crmkit.testing import make_app

BATCH = 50_000
TEAMS, TEAM_SIZE, PARTIES, CATEGORIES = 30, 10, 200_000, 20
USERS = 1 + TEAMS * TEAM_SIZE
HEAD = 1
"""The head of service: every team lead reports to them."""
AGENT = 3
"""The agent whose work list is timed (team 1)."""
SPAN_DAYS = 2 * 365
OPEN_DAYS = 10
"""Cases opened in the last ten days are still open; older ones are resolved or closed."""
PRIORITIES: tuple[tuple[str, int, int], ...] = (
    ("low", 240, 2880),
    ("normal", 120, 1440),
    ("high", 60, 480),
    ("urgent", 15, 240),
)
"""Priority, first-response and resolution targets in minutes (one policy each)."""
EVENT_KINDS = ("note", "reply", "customer_reply", "status", "assigned")

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0, tzinfo=None)
"""Naive, in UTC: generated times are written the way UTCDateTime stores them."""

WORK_LIST_BY_HAND = """
SELECT k.case_id, min(coalesce(k.due_at, '9999')) AS due, c.subject, c.status, p.display_name
FROM service_sla_clock k
JOIN service_case c ON c.id = k.case_id
JOIN core_party p ON p.id = c.party_id
WHERE k.owner_id = ? AND k.stopped_at IS NULL AND p.role = 'customer'
GROUP BY k.case_id ORDER BY due, k.case_id LIMIT 50
"""
COMPLIANCE_BY_HAND = """
SELECT team, metric, count(*) AS total,
       coalesce(sum(met = 1), 0) AS met,
       coalesce(sum(met = 0 OR (met IS NULL AND breached_at IS NOT NULL)), 0) AS breached
FROM service_sla_clock
WHERE started_at >= ? AND started_at < ?
GROUP BY team, metric
"""
COMPLIANCE_OF_CUSTOMERS_BY_HAND = f"""
SELECT team, metric, sum(total), sum(met), sum(breached) FROM (
  {COMPLIANCE_BY_HAND}
  UNION ALL
  SELECT team, metric, -count(*) AS total, -coalesce(sum(met = 1), 0) AS met,
         -coalesce(sum(met = 0 OR (met IS NULL AND breached_at IS NOT NULL)), 0) AS breached
  FROM service_sla_clock
  WHERE started_at >= ? AND started_at < ?
    AND party_id IN (SELECT id FROM core_party WHERE role <> 'customer')
  GROUP BY team, metric
) GROUP BY team, metric HAVING sum(total) > 0
"""
"""Customers only, as service staff see them: every clock less those of the few prospects."""


def _stamp(moment: datetime) -> str:
    """A naive UTC time as the kernel's UTCDateTime stores it on SQLite."""
    return f"{moment.isoformat(' ', timespec='seconds')}.000000"


@frozen
class Sizes:
    cases: int
    events: int
    articles: int


def _insert(db: sqlite3.Connection, table: str, rows: Iterator[dict[str, Any]]) -> int:
    """executemany in big batches; the table's indexes are built once at the end."""
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL",
        (table,),
    ).fetchall()
    for name, _ in indexes:
        db.execute(f"DROP INDEX {name}")
    batch: list[tuple[Any, ...]] = []
    names: list[str] = []
    sql = ""
    count = 0
    for row in rows:
        if not names:
            names = list(row)
            marks = ", ".join("?" for _ in names)
            sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})"
        batch.append(tuple(row[n] for n in names))
        if len(batch) == BATCH:
            db.executemany(sql, batch)
            count += len(batch)
            batch.clear()
    if batch:
        db.executemany(sql, batch)
        count += len(batch)
    for _, ddl in indexes:
        db.execute(ddl)
    db.commit()
    return count


# --- Fillers: the rows of each table


def _team_of(user_id: int) -> str:
    return f"team{(user_id - 2) // TEAM_SIZE + 1}"


def fill_users(sizes: Sizes, rng: random.Random) -> Iterator[dict[str, Any]]:
    now = _stamp(NOW)
    for n in range(1, USERS + 1):
        lead = n > 1 and (n - 2) % TEAM_SIZE == 0
        yield {
            "id": n,
            "username": f"user{n}",
            "display_name": f"User {n}",
            "role": "manager" if n == HEAD or lead else "service",
            "manager_id": None
            if n == HEAD
            else HEAD
            if lead
            else (n - 2) // TEAM_SIZE * TEAM_SIZE + 2,
            "team": None if n == HEAD else _team_of(n),
            "territories": "[]",
            "active": 1,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }


def fill_parties(sizes: Sizes, rng: random.Random) -> Iterator[dict[str, Any]]:
    now = _stamp(NOW)
    for n in range(1, PARTIES + 1):
        yield {
            "id": n,
            "role": "prospect" if n % 20 == 0 else "customer",
            "kind": "organisation",
            "display_name": f"Company {n}",
            "organisation_name": f"Company {n}",
            "custom": json.dumps({"service_tier": "gold"} if n % 10 == 1 else {}),
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }


def fill_categories(sizes: Sizes, rng: random.Random) -> Iterator[dict[str, Any]]:
    for n in range(1, CATEGORIES + 1):
        yield {
            "id": n,
            "parent_id": None if n <= 4 else (n - 1) % 4 + 1,
            "name": f"Category {n}",
            "created_at": _stamp(NOW - timedelta(days=SPAN_DAYS + 1)),
        }


def fill_policies(sizes: Sizes, rng: random.Random) -> Iterator[dict[str, Any]]:
    now = _stamp(NOW)
    for n, (priority, first, resolution) in enumerate(PRIORITIES, 1):
        yield {
            "id": n,
            "name": f"{priority.title()} priority",
            "priority": priority,
            "first_response_minutes": first,
            "resolution_minutes": resolution,
            "penalty": "5 % credit on the monthly fee" if priority == "urgent" else None,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }


def _target_minutes(priority: int, metric: int) -> int:
    """The target of a priority (an index into PRIORITIES): 0 first response, 1 resolution."""
    _, first, resolution = PRIORITIES[priority]
    return first if metric == 0 else resolution


@frozen
class History:
    """What one case went through, drawn from its own random source (so every filler agrees)."""

    opened: datetime
    still_open: bool
    owner: int
    party_id: int
    status: str
    priority: int
    """Index into PRIORITIES."""
    used: tuple[float, float]
    """The share of the first-response and resolution targets used when the clock stopped."""
    rng: random.Random

    def stopped_after(self, metric: int) -> timedelta:
        return timedelta(minutes=_target_minutes(self.priority, metric) * self.used[metric])


def _history(n: int, sizes: Sizes) -> History:
    rng = random.Random(n)
    opened = NOW - timedelta(minutes=int(SPAN_DAYS * 24 * 60 * (1 - n / (sizes.cases + 1))))
    still_open = NOW - opened < timedelta(days=OPEN_DAYS)
    if still_open:
        status = "waiting_on_customer" if rng.random() < 0.15 else "open"
    else:
        status = "closed" if rng.random() < 0.8 else "resolved"
    return History(
        opened=opened,
        still_open=still_open,
        owner=rng.randrange(2, USERS + 1),
        party_id=rng.randrange(1, PARTIES + 1),
        status=status,
        priority=n % len(PRIORITIES),
        # Most targets are met: about one in eight is missed.
        used=(0.1 + 1.05 * rng.random(), 0.1 + 1.05 * rng.random()),
        rng=rng,
    )


def fill_cases(sizes: Sizes, rng: random.Random) -> Iterator[dict[str, Any]]:
    for n in range(1, sizes.cases + 1):
        case = _history(n, sizes)
        own = case.rng
        answered = case.still_open and case.status == "open"
        yield {
            "id": n,
            "party_id": case.party_id,
            "kind": own.choice(("complaint", "question", "request", "incident")),
            "subject": f"Case {n}: printer jams on page {own.randrange(1, 99)}",
            "description": "",
            "category_id": own.randrange(1, CATEGORIES + 1),
            "priority": PRIORITIES[case.priority][0],
            "channel": own.choice(("email", "phone", "web", "portal")),
            "owner_id": case.owner,
            "team": _team_of(case.owner),
            "status": case.status,
            "root_cause": None if case.still_open else "configuration",
            "entitlement_state": "none",
            "entitlement_summary": "no warranty or contract",
            "billable": 1,
            "created_at": _stamp(case.opened),
            "updated_at": _stamp(case.opened),
            "first_response_at": None if answered else _stamp(case.opened + case.stopped_after(0)),
            "resolved_at": None if case.still_open else _stamp(case.opened + case.stopped_after(1)),
            "version": 1,
        }


def fill_case_events(sizes: Sizes, rng: random.Random) -> Iterator[dict[str, Any]]:
    per_case = max(sizes.events // sizes.cases, 1)
    for n in range(1, sizes.events + 1):
        case_id = min((n - 1) // per_case + 1, sizes.cases)
        opened = _history(case_id, sizes).opened
        kind = EVENT_KINDS[n % len(EVENT_KINDS)]
        yield {
            "id": n,
            "case_id": case_id,
            "kind": "created" if (n - 1) % per_case == 0 else kind,
            "public": int(kind in ("reply", "customer_reply")),
            "body": None if kind in ("status", "assigned") else f"Event {n} of case {case_id}",
            "data": "{}",
            "author_id": None,
            "created_at": _stamp(opened + timedelta(minutes=n % per_case * 37)),
        }


def _clocks_of_case(n: int, sizes: Sizes) -> Iterator[dict[str, Any]]:
    case = _history(n, sizes)
    status, opened = case.status, case.opened
    for number, metric in enumerate(("first_response", "resolution")):
        target_seconds = _target_minutes(case.priority, number) * 60
        due = opened + timedelta(seconds=target_seconds)
        stopped = not case.still_open or (metric == "first_response" and status != "open")
        spent = case.stopped_after(number) if stopped else NOW - opened
        used = int(spent.total_seconds())
        paused = status == "waiting_on_customer" and not stopped
        met = None if not stopped else used <= target_seconds
        late = (met is False) or (not stopped and not paused and due <= NOW)
        yield {
            "case_id": n,
            "metric": metric,
            "party_id": case.party_id,
            "owner_id": case.owner,
            "team": _team_of(case.owner),
            "case_status": status,
            "policy_id": case.priority + 1,
            "target_seconds": target_seconds,
            "warning_percent": 80,
            "started_at": _stamp(opened),
            "elapsed_seconds": min(used, 10**9),
            "running_since": None if stopped or paused else _stamp(NOW - timedelta(hours=1)),
            "paused_at": _stamp(NOW - timedelta(hours=2)) if paused else None,
            "due_at": None if paused else _stamp(due),
            "warn_at": None
            if stopped or paused
            else _stamp(due - timedelta(seconds=target_seconds // 5)),
            "stopped_at": _stamp(opened + timedelta(seconds=used)) if stopped else None,
            "met": None if met is None else int(met),
            "warned_at": None,
            "breached_at": _stamp(due) if late else None,
            "escalation_level": 1 if late else 0,
            "escalated_at": _stamp(due) if late else None,
            "updated_at": _stamp(NOW),
        }


def fill_sla_clocks(sizes: Sizes, rng: random.Random) -> Iterator[dict[str, Any]]:
    number = 0
    for n in range(1, sizes.cases + 1):
        for row in _clocks_of_case(n, sizes):
            number += 1
            yield {"id": number, **row}


def fill_sla_breaches(sizes: Sizes, rng: random.Random) -> Iterator[dict[str, Any]]:
    number = 0
    for n in range(1, sizes.cases + 1):
        for metric_number, row in enumerate(_clocks_of_case(n, sizes)):
            if row["breached_at"] is None:
                continue
            number += 1
            yield {
                "id": number,
                "clock_id": 2 * (n - 1) + metric_number + 1,
                "case_id": n,
                "party_id": row["party_id"],
                "metric": row["metric"],
                "team": row["team"],
                "owner_id": row["owner_id"],
                "policy_name": "Urgent priority" if row["policy_id"] == 4 else None,
                "penalty": "5 % credit on the monthly fee" if row["policy_id"] == 4 else None,
                "due_at": row["due_at"] or row["breached_at"],
                "breached_at": row["breached_at"],
                "escalations": "[]",
            }


# --- Knowledge base: articles and their full-text index

ARTICLES = 100_000
KB_CATEGORIES = 12
_TOPIC_WORDS = """
router modem wifi signal reset password account login invoice refund payment charge
tariff contract warranty repair delivery parcel address printer toner paper jam screen
battery charger cable update install backup email spam phone voicemail roaming data
subscription cancel upgrade discount voucher return exchange order tracking shipping
appointment technician visit meter reading bill direct debit transfer card pin
"""
TOPICS = _TOPIC_WORDS.split()
SYLLABLES = ("ka", "lo", "mi", "ren", "sto", "va", "pel", "dor", "qui", "ban", "te", "rus")
FUNCTION_WORDS = ("the", "to", "and", "a", "of", "your", "is", "you", "if", "in", "it", "on")
SEARCHED = "router reset"
"""Two words of the topics: several hundred articles hold both."""
CASE_SUBJECT = "Internet keeps dropping"
CASE_BODY = (
    "Hello, since Monday my wifi drops every few minutes. I already reset the router "
    "twice and changed the password, but the signal is still weak upstairs. Can a "
    "technician visit? My contract number is on the last invoice."
)
SEARCH_BY_HAND = """
SELECT rowid, -bm25(service_article_fts, 10.0, 1.0) AS rank
FROM service_article_fts WHERE service_article_fts MATCH ?
ORDER BY rank DESC, rowid DESC LIMIT 10
"""
"""The index holds the published articles only: the best ten are found in it alone."""
SNIPPETS_BY_HAND = """
SELECT a.id, a.title, snippet(service_article_fts, 1, '[', ']', ' … ', 24)
FROM service_article_fts JOIN service_article a ON a.id = service_article_fts.rowid
WHERE service_article_fts MATCH ? AND a.id IN ({ids}) AND a.status = 'published'
"""


def _vocabulary() -> list[str]:
    """Words by how often articles use them: a few function words, then made-up words with the
    topic words among them, from rank 100 on (roughly as often as in a real knowledge base)."""
    rng = random.Random(6)
    made = sorted({"".join(rng.choices(SYLLABLES, k=rng.randrange(2, 6))) for _ in range(8000)})
    rng.shuffle(made)
    words = [*FUNCTION_WORDS, *made[:5000]]
    for i, topic in enumerate(TOPICS):
        words.insert(100 + 50 * i, topic)
    return words


VOCABULARY = _vocabulary()
ZIPF = list(itertools.accumulate(1 / rank for rank in range(1, len(VOCABULARY) + 1)))
"""Cumulative weights: the word of rank r is drawn in proportion to 1/r (Zipf's law)."""
COMMON = " ".join(VOCABULARY[len(FUNCTION_WORDS) : len(FUNCTION_WORDS) + 2])
"""The two most common words that are no function words: the costliest search there is."""


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choices(VOCABULARY, cum_weights=ZIPF, k=count))


def _article(n: int) -> dict[str, Any]:
    rng = random.Random(n * 7919)
    title = _words(rng, rng.randrange(3, 8)).capitalize()
    body = "\n\n".join(f"{_words(rng, rng.randrange(20, 60)).capitalize()}." for _ in range(3))
    # One in twenty is a draft and one in fifty archived: neither is in the index.
    status = "draft" if n % 20 == 0 else "archived" if n % 50 == 1 else "published"
    return {"title": title, "body": body, "status": status}


def fill_kb_categories(sizes: Sizes, rng: random.Random) -> Iterator[dict[str, Any]]:
    for n in range(1, KB_CATEGORIES + 1):
        yield {"id": n, "parent_id": None, "name": f"Topic {n}", "created_at": _stamp(NOW)}


def fill_articles(sizes: Sizes, rng: random.Random) -> Iterator[dict[str, Any]]:
    for n in range(1, sizes.articles + 1):
        made = _article(n)
        stamp = _stamp(NOW - timedelta(minutes=sizes.articles - n))
        published = made["status"] != "draft"
        yield {
            "id": n,
            "category_id": n % KB_CATEGORIES + 1,
            "visibility": "public" if n % 3 == 0 else "internal",
            **made,
            "version": 1,
            "published_version": 1 if published else None,
            "created_by": AGENT,
            "created_at": stamp,
            "updated_at": stamp,
            "published_at": stamp if published else None,
            "search_vector": None,
        }


def fill_article_versions(sizes: Sizes, rng: random.Random) -> Iterator[dict[str, Any]]:
    for n in range(1, sizes.articles + 1):
        made = _article(n)
        stamp = _stamp(NOW - timedelta(minutes=sizes.articles - n))
        yield {
            "id": n,
            "article_id": n,
            "number": 1,
            "title": made["title"],
            "body": made["body"],
            "category_id": n % KB_CATEGORIES + 1,
            "visibility": "public" if n % 3 == 0 else "internal",
            "note": None,
            "author_id": AGENT,
            "created_at": stamp,
            "published_at": None if made["status"] == "draft" else stamp,
            "published_by": None if made["status"] == "draft" else AGENT,
        }


def fill_article_index(sizes: Sizes, rng: random.Random) -> Iterator[dict[str, Any]]:
    """The FTS5 index holds the published articles, as the plugin keeps it."""
    for n in range(1, sizes.articles + 1):
        made = _article(n)
        if made["status"] == "published":
            yield {"rowid": n, "title": made["title"], "body": made["body"]}


Filler = Callable[[Sizes, random.Random], Iterator[dict[str, Any]]]
FILLERS: list[tuple[str, Filler]] = [
    ("core_user", fill_users),
    ("core_party", fill_parties),
    ("service_category", fill_categories),
    ("service_sla_policy", fill_policies),
    ("service_case", fill_cases),
    ("service_case_event", fill_case_events),
    ("service_sla_clock", fill_sla_clocks),
    ("service_sla_breach", fill_sla_breaches),
    ("service_kb_category", fill_kb_categories),
    ("service_article", fill_articles),
    ("service_article_version", fill_article_versions),
    ("service_article_fts", fill_article_index),
]
"""The tables filled, in order (referred-to tables first), and the rows of each."""


# --- The database


def settings_for(path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{path}",
        plugin_settings={
            "channels": {
                "from_address": "Support <support@acme.example>",
                "public_url": "https://crm.acme.example",
                "link_secret": "a-benchmark-secret-of-at-least-32-characters",
            }
        },
    )


def build(path: Path, sizes: Sizes) -> None:
    """Create the schema through crmkit, then fill it with plain sqlite3 executemany."""
    make_app(["service"], settings=settings_for(path)).close()
    rng = random.Random(15)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    started = time.perf_counter()
    for table, filler in FILLERS:
        count = _insert(db, table, filler(sizes, rng))
        print(f"{table:24} {count:>10,} rows  {time.perf_counter() - started:7.1f}s")
    db.execute("ANALYZE")
    db.commit()
    db.close()


def database(sizes: Sizes) -> Path:
    """The cached database of these sizes, built if missing."""
    folder = Path(tempfile.gettempdir()) / "crmkit-bench-service"
    folder.mkdir(exist_ok=True)
    path = folder / f"service-{sizes.cases}-{sizes.events}-{sizes.articles}-{NOW:%Y%m%d}.sqlite"
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        build(partial, sizes)
        partial.rename(path)
    else:
        print(f"reusing {path.name}")
    return path


def add_missing_indexes(path: Path) -> None:
    """Give a cached database built by an older schema the service tables' current indexes."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        existing = set(conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars())
        # The app registered the plugin's tables: every service_ table is on the metadata.
        missing = [
            index
            for table in metadata.tables.values()
            if table.name.startswith("service_")
            for index in table.indexes
            if index.name not in existing
        ]
        for index in missing:
            index.create(conn)
        if missing:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()


# --- Sections: what is timed


@frozen
class Bench:
    """What a section needs: the app on the database, a plain sqlite3 connection, the runs."""

    app: Crm
    raw: sqlite3.Connection
    sizes: Sizes
    runs: int
    inbound_messages: int = 2000
    inbound_connections: int = 4


def median_ms(work: Callable[[], object], runs: int) -> float:
    """The median wall time of ``runs`` calls, in milliseconds (after one warm-up call)."""
    work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def sla_section(bench: Bench) -> dict[str, Any]:
    """The agent's work list and this quarter's compliance, beside the same by hand."""
    app, raw, runs = bench.app, bench.raw, bench.runs
    agent = Actor(user_id=AGENT, username=f"user{AGENT}", role="service", team=_team_of(AGENT))
    quarter: Period = quarter_of(NOW.date())
    bounds = (_stamp(quarter.start.replace(tzinfo=None)), _stamp(quarter.end.replace(tzinfo=None)))
    with app.read() as conn:
        items = work_list(conn, app.host, agent, AGENT)
        by_hand = raw.execute(WORK_LIST_BY_HAND, (AGENT,)).fetchall()
        mine = compliance(conn, app.host, agent, quarter)
        everyone = compliance(conn, app.host, SYSTEM, quarter)
        hand_mine = raw.execute(COMPLIANCE_OF_CUSTOMERS_BY_HAND, bounds * 2).fetchall()
        figures = {
            "work_list_ms": median_ms(lambda: work_list(conn, app.host, agent, AGENT), runs),
            "work_list_by_hand_ms": median_ms(
                lambda: raw.execute(WORK_LIST_BY_HAND, (AGENT,)).fetchall(), runs
            ),
            "compliance_quarter_agent_ms": median_ms(
                lambda: compliance(conn, app.host, agent, quarter), runs
            ),
            "compliance_quarter_agent_by_hand_ms": median_ms(
                lambda: raw.execute(COMPLIANCE_OF_CUSTOMERS_BY_HAND, bounds * 2).fetchall(),
                runs,
            ),
            "compliance_quarter_all_ms": median_ms(
                lambda: compliance(conn, app.host, SYSTEM, quarter), runs
            ),
            "compliance_quarter_all_by_hand_ms": median_ms(
                lambda: raw.execute(COMPLIANCE_BY_HAND, bounds).fetchall(), runs
            ),
            "baseline_count_clocks_ms": median_ms(
                lambda: raw.execute("SELECT count(*) FROM service_sla_clock").fetchone(), runs
            ),
            "baseline_count_case_events_ms": median_ms(
                lambda: raw.execute("SELECT count(*) FROM service_case_event").fetchone(), runs
            ),
        }
    same_list = [i.case_id for i in items] == [row[0] for row in by_hand]
    same_report = sorted((r.team, r.metric, r.total, r.met, r.breached) for r in mine) == sorted(
        tuple(row) for row in hand_mine
    )
    clocks = sum(r.total for r in everyone)
    met = sum(r.met for r in everyone)
    print(
        f"{quarter.key}: {clocks:,} clocks started, {met:,} met; "
        f"user{AGENT} has {len(items)} cases on the first page of the work list"
    )
    return {
        **figures,
        "checks": {
            "quarter": quarter.key,
            "work_list_items": len(items),
            "work_list_matches_by_hand": same_list,
            "compliance_matches_by_hand": same_report,
            "quarter_clocks": clocks,
        },
    }


def knowledge_section(bench: Bench) -> dict[str, Any]:
    """Knowledge-base search and suggestions for a case, beside the same FTS5 queries by hand."""
    app, raw, runs = bench.app, bench.raw, bench.runs
    agent = Actor(user_id=AGENT, username=f"user{AGENT}", role="service", team=_team_of(AGENT))

    def by_hand(text: str) -> list[tuple[Any, ...]]:
        match = " ".join(f'"{word}"' for word in text.split())
        top = raw.execute(SEARCH_BY_HAND, (match,)).fetchall()
        ids = ", ".join(str(row[0]) for row in top)
        raw.execute(SNIPPETS_BY_HAND.format(ids=ids or "NULL"), (match,)).fetchall()
        return top

    def holding(text: str) -> int:
        match = " ".join(f'"{word}"' for word in text.split())
        count = "SELECT count(*) FROM service_article_fts WHERE service_article_fts MATCH ?"
        found: int = raw.execute(count, (match,)).fetchone()[0]
        return found

    with app.read() as conn:
        hits = search_articles(app, conn, agent, SEARCHED)
        common = search_articles(app, conn, agent, COMMON)
        suggested = suggest(app, conn, CASE_SUBJECT, CASE_BODY)
        figures = {
            "kb_search_ms": median_ms(lambda: search_articles(app, conn, agent, SEARCHED), runs),
            "kb_search_by_hand_ms": median_ms(lambda: by_hand(SEARCHED), runs),
            "kb_search_public_ms": median_ms(
                lambda: search_articles(app, conn, agent, SEARCHED, public_only=True), runs
            ),
            "kb_search_common_words_ms": median_ms(
                lambda: search_articles(app, conn, agent, COMMON), runs
            ),
            "kb_search_common_words_by_hand_ms": median_ms(lambda: by_hand(COMMON), runs),
            "kb_suggest_ms": median_ms(lambda: suggest(app, conn, CASE_SUBJECT, CASE_BODY), runs),
        }
    matching, matching_common = holding(SEARCHED), holding(COMMON)
    print(
        f"{bench.sizes.articles:,} articles: {matching:,} published ones hold {SEARCHED!r}, "
        f"{matching_common:,} hold {COMMON!r}; suggested for the case: "
        f"{[hit.title for hit in suggested][:3]}"
    )
    return {
        **figures,
        "checks": {
            "kb_articles": bench.sizes.articles,
            "kb_matching": matching,
            "kb_matching_common_words": matching_common,
            "kb_search_matches_by_hand": [h.article_id for h in hits]
            == [r[0] for r in by_hand(SEARCHED)],
            "kb_common_words_match_by_hand": [h.article_id for h in common]
            == [r[0] for r in by_hand(COMMON)],
            "kb_suggestions": len(suggested),
        },
    }


INBOUND_DOMAIN = "crm.acme.example"
INBOUND_TARGET = 200
"""Messages/s email to case is to reach."""
INBOUND_REPLY_SHARE = 5
"""One message in this many answers a case opened before the run (``[CS-…]`` in its subject)."""


def _inbound_app(directory: Path) -> Crm:
    """A new database on its own: email to case from support@, acknowledged, working around the clock."""
    always = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    settings = settings_for(directory / f"inbound-{time.monotonic_ns()}.sqlite")
    plugin_settings = {
        "channels": {
            **settings.plugin_settings["channels"],
            "mail_in": {"domains": [INBOUND_DOMAIN], "vouched": True},
        },
        "service": {
            "email_to_case": {"addresses": [f"support@{INBOUND_DOMAIN}"], "working_hours": always}
        },
    }
    return make_app(["service"], settings=evolve(settings, plugin_settings=plugin_settings))


def _inbound_mail(count: int, senders: int, numbers: list[str]) -> list[bytes]:
    """New questions to support, and every ``INBOUND_REPLY_SHARE``-th a reply naming a case."""
    messages = []
    for i in range(count):
        who = i % senders
        mail = MimeMessage()
        mail["From"] = f"Ada{who} Lovelace <ada.{who}@example.org>"
        mail["To"] = f"support@{INBOUND_DOMAIN}"
        replying = i % INBOUND_REPLY_SHARE == 0
        subject = f"Re: [{numbers[who]}] Kettle" if replying else f"Kettle {i} leaks"
        mail["Subject"] = subject
        mail["Message-ID"] = f"<bench-{time.monotonic_ns()}-{i}@example.org>"
        mail.set_content(f"Hello,\n\nthe kettle {i} leaks since Monday.\n\nAda\n" * 3)
        messages.append(mail.as_bytes(policy=policy.SMTP))
    return messages


def inbound_section(bench: Bench) -> dict[str, Any]:
    """Inbound email to case through the channels plugin's mail-in server: a relay in another
    process sends over ``--inbound-connections`` connections; timed from its first message to
    the last one routed (stored, on the timeline, case opened or answered, acknowledgement queued)."""
    count, connections = bench.inbound_messages, bench.inbound_connections
    senders = max(count // 10, 1)
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        app = _inbound_app(directory)
        parties = add_customers(app, senders)
        with app.transaction(SYSTEM) as tx:
            numbers = [
                open_case(
                    tx, {"party_id": party_id, "subject": "Kettle", "channel": "phone"}
                ).number
                for party_id in parties
            ]
        mail_folder = directory / "mail"
        mail_folder.mkdir()
        for i, raw in enumerate(_inbound_mail(count, senders, numbers)):
            (mail_folder / f"{i:07d}.eml").write_bytes(raw)
        port = free_port()
        controller = server(app, "127.0.0.1", port)
        controller.start()
        try:
            relay = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    RELAY,
                    str(port),
                    str(connections),
                    str(mail_folder),
                    INBOUND_DOMAIN,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert relay.stdin is not None and relay.stdout is not None
            relay.stdout.readline()  # connected
            started = time.perf_counter()
            relay.stdin.write("go\n")
            relay.stdin.flush()
            if relay.wait() != 0:
                raise SystemExit("the relay failed")
            while True:
                with app.read() as conn:
                    routed = conn.execute(
                        select(func.count()).where(inbound_email.c.status == "routed")
                    ).scalar_one()
                if routed == count:
                    break
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
            with app.read() as conn:
                opened = conn.execute(
                    select(func.count()).where(case_table.c.channel == "email")
                ).scalar_one()
                replies = conn.execute(
                    select(func.count()).where(case_event.c.kind == "customer_reply")
                ).scalar_one()
                answered = conn.execute(select(func.count()).select_from(email)).scalar_one()
        finally:
            controller.stop()
            app.close()
    rate = count / elapsed
    print(
        f"inbound email to case: {count:,} messages over {connections} connections in "
        f"{elapsed:.1f}s, {rate:,.0f} messages/s; {opened:,} cases opened, {replies:,} replies "
        f"added, {answered:,} acknowledgements queued"
    )
    replying = len(range(0, count, INBOUND_REPLY_SHARE))
    return {
        "inbound_messages_per_s": round(rate, 1),
        "checks": {
            "inbound_messages": count,
            "inbound_cases_opened": opened,
            "inbound_replies_added": replies,
            "inbound_every_message_taken": opened + replies == count and replies == replying,
            "inbound_acknowledgements": answered,
            "inbound_target_met": rate >= INBOUND_TARGET,
        },
    }


Section = Callable[[Bench], dict[str, Any]]
SECTIONS: list[Section] = [sla_section, knowledge_section, inbound_section]
"""The timed sections, in order; each returns its figures (``*_ms`` are times)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=None, help="default: five per case")
    parser.add_argument("--runs", type=int, default=7, help="report the median of this many runs")
    parser.add_argument("--articles", type=int, default=ARTICLES)
    parser.add_argument(
        "--inbound-messages", type=int, default=2000, help="mail sent in for email to case"
    )
    parser.add_argument(
        "--inbound-connections", type=int, default=4, help="SMTP connections the relay sends over"
    )
    args = parser.parse_args()
    sizes = Sizes(cases=args.cases, events=args.events or 5 * args.cases, articles=args.articles)
    path = database(sizes)
    app = make_app(["service"], settings=settings_for(path), create_tables=False)
    add_missing_indexes(path)
    raw = sqlite3.connect(path)
    figures: dict[str, Any] = {"cases": sizes.cases, "events": sizes.events, "runs": args.runs}
    checks: dict[str, Any] = {}
    try:
        bench = Bench(
            app=app,
            raw=raw,
            sizes=sizes,
            runs=args.runs,
            inbound_messages=args.inbound_messages,
            inbound_connections=args.inbound_connections,
        )
        for section in SECTIONS:
            found = section(bench)
            checks.update(found.pop("checks", {}))
            figures.update(found)
    finally:
        raw.close()
        app.close()
    for name, value in figures.items():
        if name.endswith("_ms"):
            print(f"{name:40} {value:10.2f} ms")
    figures["checks"] = checks
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

"""Ingest benchmark: the real CSV import path against the fastest plain insert of the same rows.

    python bench/ingest.py [--rows N] [--runs K] [--role prospect|customer ...]
                           [--database-url postgresql://...] [--no-sqlite]

Generates a realistic prospects CSV (German names, addresses and phone numbers
written in the many ways people write them, some rows bad, some repeated: see
``generate``), then, per role (prospects by default and customers), on a fresh
database each time (a new SQLite file in a temporary directory, or a new schema
on the PostgreSQL server, dropped afterwards):

* **import**: ``crmkit.core.importing.import_parties`` -- the path ``crmkit import``
  takes, with validation, normalisation, intake for prospects (sanity checks,
  scores, matching, merges, reviews), hooks, idempotency keys and events;
  rows/s over the whole file and over its first and its last 10 %;
* **baseline**: exactly the rows the import wrote (parties, contact points,
  search terms, match keys, external ids, outbox events) inserted into a fresh
  database, one transaction per batch of parties of the same size, with ids as
  they are and nothing returned: the driver's executemany on SQLite, COPY on
  PostgreSQL. Only the inserts are timed (the rows are read beforehand).

Prints rows/s of both and their ratio (medians of the runs) for SQLite, and for
PostgreSQL when ``--database-url`` is given, and the CPU time the import spent per
row (this process, and its worker processes): on a machine busy with other work,
the figure that stays comparable between runs. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, func, select, text

from crmkit.app import Crm
from crmkit.core.db import make_engine
from crmkit.core.importing import ImportOptions, import_parties
from crmkit.core.settings import Settings
from crmkit.core.tables import (
    contact_point,
    external_id,
    match_key,
    metadata,
    outbox,
    party,
    search_term,
)

FIRST = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hannah",
    "Jonas",
    "Lena",
    "Lukas",
    "Marie",
    "Max",
    "Mia",
    "Noah",
    "Paul",
    "Sophie",
    "Tim",
    "Jürgen",
    "Özlem",
]
LAST = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
]
COMPANIES = [
    "Bäckerei Sonnenschein",
    "Autohaus Nord",
    "Elektro Berger",
    "Gartenbau Lindner",
    "Praxis am Markt",
    "Kanzlei Roth",
    "Druckerei Vogel",
    "Hotel Seeblick",
]
STREETS = ["straße", "weg", "allee", "platz", "ring", "gasse", "damm", "ufer"]
STREET_WORDS = [
    "Haupt",
    "Bahnhof",
    "Garten",
    "Schul",
    "Linden",
    "Berg",
    "Kirch",
    "Wald",
    "Rosen",
    "Mühlen",
    "Feld",
    "Post",
    "Brunnen",
    "Burg",
    "Dorf",
    "Eichen",
    "Birken",
    "Tannen",
    "Wiesen",
    "Sonnen",
    "Markt",
    "Schiller",
    "Goethe",
    "Mozart",
    "Bismarck",
]
SURNAME_STEMS = [
    "Berg",
    "Stein",
    "Hof",
    "Wald",
    "Brück",
    "Lind",
    "Holz",
    "Roth",
    "Kirch",
    "Feld",
    "Hart",
    "Wein",
    "Sonn",
    "Grün",
    "Eich",
    "Kessel",
    "Brand",
    "Loh",
    "Bach",
    "Hagen",
    "Horn",
    "Kling",
    "Lang",
    "Kurz",
    "Ober",
    "Unter",
    "Neu",
    "Alt",
    "Schön",
    "Wies",
]
SURNAME_ENDINGS = [
    "mann",
    "er",
    "bauer",
    "meier",
    "huber",
    "hagen",
    "feld",
    "berg",
    "ner",
    "inger",
    "hardt",
    "haus",
]
CITIES = [
    ("10115", "Berlin", "30"),
    ("80331", "München", "89"),
    ("20095", "Hamburg", "40"),
    ("50667", "Köln", "221"),
    ("60311", "Frankfurt am Main", "69"),
    ("70173", "Stuttgart", "711"),
]
DOMAINS = ["gmail.com", "web.de", "gmx.de", "t-online.de", "posteo.de", "example-firma.de"]
SOURCES = ("trade fair", "website", "referral", "cold call", "")
STATUSES = ("new", "new", "new", "working", "qualified", "")
HEADER = [
    "first_name",
    "last_name",
    "organisation_name",
    "kind",
    "birth_date",
    "email",
    "phone",
    "street",
    "street_number",
    "postcode",
    "city",
    "country",
    "source",
    "status",
]


def _ascii(name: str) -> str:
    return name.lower().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))


def _phone(rng: random.Random, area: str) -> str:
    if rng.random() < 0.4:
        mobile, digits = rng.choice((("151", 8), ("160", 7), ("170", 7), ("171", 7), ("176", 8)))
        number = f"{rng.randrange(10 ** (digits - 1), 10**digits)}"
        return rng.choice((f"0{mobile} {number}", f"+49 {mobile} {number}", f"0{mobile}-{number}"))
    number = f"{rng.randrange(100_000, 9_999_999)}"
    return rng.choice(
        (f"0{area} {number}", f"+49 {area} {number}", f"(0{area}) {number}", f"0{area}/{number}")
    )


def generate(path: Path, rows: int, seed: int = 42) -> None:
    """Write ``rows`` realistic prospect rows to ``path``.

    About 1 % of the rows have an email that is no address (customers are refused
    for it, prospects keep their phone), 0.5 % are test data ("Test Test": intake
    refuses them), and 2 % repeat a person of a row shortly before (with their phone
    written another way): intake merges them. Surnames, streets and postcodes come
    in the thousands, as in a real country, so that a million rows do not put a
    hundred households at one address.
    """
    rng = random.Random(seed)
    recent: list[list[str]] = []
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            if recent and rng.random() < 0.02:
                again = list(rng.choice(recent))
                again[6] = _phone(rng, "30")
                writer.writerow(again)
                continue
            postcode, city, area = rng.choice(CITIES)
            postcode = f"{int(postcode) + rng.randrange(200):05d}"
            first, last = rng.choice(FIRST), _surname(rng)
            if rng.random() < 0.005:
                first, last = "Test", "Test"
            organisation = rng.random() < 0.15
            email = f"{_ascii(first)}.{_ascii(last)}{n}@{rng.choice(DOMAINS)}"
            if rng.random() < 0.1:
                email = email.capitalize()
            phone = _phone(rng, area)
            if rng.random() < 0.1:
                phone += f";{_phone(rng, area)}"
            if rng.random() < 0.01:
                email = email.replace("@", " at ")
            birth = (
                f"{rng.randrange(1940, 2005)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            )
            row = [
                "" if organisation else first,
                "" if organisation else last,
                f"{rng.choice(COMPANIES)} {n}" if organisation else "",
                "organisation" if organisation else "person",
                "" if organisation or rng.random() < 0.5 else birth,
                email,
                phone,
                f"{rng.choice(STREET_WORDS)}{rng.choice(STREETS)}",
                str(rng.randrange(1, 200)),
                postcode,
                city,
                "DE",
                rng.choice(SOURCES),
                rng.choice(STATUSES),
            ]
            writer.writerow(row)
            recent.append(row)
            if len(recent) > 1000:
                recent.pop(0)


def _surname(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(LAST)
    return rng.choice(SURNAME_STEMS) + rng.choice(SURNAME_ENDINGS)


COPIED = (party, contact_point, search_term, match_key, external_id, outbox)
"""The tables an import writes, in the order their rows can be inserted."""


def _written(source: Engine, batch_size: int) -> Iterator[list[tuple[Table, Any]]]:
    """The rows the import wrote, a batch's worth of parties at a time (read, not timed).

    Per table, as the driver reads them: tuples from sqlite3, COPY text from PostgreSQL.
    """
    with source.connect() as conn:
        ids = list(conn.execute(select(party.c.id).order_by(party.c.id)).scalars())
        events = list(conn.execute(select(outbox.c.id).order_by(outbox.c.id)).scalars())
        batches = max(1, -(-len(ids) // batch_size))
        share = -(-len(events) // batches)
        driver = conn.connection.driver_connection
        assert driver is not None
        for n in range(batches):
            chosen = ids[n * batch_size : (n + 1) * batch_size]
            part = events[n * share : (n + 1) * share]
            found: list[tuple[Table, Any]] = []
            for table in COPIED:
                if table is outbox:
                    if not part:
                        continue
                    where = f"id BETWEEN {part[0]} AND {part[-1]}"
                else:
                    column = "id" if table is party else "party_id"
                    where = f"{column} BETWEEN {chosen[0]} AND {chosen[-1]}"
                query = f"SELECT * FROM {table.name} WHERE {where}"
                if conn.dialect.name == "postgresql":
                    with (
                        driver.cursor() as cursor,
                        cursor.copy(f"COPY ({query}) TO STDOUT") as copy,
                    ):
                        found.append((table, b"".join(bytes(chunk) for chunk in copy)))
                else:
                    found.append((table, driver.execute(query).fetchall()))
            yield found


def baseline(source: Engine, target: Engine, batch_size: int) -> tuple[int, float]:
    """Insert the rows the import wrote into ``target`` the fastest plain way; parties and seconds.

    The same rows into the same tables (parties, contact points, search terms, match
    keys, external ids, outbox), per batch of parties one transaction: the driver's
    executemany on SQLite, COPY on PostgreSQL; ids as they were (assigned up front),
    nothing returned. Only the inserts are timed.
    """
    count, spent = 0, 0.0
    for batch in _written(source, batch_size):
        started = time.perf_counter()
        with target.begin() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            for table, rows in batch:
                names = ", ".join(c.name for c in table.columns)
                if conn.dialect.name == "postgresql":
                    with (
                        driver.cursor() as cursor,
                        cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
                    ):
                        copy.write(rows)
                elif rows:
                    marks = ", ".join("?" for _ in table.columns)
                    driver.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)
        spent += time.perf_counter() - started
    with target.connect() as conn:
        count = conn.execute(select(func.count()).select_from(party)).scalar_one()
    return count, spent


@contextmanager
def fresh_database(url: str | None, workdir: Path) -> Iterator[tuple[str, Engine]]:
    """An empty database with the kernel's tables: a new SQLite file, or a new PostgreSQL schema."""
    if url is None:
        db_url = f"sqlite:///{workdir / f'{uuid.uuid4().hex}.db'}"
        engine = make_engine(db_url)
        schema = None
    else:
        db_url, schema = url, f"bench_{uuid.uuid4().hex[:12]}"
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    metadata.create_all(engine)
    try:
        yield db_url, engine
    finally:
        engine.dispose()
        if schema is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def tenths(progress: list[tuple[int, float]], rows: int) -> tuple[float, float]:
    """Rows/s over the first and the last 10 % of the rows, from ``(rows done, seconds)`` marks."""

    def at(share: float) -> tuple[int, float]:
        return min(progress, key=lambda mark: abs(mark[0] - share * rows))

    first, start_of_last = at(0.1), at(0.9)
    done, end = progress[-1]
    return first[0] / first[1], (done - start_of_last[0]) / (end - start_of_last[1])


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds of this process and of its ended children (the import's worker processes):
    what a row costs, however busy the machine is with other work."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def measure(
    url: str | None, path: Path, rows: int, role: str, batch_size: int, workdir: Path
) -> dict[str, float]:
    """One run of both paths on fresh databases; rows/s of each and their ratio."""
    with fresh_database(url, workdir) as (db_url, engine):
        app = Crm(Settings(database_url=db_url), candidates=[], engine=engine)
        marks: list[tuple[int, float]] = []
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        result = import_parties(
            app,
            role,
            path,
            ImportOptions(batch_size=batch_size, rejects=workdir / "rejects.csv"),
            progress=lambda done, _: marks.append((done.rows, time.perf_counter() - started)),
        )
        imported = rows / (time.perf_counter() - started)
        cpu = [after - before for after, before in zip(_cpu_seconds(), cpu_before, strict=True)]
        assert result.rows == rows, result
        first, last = tenths(marks, rows)
        with fresh_database(url, workdir) as (_, target):
            inserted, seconds = baseline(engine, target, batch_size)
    plain = inserted / seconds
    return {
        "import_rows_per_s": imported,
        "baseline_rows_per_s": plain,
        "ratio": imported / plain,
        "first_tenth_rows_per_s": first,
        "last_tenth_rows_per_s": last,
        "last_to_first": last / first,
        "cpu_ms_per_row": 1000 * cpu[0] / rows,
        "worker_cpu_ms_per_row": 1000 * cpu[1] / rows,
        "created": result.created,
        "merged": result.merged,
        "rejected": result.rejected,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1, help="report the median of this many runs")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--role",
        action="append",
        choices=("prospect", "customer"),
        help="import the file as this role (repeatable; default: both)",
    )
    parser.add_argument("--database-url", help="also run on this PostgreSQL server")
    parser.add_argument("--no-sqlite", action="store_true", help="run on PostgreSQL only")
    args = parser.parse_args()
    roles = args.role or ["prospect", "customer"]
    figures: dict[str, Any] = {"rows": args.rows, "runs": args.runs, "batch_size": args.batch_size}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        path = workdir / "prospects.csv"
        started = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {args.rows} rows in {time.perf_counter() - started:.1f}s")
        targets = ({} if args.no_sqlite else {"sqlite": None}) | (
            {"postgresql": args.database_url} if args.database_url else {}
        )
        for name, url in targets.items():
            for role in roles:
                runs = [
                    measure(url, path, args.rows, role, args.batch_size, workdir)
                    for _ in range(args.runs)
                ]
                summary = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
                print(
                    f"{name} {role}s: import {summary['import_rows_per_s']:,.0f} rows/s "
                    f"(first 10 % {summary['first_tenth_rows_per_s']:,.0f}, "
                    f"last 10 % {summary['last_tenth_rows_per_s']:,.0f}, "
                    f"last/first {summary['last_to_first']:.2f}), "
                    f"plain insert {summary['baseline_rows_per_s']:,.0f} rows/s, "
                    f"ratio {summary['ratio']:.2f}; CPU {summary['cpu_ms_per_row']:.2f} ms a row "
                    f"(+ {summary['worker_cpu_ms_per_row']:.2f} in workers) "
                    f"(created {summary['created']:.0f}, "
                    f"merged {summary['merged']:.0f}, rejected {summary['rejected']:.0f})"
                )
                figures[f"{name}_{role}"] = summary
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

"""Ingest benchmark: the real CSV import path against plain executemany into the same tables.

    python bench/ingest.py [--rows N] [--runs K] [--database-url postgresql://...]

Generates a realistic prospects CSV (German names, addresses and phone numbers
written in the many ways people write them, about 1% bad rows), then, on a fresh
database each time:

* **import**: ``crmkit.core.importing.import_parties`` — the path ``crmkit import``
  takes, with validation, normalisation, hooks, idempotency keys and events;
* **baseline**: the same rows read from the same file and inserted into the same
  tables (party, contact points, external ids) with plain SQLAlchemy Core
  executemany, one transaction per batch of the same size, no validation.

Prints rows/s of both and the ratio (median of the runs) for SQLite, and for
PostgreSQL when ``--database-url`` is given; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text

from crmkit.app import Crm
from crmkit.core.db import make_engine
from crmkit.core.importing import ImportOptions, import_parties
from crmkit.core.settings import Settings
from crmkit.core.tables import contact_point, external_id, metadata, party, utcnow

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
STREETS = [
    "Hauptstraße",
    "Bahnhofstraße",
    "Gartenweg",
    "Schulstraße",
    "Lindenallee",
    "Am Markt",
    "Bergstraße",
    "Kirchplatz",
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
    """Write ``rows`` realistic prospect rows to ``path`` (about 1% of them invalid)."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            postcode, city, area = rng.choice(CITIES)
            first, last = rng.choice(FIRST), rng.choice(LAST)
            organisation = rng.random() < 0.15
            email = f"{_ascii(first)}.{_ascii(last)}{n}@{rng.choice(DOMAINS)}"
            if rng.random() < 0.1:
                email = email.capitalize()
            phone = _phone(rng, area)
            if rng.random() < 0.1:
                phone += f";{_phone(rng, area)}"
            if rng.random() < 0.01:
                email = email.replace("@", " at ")  # the bad rows an import must reject
            birth = (
                f"{rng.randrange(1940, 2005)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            )
            writer.writerow(
                [
                    "" if organisation else first,
                    "" if organisation else last,
                    f"{rng.choice(COMPANIES)} {n}" if organisation else "",
                    "organisation" if organisation else "person",
                    "" if organisation or rng.random() < 0.5 else birth,
                    email,
                    phone,
                    rng.choice(STREETS),
                    str(rng.randrange(1, 200)),
                    postcode,
                    city,
                    "DE",
                    rng.choice(SOURCES),
                    rng.choice(STATUSES),
                ]
            )


def _baseline_rows(
    record: dict[str, str], party_id: int, now: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    organisation = record["kind"] == "organisation"
    name = (
        record["organisation_name"]
        if organisation
        else f"{record['first_name']} {record['last_name']}"
    )
    row = {
        "id": party_id,
        "role": "prospect",
        "kind": record["kind"],
        "display_name": name,
        "first_name": record["first_name"] or None,
        "last_name": record["last_name"] or None,
        "organisation_name": record["organisation_name"] or None,
        "birth_date": None,
        "owner_id": None,
        "source": record["source"] or None,
        "status": record["status"] or "new",
        "customer_number": None,
        "converted_at": None,
        "custom": {},
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    address = {
        "street": record["street"],
        "street_number": record["street_number"],
        "address_line2": None,
        "postcode": record["postcode"],
        "city": record["city"],
        "region": None,
        "country": "DE",
    }
    contacts = [
        {
            "party_id": party_id,
            "kind": "email",
            "position": 0,
            "value": record["email"],
            "key": record["email"].lower(),
            "data": None,
        },
        *(
            {
                "party_id": party_id,
                "kind": "phone",
                "position": i,
                "value": p,
                "key": p,
                "data": None,
            }
            for i, p in enumerate(record["phone"].split(";"))
        ),
        {
            "party_id": party_id,
            "kind": "address",
            "position": 0,
            "data": address,
            "key": None,
            "value": f"{record['street']} {record['street_number']}, {record['postcode']} {record['city']}, DE",
        },
    ]
    return row, contacts


def baseline(engine: Engine, path: Path, batch_size: int) -> int:
    """Insert the file's rows with plain executemany, one transaction per batch; return the count."""
    now = utcnow()
    count = 0
    with path.open(newline="", encoding="utf-8") as f:
        records = csv.DictReader(f)
        done = False
        while not done:
            parties, contacts, keys = [], [], []
            for record in records:
                count += 1
                row, points = _baseline_rows(record, count, now)
                parties.append(row)
                contacts.extend(points)
                keys.append(
                    {
                        "system": "import",
                        "external_id": f"prospect:{count}",
                        "party_id": count,
                        "created_at": now,
                    }
                )
                if len(parties) == batch_size:
                    break
            else:
                done = True
            if parties:
                with engine.begin() as conn:
                    conn.execute(insert(party), parties)
                    conn.execute(insert(contact_point), contacts)
                    conn.execute(insert(external_id), keys)
    return count


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


def measure(
    url: str | None, path: Path, rows: int, batch_size: int, workdir: Path
) -> dict[str, float]:
    """One run of both paths on fresh databases; rows/s of each and their ratio."""
    with fresh_database(url, workdir) as (db_url, engine):
        app = Crm(Settings(database_url=db_url), candidates=[], engine=engine)
        started = time.perf_counter()
        result = import_parties(
            app,
            "prospect",
            path,
            ImportOptions(batch_size=batch_size, rejects=workdir / "rejects.csv"),
        )
        imported = rows / (time.perf_counter() - started)
        assert result.rows == rows, result
    with fresh_database(url, workdir) as (_, engine):
        started = time.perf_counter()
        inserted = baseline(engine, path, batch_size)
        plain = inserted / (time.perf_counter() - started)
    return {
        "import_rows_per_s": imported,
        "baseline_rows_per_s": plain,
        "ratio": imported / plain,
        "created": result.created,
        "rejected": result.rejected,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1, help="report the median of this many runs")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--database-url", help="also run on this PostgreSQL server")
    args = parser.parse_args()
    figures: dict[str, Any] = {"rows": args.rows, "runs": args.runs, "batch_size": args.batch_size}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        path = workdir / "prospects.csv"
        started = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {args.rows} rows in {time.perf_counter() - started:.1f}s")
        targets = {"sqlite": None} | (
            {"postgresql": args.database_url} if args.database_url else {}
        )
        for name, url in targets.items():
            runs = [
                measure(url, path, args.rows, args.batch_size, workdir) for _ in range(args.runs)
            ]
            summary = {
                key: statistics.median(run[key] for run in runs)
                for key in ("import_rows_per_s", "baseline_rows_per_s", "ratio")
            }
            summary |= {"created": runs[0]["created"], "rejected": runs[0]["rejected"]}
            print(
                f"{name}: import {summary['import_rows_per_s']:,.0f} rows/s, "
                f"plain executemany {summary['baseline_rows_per_s']:,.0f} rows/s, "
                f"ratio {summary['ratio']:.2f} (created {summary['created']}, rejected {summary['rejected']})"
            )
            figures[name] = summary
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

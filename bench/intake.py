"""Intake benchmark: prospects/s through the whole intake pipeline vs the plain import, same run.

    python bench/intake.py [--existing N] [--prospects M] [--runs K] [--database-url URL]

Seeds a database with ``--existing`` parties (people, households and companies
of several countries from ``crmkit.testing.people``), written in bulk with their
contact points and match keys. Then, per run, a fresh CSV of ``--prospects``
records (a third of them damaged copies of existing parties: typos, nicknames,
other phone spellings, new email addresses; the rest new people) is imported
twice, in this process (no workers):

* **pipeline**: ``crmkit import prospects`` -- normalise, sanity check, match
  against every existing party, score, assign, store, events;
* **plain**: the same file as ``crmkit import customers`` -- validated and
  written in bulk, no matching.

Prints records/s of both per run, the medians and their ratio, and what the
pipeline did (created, merged, queued for review, rejected); the last line is
one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from crmkit.app import Crm
from crmkit.core.entities import Customer, Prospect
from crmkit.core.importing import (
    ImportOptions,
    ImportResult,
    allocate_party_ids,
    bulk_insert,
    import_parties,
)
from crmkit.core.intake.match_keys import match_key_rows
from crmkit.core.matching.record import normalise_country
from crmkit.core.parties import contact_rows, party_row
from crmkit.core.settings import Settings
from crmkit.core.tables import contact_point, match_key, party, utcnow
from crmkit.core.values import EmailAddress, PhoneNumber, PostalAddress
from crmkit.testing.people import Damage, PeopleGenerator

SEED_BATCH = 20_000
COPY_SHARE = 1 / 3
HEADER = [
    "first_name",
    "last_name",
    "organisation_name",
    "email",
    "phone",
    "street",
    "street_number",
    "postcode",
    "city",
    "country",
]
# The import reads names in their own columns and ISO dates only; keep those intact.
DAMAGE = attrs.evolve(Damage(), full_name_only=0.0, no_birth_date=1.0)


def entity_of(person: Any, role: str) -> Prospect | Customer:
    """A party as stored, from a generated one (already valid: no validation needed)."""
    cls = Prospect if role == "prospect" else Customer
    address = PostalAddress(
        street=person.street or None,
        street_number=person.number or None,
        postcode=person.postcode or None,
        city=person.city or None,
        country=person.country.code,
    )
    is_person = bool(person.first_name or person.last_name)
    return cls(
        kind="person" if is_person else "organisation",
        first_name=person.first_name or None,
        last_name=person.last_name or None,
        organisation_name=person.company or None,
        birth_date=person.birth_date,
        emails=tuple(EmailAddress(e, e.casefold()) for e in person.emails),
        phones=tuple(PhoneNumber(p) for p in person.phones),
        addresses=() if address.is_empty() else (address,),
    )


def seed(app: Crm, generator: PeopleGenerator, count: int) -> list[Any]:
    """Write ``count`` existing parties in bulk (half prospects, half customers); return them."""
    people: list[Any] = []
    source = generator.parties()
    while len(people) < count:
        batch = [next(source) for _ in range(min(SEED_BATCH, count - len(people)))]
        now = utcnow()
        with app.transaction() as tx:
            ids = allocate_party_ids(tx.conn, len(batch))
            rows, contacts, keys = [], [], []
            for n, (person, party_id) in enumerate(zip(batch, ids, strict=True)):
                entity = entity_of(person, "prospect" if n % 2 else "customer")
                stamps = {"id": party_id, "version": 1, "created_at": now, "updated_at": now}
                rows.append({**party_row(entity), **stamps})
                contacts.extend(contact_rows(party_id, entity))
                keys.extend(match_key_rows(party_id, entity))
            bulk_insert(tx.conn, party, rows)
            bulk_insert(tx.conn, contact_point, contacts)
            bulk_insert(tx.conn, match_key, keys)
        people.extend(batch)
        print(f"  seeded {len(people):,} parties", flush=True)
    return people


def records(generator: PeopleGenerator, existing: list[Any], count: int) -> Iterator[list[str]]:
    """``count`` CSV rows: damaged copies of existing parties and new ones."""
    rng = generator.rng
    fresh = generator.parties()
    for _ in range(count):
        if existing and rng.random() < COPY_SHARE:
            row = generator.copy(rng.choice(existing), first=False)
        else:
            row = generator.copy(next(fresh), first=True)
        # The import takes country codes; a country's name is the pipeline's business alone.
        row["country"] = normalise_country(row["country"]) if row["country"] else ""
        yield [
            row["given_name"],
            row["family_name"],
            row["company"],
            row["email"],
            row["phone"],
            row["street"],
            row["house_number"],
            row["zip"],
            row["city"],
            row["country"],
        ]


def write(path: Path, rows: Iterator[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def timed(app: Crm, role: str, path: Path) -> tuple[float, ImportResult]:
    started = time.perf_counter()
    result = import_parties(app, role, path, ImportOptions(workers=0, batch_size=500))
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--existing", type=int, default=100_000)
    parser.add_argument("--prospects", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        app = Crm(Settings(database_url=url), candidates=[])
        app.create_tables()
        generator = PeopleGenerator(seed=7, damage=DAMAGE)
        started = time.perf_counter()
        existing = seed(app, generator, args.existing)
        seeding = time.perf_counter() - started
        print(f"seeded {args.existing:,} parties in {seeding:.1f} s")
        pipeline_rates, plain_rates, outcomes = [], [], []
        for run in range(args.runs):
            path = write(
                Path(scratch) / f"prospects{run}.csv",
                records(generator, existing, args.prospects),
            )
            seconds, result = timed(app, "prospect", path)
            pipeline_rates.append(args.prospects / seconds)
            outcomes.append(result)
            plain_seconds, _ = timed(app, "customer", path)
            plain_rates.append(args.prospects / plain_seconds)
            print(
                f"run {run + 1}: pipeline {pipeline_rates[-1]:,.0f}/s "
                f"(created {result.created}, merged {result.merged}, "
                f"review {result.reviews}, rejected {result.rejected}), "
                f"plain import {plain_rates[-1]:,.0f}/s"
            )
        app.close()
    pipeline, plain = statistics.median(pipeline_rates), statistics.median(plain_rates)
    print(f"median: pipeline {pipeline:,.0f} prospects/s, plain import {plain:,.0f} rows/s")
    print(f"the pipeline takes {plain / pipeline:.1f}x the time of the plain import")
    print(
        json.dumps(
            {
                "database": url.split(":", 1)[0],
                "existing": args.existing,
                "prospects": args.prospects,
                "runs": args.runs,
                "pipeline_per_s": round(pipeline, 1),
                "plain_import_per_s": round(plain, 1),
                "slowdown": round(plain / pipeline, 2),
                "created": sum(r.created for r in outcomes),
                "merged": sum(r.merged for r in outcomes),
                "review": sum(r.reviews for r in outcomes),
                "rejected": sum(r.rejected for r in outcomes),
                "seed_s": round(seeding, 1),
            }
        )
    )


if __name__ == "__main__":
    main()

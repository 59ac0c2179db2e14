"""Intake benchmark: single intake, one prospect at a time, against the bare driver, same run.

    python bench/intake.py [--existing N] [--prospects M] [--runs K] [--database-url URL]

Seeds a database with ``--existing`` parties (people, households and companies
of several countries from ``crmkit.testing.people``), written in bulk with their
contact points, search terms and match keys. Then, per run, ``--prospects`` fresh
records (a third of them damaged copies of existing parties: typos, nicknames,
other phone spellings, new email addresses; the rest new people) are taken in
one at a time, each in its own transaction, in this process:

* **intake**: ``crmkit.intake_prospect``, what a connector, a web form or the API
  calls for one prospect -- normalise, sanity check, match against every stored
  party, score, assign, store (or merge, or queue for review), audit, events;
* **intake, N at a time**: the same for ``--callers`` concurrent callers through
  ``Crm.write``, the path of a ``POST`` of a prospect on a server (on SQLite,
  commands queued while one commits are committed together);
* **bare**: the database driver alone (sqlite3 or psycopg, no SQLAlchemy) doing
  the storage part of the same work for the same records, normalised beforehand:
  look the candidates up by the same blocking keys and contact points, read them,
  insert the party, its contact points, search terms and match keys, commit.

Prints prospects/s of both per run, the medians and their ratio, and what the
pipeline did (created, merged, matched: a known party the prospect added nothing
to, queued for review, rejected); the last line is
one JSON object. Run it with ``--existing 10000`` and ``--existing 1000000`` to
see that the cost of one intake does not grow with the data.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import attrs
import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import make_url

from crmkit import intake_prospect
from crmkit.app import Crm
from crmkit.core.actors import SYSTEM
from crmkit.core.db import Transaction
from crmkit.core.entities import Customer, Party, Prospect
from crmkit.core.errors import ValidationError
from crmkit.core.importing import allocate_party_ids, bulk_insert
from crmkit.core.intake import pipeline
from crmkit.core.intake.match_keys import keys_of, match_key_rows
from crmkit.core.matching.record import normalise_country, record_from_party
from crmkit.core.parties import build_party, contact_rows, party_row
from crmkit.core.search import search_rows
from crmkit.core.settings import Settings
from crmkit.core.tables import contact_point, match_key, party, search_term, utcnow
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
            rows, contacts, terms, keys = [], [], [], []
            for n, (person, party_id) in enumerate(zip(batch, ids, strict=True)):
                entity = entity_of(person, "prospect" if n % 2 else "customer")
                stamps = {"id": party_id, "version": 1, "created_at": now, "updated_at": now}
                rows.append({**party_row(entity), **stamps})
                contacts.extend(contact_rows(party_id, entity))
                terms.extend(search_rows(party_id, entity))
                keys.extend(match_key_rows(party_id, entity))
            bulk_insert(tx.conn, party, rows)
            bulk_insert(tx.conn, contact_point, contacts)
            bulk_insert(tx.conn, search_term, terms)
            bulk_insert(tx.conn, match_key, keys)
        people.extend(batch)
        print(f"  seeded {len(people):,} parties", flush=True)
    return people


def records(generator: PeopleGenerator, existing: list[Any], count: int) -> list[dict[str, Any]]:
    """``count`` prospects as a form or a connector sends them: copies of existing parties, new ones."""
    rng = generator.rng
    fresh = generator.parties()
    out = []
    for _ in range(count):
        if existing and rng.random() < COPY_SHARE:
            row = generator.copy(rng.choice(existing), first=False)
        else:
            row = generator.copy(next(fresh), first=True)
        address = {
            "street": row["street"],
            "street_number": row["house_number"],
            "postcode": row["zip"],
            "city": row["city"],
            # A country's name is the pipeline's business; the form sends codes.
            "country": normalise_country(row["country"]) if row["country"] else "",
        }
        data: dict[str, Any] = {
            "first_name": row["given_name"],
            "last_name": row["family_name"],
            "organisation_name": row["company"],
            "emails": [e for e in row["email"].split(";") if e],
            "phones": [p for p in row["phone"].split(";") if p],
            "addresses": [{k: v for k, v in address.items() if v}] if any(address.values()) else [],
        }
        if row["company"] and not (row["given_name"] or row["family_name"]):
            data["kind"] = "organisation"
        out.append({k: v for k, v in data.items() if v})
    return out


def take_in(app: Crm, prospects: list[dict[str, Any]]) -> tuple[float, Counter[str]]:
    """Seconds to take ``prospects`` in one at a time, and their outcomes."""
    outcomes: Counter[str] = Counter()
    started = time.perf_counter()
    for data in prospects:
        try:
            outcomes[intake_prospect(app, SYSTEM, data, source="bench").outcome] += 1
        except ValidationError:
            outcomes["invalid"] += 1
    return time.perf_counter() - started, outcomes


def serve_in(app: Crm, prospects: list[dict[str, Any]], callers: int) -> tuple[float, Counter[str]]:
    """As :func:`take_in`, but ``callers`` at a time through :meth:`Crm.write`, as a server does.

    Each is its own command, as a ``POST`` of a prospect is; on SQLite those that
    queue up while one commits are committed together (group commit).
    """
    outcomes: Counter[str] = Counter()
    pending = iter(prospects)

    def work(data: dict[str, Any]) -> Callable[[Transaction], str]:
        def run(tx: Transaction) -> str:
            settings = app.settings.intake
            region = app.settings.default_region
            taken = pipeline.take_in(
                tx, data, source="bench", region=region, settings=settings, vouched=True
            )
            return taken.outcome

        return run

    async def caller() -> None:
        for data in pending:
            try:
                outcomes[await app.write(work(data))] += 1
            except ValidationError:
                outcomes["invalid"] += 1

    async def main() -> None:
        await asyncio.gather(*(caller() for _ in range(callers)))

    started = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - started, outcomes


class Bare:
    """The storage part of single intake on the bare driver: what the kernel's SQL costs."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            self.conn: Any = sqlite3.connect(parsed.database, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.mark, self.begin, self.json = "?", "BEGIN IMMEDIATE", json.dumps
        else:
            dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
            self.conn = psycopg.connect(dsn, autocommit=True)
            self.mark, self.begin, self.json = "%s", "BEGIN", Jsonb
        self.sqlite = parsed.get_backend_name() == "sqlite"

    def sql(self, text: str) -> str:
        return text.replace("?", self.mark)

    def prepare(self, prospects: list[dict[str, Any]]) -> list[tuple[Party, list[str]]]:
        """Normalised entities and their blocking keys: work the bare run is spared."""
        out = []
        for data in prospects:
            try:
                entity = build_party("prospect", {**data, "source": "bench"}, region="DE")
            except ValidationError:
                continue
            out.append((entity, keys_of(record_from_party(entity))))
        return out

    def store(self, entity: Party, keys: list[str]) -> None:
        contacts = [("email", e.normalised) for e in entity.emails]
        contacts += [("phone", p.e164) for p in entity.phones]
        lookups = ["SELECT party_id FROM core_match_key WHERE key = ?"] * len(keys)
        lookups += ["SELECT party_id FROM core_contact_point WHERE kind = ? AND key = ?"] * len(
            contacts
        )
        cur = self.conn.cursor()
        cur.execute(self.begin)
        if lookups:
            found = cur.execute(
                self.sql(" UNION ".join(lookups)), [*keys, *(v for c in contacts for v in c)]
            ).fetchall()
            ids = [r[0] for r in found][:100]
            if ids:
                marks = ", ".join([self.mark] * len(ids))
                cur.execute(f"SELECT * FROM core_party WHERE id IN ({marks})", ids).fetchall()
                cur.execute(
                    f"SELECT * FROM core_contact_point WHERE party_id IN ({marks})", ids
                ).fetchall()
        now = utcnow()
        stamp: Any = now.replace(tzinfo=None).isoformat(" ") if self.sqlite else now
        row = {**party_row(entity), "version": 1, "created_at": stamp, "updated_at": stamp}
        row["custom"] = self.json(row["custom"])
        if self.sqlite and row["birth_date"] is not None:
            row["birth_date"] = row["birth_date"].isoformat()
        columns = ", ".join(row)
        party_id = cur.execute(
            self.sql(
                f"INSERT INTO core_party ({columns}) VALUES ({', '.join('?' * len(row))})"
                " RETURNING id"
            ),
            list(row.values()),
        ).fetchone()[0]
        cells = [
            (c["party_id"], c["kind"], c["position"], c["value"], c["key"], self.json(c["data"]))
            for c in contact_rows(party_id, entity)
        ]
        if cells:
            cur.executemany(
                self.sql(
                    "INSERT INTO core_contact_point (party_id, kind, position, value, key, data)"
                    " VALUES (?, ?, ?, ?, ?, ?)"
                ),
                cells,
            )
        terms = [(t["party_id"], t["term"]) for t in search_rows(party_id, entity)]
        if terms:
            cur.executemany(
                self.sql("INSERT INTO core_search_term (party_id, term) VALUES (?, ?)"), terms
            )
        if keys:
            cur.executemany(
                self.sql("INSERT INTO core_match_key (party_id, key) VALUES (?, ?)"),
                [(party_id, k) for k in keys],
            )
        cur.execute("COMMIT")

    def run(self, prepared: list[tuple[Party, list[str]]]) -> float:
        started = time.perf_counter()
        for entity, keys in prepared:
            self.store(entity, keys)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--existing", type=int, default=100_000)
    parser.add_argument("--prospects", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--callers", type=int, default=32, help="concurrent callers (server path)")
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
        bare = Bare(url)
        intake_rates, served_rates, bare_rates = [], [], []
        outcomes = Counter[str]()
        for run in range(args.runs):
            # Fresh records for each, so that none finds what another stored.
            prospects = records(generator, existing, args.prospects)
            seconds, done = take_in(app, prospects)
            intake_rates.append(len(prospects) / seconds)
            outcomes += done
            prospects = records(generator, existing, args.prospects)
            seconds, done = serve_in(app, prospects, args.callers)
            served_rates.append(len(prospects) / seconds)
            prepared = bare.prepare(records(generator, existing, args.prospects))
            bare_rates.append(len(prepared) / bare.run(prepared))
            print(
                f"run {run + 1}: intake one by one {intake_rates[-1]:,.0f}/s ({dict(done)}), "
                f"{args.callers} at a time {served_rates[-1]:,.0f}/s, "
                f"bare driver {bare_rates[-1]:,.0f}/s"
            )
        bare.conn.close()
        app.close()
    intake, served = statistics.median(intake_rates), statistics.median(served_rates)
    plain = statistics.median(bare_rates)
    print(
        f"median: intake one by one {intake:,.0f} prospects/s ({intake / plain:.2f}x bare), "
        f"{args.callers} at a time {served:,.0f}/s ({served / plain:.2f}x), "
        f"bare driver one by one {plain:,.0f}/s"
    )
    print(
        json.dumps(
            {
                "database": url.split(":", 1)[0],
                "existing": args.existing,
                "prospects": args.prospects,
                "runs": args.runs,
                "callers": args.callers,
                "intake_per_s": round(intake, 1),
                "concurrent_intake_per_s": round(served, 1),
                "bare_per_s": round(plain, 1),
                "ratio": round(intake / plain, 3),
                "concurrent_ratio": round(served / plain, 3),
                **{
                    k: outcomes[k]
                    for k in ("created", "merged", "matched", "review", "rejected", "invalid")
                },
                "seed_s": round(seeding, 1),
            }
        )
    )


if __name__ == "__main__":
    main()

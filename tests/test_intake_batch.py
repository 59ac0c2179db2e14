"""Prospects imported as a set decide for every row what one-at-a-time intake decides."""

from __future__ import annotations

import csv
import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crmkit import User, hookimpl
from crmkit.app import Crm
from crmkit.core.actors import SYSTEM, Actor
from crmkit.core.db import Transaction
from crmkit.core.entities import Party, Prospect
from crmkit.core.importing import IMPORT_SYSTEM, ImportOptions, _Importer, import_parties
from crmkit.core.intake import batch_match
from crmkit.core.intake.batch_match import BatchMatcher, KnownRecords
from crmkit.core.intake.pipeline import check_prospect, store
from crmkit.core.parties import build_party, create_party, load_parties, update_party
from crmkit.core.privacy import erase_party
from crmkit.core.settings import IntakeSettings, Settings
from crmkit.core.tables import (
    external_id,
    match_review,
    notification,
    outbox,
    party,
    user,
    utcnow,
)
from crmkit.core.users import create_user
from crmkit.testing import make_app, register_plugin
from crmkit.testing import test_database as fresh_database

HEADER = [
    "id",
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
    "owner",
]
FIRST = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Jonas", "Lena", "Paul"]
LAST = ["Müller", "Schmidt", "Weber", "Fischer", "Koch", "Becker", "Wolf", "Braun"]
COMPANIES = ["Elektro Berger", "Autohaus Nord", "Kanzlei Roth", "Druckerei Vogel"]
PLACES = [("10115", "Berlin", "30"), ("20095", "Hamburg", "40"), ("80331", "München", "89")]
STREETS = ["Hauptstraße", "Gartenweg", "Lindenallee"]
EXISTING: list[tuple[str, dict[str, Any], str | None]] = [
    (
        "customer",
        {"first_name": "Jonas", "last_name": "Weber", "emails": ["jonas@weber.de"]},
        "sue",
    ),
    (
        "customer",
        {
            "first_name": "Clara",
            "last_name": "Fischer",
            "birth_date": "1980-05-02",
            "addresses": [
                {
                    "street": "Hauptstraße",
                    "street_number": "5",
                    "postcode": "10115",
                    "city": "Berlin",
                }
            ],
        },
        "sam",
    ),
    (
        "customer",
        {
            "kind": "organisation",
            "organisation_name": "Elektro Berger 1",
            "phones": ["+49 30 5550101"],
        },
        None,
    ),
    (
        "prospect",
        {"first_name": "Lena", "last_name": "Koch", "emails": ["lena.koch@web.de"]},
        "sam",
    ),
]


def _person(rng: random.Random, n: int) -> dict[str, str]:
    postcode, city, area = rng.choice(PLACES)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    organisation = rng.random() < 0.2
    row = {
        "id": f"r{n}",
        "first_name": "" if organisation else first,
        "last_name": "" if organisation else last,
        "organisation_name": f"{rng.choice(COMPANIES)} {n % 7}" if organisation else "",
        "kind": "organisation" if organisation else "person",
        "birth_date": ""
        if organisation or rng.random() < 0.5
        else f"19{rng.randrange(50, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(0, 9)}",
        "email": f"{first.lower()}.{n}@web.de" if rng.random() < 0.8 else "",
        "phone": f"0{area} {rng.randrange(1_000_000, 9_999_999)}" if rng.random() < 0.6 else "",
        "street": rng.choice(STREETS),
        "street_number": str(rng.randrange(1, 6)),
        "postcode": postcode,
        "city": city,
        "country": "DE",
        "owner": rng.choice(["", "", "", "sam", "sue"]),
    }
    return row


def _variant(rng: random.Random, row: dict[str, str], n: int) -> dict[str, str]:
    """Another row for the same party, written differently and knowing more or less."""
    copy = {**row, "id": f"r{n}", "owner": rng.choice(["", row["owner"]])}
    change = rng.randrange(5)
    if change == 0:
        copy["first_name"], copy["last_name"] = row["first_name"].upper(), row["last_name"].upper()
    elif change == 1 and row["phone"]:
        copy["phone"] = "+49 " + row["phone"][1:]
    elif change == 2:
        copy["phone"] = f"{row['phone']};0171 {rng.randrange(1_000_000, 9_999_999)}".lstrip(";")
    elif change == 3:
        copy["email"] = ""  # known by name, birth date and address alone
    else:
        copy["street_number"] = str(int(row["street_number"]) + 1)
    return copy


def realistic_file(path: Path, rows: int = 160, seed: int = 7) -> Path:
    """Persons and organisations, a third of them again further on, some known already, some bad."""
    rng = random.Random(seed)
    written: list[dict[str, str]] = []
    for n in range(rows):
        roll = rng.random()
        if written and roll < 0.33:
            row = _variant(rng, rng.choice(written), n)
        elif roll < 0.4:
            row = {
                **_person(rng, n),
                "first_name": "Jonas",
                "last_name": "Weber",
                "kind": "person",
                "organisation_name": "",
                "email": rng.choice(["jonas@weber.de", "Jonas@Weber.de", ""]),
            }
        elif roll < 0.45:
            row = {
                **_person(rng, n),
                "first_name": "Clara",
                "last_name": rng.choice(["Fischer", "FISCHER"]),
                "kind": "person",
                "organisation_name": "",
                "birth_date": "1980-05-02",
                "street": "Hauptstraße",
                "street_number": "5",
                "postcode": "10115",
                "city": "Berlin",
            }
        elif roll < 0.48:
            row = {**_person(rng, n), "first_name": "Test", "last_name": "Test"}
        elif roll < 0.5:
            row = {
                **_person(rng, n),
                "email": "",
                "phone": "",
                "street": "",
                "postcode": "",
                "city": "",
            }
            row["street_number"] = ""
        elif roll < 0.53:
            row = {**_person(rng, n), "email": "nobody at all"}
        else:
            row = _person(rng, n)
        written.append(row)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, HEADER)
        writer.writeheader()
        writer.writerows(written)
    return path


def one_by_one(self: _Importer, tx: Transaction, fresh: list[Any]) -> tuple[list[Any], list[int]]:
    """The import as it was before batches: every row through the pipeline, stored one by one."""
    refusals, stored, keys = [], [], []
    for candidate, key in fresh:
        assert isinstance(candidate.entity, Prospect)
        checked = check_prospect(
            tx, candidate.entity, candidate.findings, region="DE", settings=self.app.settings.intake
        )
        if checked.rejected:
            refusals.append(self._rejection(candidate, checked.findings))
            continue
        result = store(tx, checked, self.app.settings.intake, vouched=True)
        assert result.party_id is not None
        if result.outcome in ("matched", "merged"):
            self.result.merged += 1
        else:
            self.result.created += 1
            self.result.reviews += result.outcome == "review"
            stored.append(result.party_id)
        keys.append({"system": IMPORT_SYSTEM, "external_id": key, "party_id": result.party_id})
    if keys:
        tx.conn.execute(external_id.insert(), [{**k, "created_at": utcnow()} for k in keys])
    return refusals, stored


def seed(app: Crm) -> tuple[dict[str, int], set[int]]:
    users, parties = {}, set()
    with app.transaction() as tx:
        for name, role, territories in (
            ("sam", "sales", ("DE-1",)),
            ("sue", "sales", ("DE-2", "DE-8")),
            ("tom", "sales", ()),
            ("ada", "admin", ()),
        ):
            person = User(username=name, display_name=name, role=role, territories=territories)
            users[name] = create_user(tx, person).id
        for role, data, owner in EXISTING:
            data = {**data, "owner_id": users[owner] if owner else None}
            parties.add(create_party(tx, build_party(role, data, region="DE")).id or 0)
    return users, parties


PARTIES_NAMED = {
    "prospect.received": ("id",),
    "party.merged": ("survivor_id",),
    "match_review.opened": ("candidate_id", "existing_id"),
}
"""The parties each event compared names, by payload key."""


def outcome(app: Crm, existing: set[int], rejects: Path) -> dict[str, Any]:
    """What the import did, with parties named by the row that created them (ids may differ)."""
    with app.engine.connect() as conn:
        names = dict(conn.execute(select(user.c.id, user.c.username)).all())
        keys = dict(conn.execute(select(external_id.c.external_id, external_id.c.party_id)).all())
        rows = sorted(keys.items(), key=lambda item: int(item[0].rsplit("r", 1)[1]))
        everyone = conn.execute(select(party).order_by(party.c.id)).all()
        label = {r.id: f"existing {r.display_name}" for r in everyone if r.id in existing}
        for key, party_id in rows:
            label.setdefault(party_id, key)
        loaded = load_parties(conn, [r.id for r in everyone])
        parties = {
            label[r.id]: (
                r.role,
                r.display_name,
                sorted(e.normalised for e in loaded[r.id].emails),
                sorted(p.e164 for p in loaded[r.id].phones),
                len(loaded[r.id].addresses),
                names.get(r.owner_id),
                r.quality,
                r.score,
                r.score_band,
                [f["code"] for f in r.findings or []],
                r.status,
                r.version,
            )
            for r in everyone
        }
        reviews = sorted(
            (label[r.candidate_id], label[r.existing_id], r.score, r.status)
            for r in conn.execute(select(match_review))
        )
        # A notification names the parties by id: by their labels here.
        notes = Counter(
            (names[r.user_id], re.sub(r"\d+", lambda m: label[int(m[0])], r.title))
            for r in conn.execute(select(notification))
        )
        events = Counter(
            (
                r.event_type,
                r.payload.get("outcome"),
                *(label[r.payload[name]] for name in PARTIES_NAMED[r.event_type]),
            )
            for r in conn.execute(select(outbox).order_by(outbox.c.id))
            if r.event_type in PARTIES_NAMED
        )
        imported = [
            (r.payload["created"], r.payload["skipped"], r.payload["rejected"])
            for r in conn.execute(
                select(outbox).where(outbox.c.event_type == "party.imported").order_by(outbox.c.id)
            )
        ]
    with rejects.open(newline="", encoding="utf-8") as f:
        refused = [(r["row"], r["column"], r["field"], r["reason"]) for r in csv.DictReader(f)]
    return {
        "rows": {key: label[party_id] for key, party_id in rows},
        "parties": parties,
        "reviews": reviews,
        "notifications": notes,
        "events": events,
        "imported": imported,
        "rejects": refused,
    }


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with fresh_database(tmp_path / "a") as a, fresh_database(tmp_path / "b") as b:
        yield a, b


@pytest.mark.parametrize("assignment", ["round_robin", "workload", "territory"])
@pytest.mark.parametrize("importer", ["system", "sam"])
def test_a_file_imported_as_a_set_ends_as_one_taken_in_row_by_row(
    databases: tuple[Any, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    importer: str,
    assignment: str,
) -> None:
    path = realistic_file(tmp_path / "prospects.csv")
    found = []
    for database, way in zip(databases, ("set", "one by one"), strict=True):
        settings = Settings(database_url="sqlite://", intake=IntakeSettings(assignment=assignment))
        app = make_app(database=database, settings=settings)
        users, existing = seed(app)
        actor = (
            SYSTEM
            if importer == "system"
            else Actor(user_id=users["sam"], username="sam", role="sales")
        )
        rejects = tmp_path / f"{way}.rejects.csv"
        options = ImportOptions(key="id", batch_size=40, rejects=rejects, workers=0)
        with monkeypatch.context() as patch:
            if way == "one by one":
                patch.setattr(_Importer, "_take_in", one_by_one)
            result = import_parties(app, "prospect", path, options, actor=actor)
        found.append((result, outcome(app, existing, rejects)))
        app.close()
    (batch, batch_outcome), (single, single_outcome) = found
    for name in batch_outcome:
        assert batch_outcome[name] == single_outcome[name], name
    assert (batch.created, batch.merged, batch.reviews, batch.rejected) == (
        single.created,
        single.merged,
        single.reviews,
        single.rejected,
    )
    # The file is worth the comparison: it merges, queues for review, rejects, within and across.
    assert batch.merged > 10 and batch.reviews > 0 and batch.rejected > 3
    merged_into = Counter(batch_outcome["rows"].values())
    assert any(n > 1 for label, n in merged_into.items() if label.startswith("prospect:r"))
    assert any(label.startswith("existing") for label in merged_into), merged_into
    if importer == "sam":
        assert batch_outcome["notifications"], "a match sam may not change is handed to its owner"


class MatchesByPhone:
    """A plugin matching one record at a time: whoever has the number 030 5550199 is the one."""

    @hookimpl
    def match_party(self, conn: Any, candidate: Party) -> list[tuple[int, float]] | None:
        if not any(p.e164 == "+49305550199" for p in candidate.phones):
            return None
        stored = conn.execute(select(party.c.id).where(party.c.display_name == "Ida Sommer"))
        return [(party_id, 0.99) for party_id in stored.scalars()]


def test_a_plugin_matching_one_record_at_a_time_is_asked_for_each_row_of_an_import(
    tmp_path: Path,
) -> None:
    (tmp_path / "db").mkdir()
    with fresh_database(tmp_path / "db") as database:
        app = make_app([register_plugin(MatchesByPhone(), name="by_phone")], database=database)
        with app.transaction() as tx:
            ida = create_party(
                tx,
                build_party("customer", {"first_name": "Ida", "last_name": "Sommer"}, region="DE"),
            )
        path = tmp_path / "p.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(
                [
                    ["first_name", "last_name", "email", "phone"],
                    ["Paula", "Winter", "paula@winter.de", "030 5550199"],
                    ["Otto", "Herbst", "otto@herbst.de", "030 5550123"],
                    ["Otto", "Herbst", "otto@herbst.de", ""],
                ]
            )

        result = import_parties(app, "prospect", path)

        assert (result.created, result.merged) == (1, 2)
        with app.engine.connect() as conn:
            merged = load_parties(conn, [ida.id or 0])[ida.id or 0]
            assert [e.normalised for e in merged.emails] == ["paula@winter.de"]
        app.close()


class MatchesOrganisationsByName:
    """A plugin matching a batch at once: an organisation of the same name is the same."""

    @hookimpl
    def match_parties(self, tx: Transaction, candidates: list[Party]) -> Any:
        known = dict(
            tx.conn.execute(
                select(party.c.organisation_name, party.c.id).where(party.c.kind == "organisation")
            ).all()
        )
        return [
            [(known[c.organisation_name], 0.95)] if c.organisation_name in known else []
            for c in candidates
        ]


def write_organisations(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["organisation_name", "kind", "email"], *rows])
    return path


def test_a_plugin_matching_a_batch_at_once_decides_for_an_import(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    with fresh_database(tmp_path / "db") as database:
        app = make_app(
            [register_plugin(MatchesOrganisationsByName(), name="by_name")], database=database
        )
        with app.transaction() as tx:
            data = {"kind": "organisation", "organisation_name": "Nordlicht Handel"}
            known = create_party(tx, build_party("customer", data, region="DE")).id
        path = write_organisations(
            tmp_path / "p.csv",
            [
                ["Nordlicht Handel", "organisation", "info@nordlicht.de"],
                ["Südwind Bau", "organisation", "info@suedwind.de"],
            ],
        )

        result = import_parties(app, "prospect", path)

        assert (result.created, result.merged) == (1, 1)
        with app.engine.connect() as conn:
            merged = load_parties(conn, [known or 0])[known or 0]
        assert [e.normalised for e in merged.emails] == ["info@nordlicht.de"]
        app.close()


def test_hook_match_parties(crm: Crm, tmp_path: Path) -> None:
    """By default it matches each candidate as ``match_party`` does, with one look-up per kind."""
    with crm.transaction() as tx:
        for role, data, _ in EXISTING:
            create_party(tx, build_party(role, data, region="DE"))
    with realistic_file(tmp_path / "p.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    candidates = [
        build_party(
            "prospect",
            {
                "first_name": row["first_name"] or None,
                "last_name": row["last_name"] or None,
                "organisation_name": row["organisation_name"] or None,
                "kind": row["kind"],
                "emails": [row["email"]] if "@" in row["email"] else [],
                "addresses": [
                    {"street": row["street"], "postcode": row["postcode"], "city": row["city"]}
                ],
            },
            region="DE",
        )
        for row in rows
        if row["first_name"] != "Test"
    ]
    with crm.transaction() as tx:
        batch = tx.hooks.call("match_parties", tx=tx, candidates=candidates)
        single = [tx.hooks.call("match_party", conn=tx.conn, candidate=c) for c in candidates]
    assert batch == single
    assert any(batch), "some candidates match a stored party"


def test_match_records_kept_between_batches_are_read_again_once_their_party_changed(
    crm: Crm, monkeypatch: pytest.MonkeyPatch
) -> None:
    with crm.transaction() as tx:
        ids = [
            create_party(tx, build_party("prospect", data, region="DE")).id or 0
            for data in (
                {"first_name": "Lena", "last_name": "Koch", "emails": ["lena@koch.de"]},
                {"first_name": "Paul", "last_name": "Wolf", "emails": ["paul@wolf.de"]},
                {"first_name": "Emma", "last_name": "Braun", "emails": ["emma@braun.de"]},
            )
        ]
    unchanged, changed, erased = ids
    known = KnownRecords()
    with crm.engine.connect() as conn:
        first = known.read(conn, ids)
    with crm.transaction() as tx:
        update_party(tx, changed, {"last_name": "Wolff"}, 1, region="DE")
        erase_party(tx, erased)
    loaded: list[list[int]] = []

    def counted(conn: Any, wanted: list[int]) -> dict[int, Party]:
        loaded.append(wanted)
        return load_parties(conn, wanted)

    monkeypatch.setattr(batch_match, "load_parties", counted)
    with crm.engine.connect() as conn:
        again = known.read(conn, ids)

    assert again[unchanged] is first[unchanged]
    assert (first[changed].last_name, again[changed].last_name) == ("wolf", "wolff")
    assert erased not in again
    assert loaded == [[changed, erased]], "only the changed and the gone are read again"


def test_a_key_too_common_to_count_is_looked_up_again_once_a_party_left_it(crm: Crm) -> None:
    shared = {"first_name": "Ida", "emails": ["info@sommer.de"]}
    with crm.transaction() as tx:
        kept, left = (
            create_party(tx, build_party("prospect", {**shared, "last_name": name}, region="DE"))
            for name in ("Sommer", "Winter")
        )
    incoming = build_party("prospect", {**shared, "last_name": "Herbst"}, region="DE")
    with crm.transaction() as tx:
        matcher = BatchMatcher.prepare(tx.conn, [incoming], lambda: None)
        matcher.limit = 1
        matcher._shared = batch_match.look_up(tx.conn, matcher.rows[0][1], matcher.limit)
        assert matcher._shared["email", "info@sommer.de"] is None, "two share it: too many"
        assert left.id is not None
        indexed = matcher.indexed(left)
        matcher.merged(
            update_party(tx, left.id, {"emails": []}, 1, region="DE"), indexed, rewritten=True
        )

        assert [party_id for party_id, _ in matcher.matches(0)] == [kept.id]

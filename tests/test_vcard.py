"""vCard 3.0 and 4.0: reading cards, importing them as parties, exporting parties as cards."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from crmkit import Actor
from crmkit.app import Crm
from crmkit.core.exporting import PartySelection, export_records
from crmkit.core.importing import ImportOptions, import_parties
from crmkit.core.parties import build_party, create_party, load_parties
from crmkit.core.tables import party
from crmkit.core.vcard import Card, CardError, fold, read_cards
from crmkit.core.vcard_parties import card_fields
from crmkit.testing import invoke, make_app
from crmkit.testing import test_database as fresh_database

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "vcard_ical"
needs_samples = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared/data is not here")


def cards(text: str) -> list[Card | CardError]:
    return list(read_cards(io.StringIO(text, newline="")))


def only_card(text: str) -> Card:
    (card,) = cards(text)
    assert isinstance(card, Card), card
    return card


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def contact_data(app: Crm) -> list[tuple[Any, ...]]:
    """What a card holds of each party, in a form to compare between databases."""
    with app.read() as conn:
        ids = [row.id for row in conn.execute(party.select())]
        loaded = load_parties(conn, ids)
    ordered = sorted(loaded.values(), key=lambda p: p.display_name)
    return [
        (
            p.kind,
            p.first_name,
            p.last_name,
            p.organisation_name,
            p.birth_date,
            [e.original for e in p.emails],
            [t.e164 for t in p.phones],
            [a for a in p.addresses],
        )
        for p in ordered
    ]


# --- Reading the format.


def test_folded_lines_escapes_groups_and_bare_types_are_read() -> None:
    card = only_card(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Anna Schmidt\r\n"
        "N:Schmidt;Anna;Maria;Dr.;\r\n"
        "NOTE:first line\\nsecond\\, with comma\\; and semicolon\\\\ back\r\n"
        "home.TEL;HOME;VOICE:+49 30 1\r\n 234567\r\n"
        "email;type=INTERNET;type=pref:anna@example.de\r\n"
        "END:VCARD\r\n"
    )
    assert card.version == "3.0"
    note = card.first("NOTE")
    assert note is not None
    assert note.text() == "first line\nsecond, with comma; and semicolon\\ back"
    tel = card.first("TEL")
    assert tel is not None
    assert (tel.group, tel.text(), tel.types) == ("home", "+49 30 1234567", {"home", "voice"})
    email = card.first("EMAIL")
    assert email is not None and email.preference == 1
    assert card_fields(card).values["first_name"] == "Anna Maria"


def test_quoted_printable_with_its_charset_and_soft_line_breaks_is_decoded() -> None:
    card = only_card(
        "BEGIN:VCARD\nVERSION:2.1\n"
        "N;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCr=\ngen\n"
        "ORG;CHARSET=UTF-8;QUOTED-PRINTABLE:B=C3=A4ckerei\n"
        "END:VCARD\n"
    )
    fields = card_fields(card).values
    assert (fields["last_name"], fields["first_name"]) == ("Müller", "Jürgen")
    assert fields["organisation_name"] == "Bäckerei"


def test_4_0_parameters_quoted_lists_caret_escapes_and_tel_uris_are_read() -> None:
    card = only_card(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Simon\r\nN:Perreault;Simon;;;\r\n"
        'TEL;VALUE=uri;TYPE="work,voice";PREF=1:tel:+1-418-656-9254;ext=102\r\n'
        "ADR;LABEL=\"Suite 5^nMain St ^'A^'\":;Suite 5;Main St 1;Town;;12345;Deutschland\r\n"
        "END:VCARD\r\n"
    )
    tel = card.first("TEL")
    assert tel is not None and tel.types == {"work", "voice"} and tel.preference == 1
    adr = card.first("ADR")
    assert adr is not None and adr.params["LABEL"] == ('Suite 5\nMain St "A"',)
    fields = card_fields(card).values
    assert fields["phones"] == "+1-418-656-9254 ext. 102"
    assert (fields["street"], fields["address_line2"], fields["country"]) == (
        "Main St 1",
        "Suite 5",
        "DE",
    )


def test_a_broken_card_is_reported_with_its_number_and_the_next_one_is_read() -> None:
    found = cards(
        "BEGIN:VCARD\nVERSION:4.0\nFN:One\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:4.0\nthis line has no colon\nEND:VCARD\n"
        "BEGIN:VCARD\nFN:No version\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:4.0\nFN:Four\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:4.0\nFN:Never ends\n"
    )
    assert [type(c).__name__ for c in found] == [
        "Card",
        "CardError",
        "CardError",
        "Card",
        "CardError",
    ]
    errors = [c for c in found if isinstance(c, CardError)]
    assert [(e.number, e.line) for e in errors] == [(2, 5), (3, 9), (5, 16)]
    assert "line 7" in errors[0].reason and "no ':'" in errors[0].reason
    assert errors[1].reason == "no VERSION"
    assert "END:VCARD missing" in errors[2].reason


def test_long_lines_are_folded_at_75_octets_without_splitting_a_character() -> None:
    line = "NOTE:" + "ä" * 100
    folded = fold(line)
    physical = folded.split("\r\n")[:-1]
    assert all(len(p.encode()) <= 75 for p in physical)
    assert "".join(p.removeprefix(" ") for p in physical) == line


@needs_samples
def test_the_sample_cards_of_rfc_6350_and_vobject_parse() -> None:
    found = {}
    for path in sorted(SHARED_DATA.glob("*.vcf")):
        with path.open(encoding="utf-8", newline="") as f:
            (card,) = list(read_cards(f))
        assert isinstance(card, Card), (path.name, card)
        found[path.name] = card_fields(card)
    rfc = found["rfc6350_section8_author_example.vcf"]
    assert rfc.values["last_name"] == "Perreault" and rfc.values["organisation_name"] == "Viagenie"
    assert rfc.values["phones"] == "+1-418-656-9254 ext. 102;+1-418-262-6501"
    assert rfc.values["street"] == "2875 Laurier" and rfc.values["postcode"] == "G1V 2M2"
    assert "BDAY without a year" in rfc.ignored and "GEO" in rfc.ignored
    simple = found["vobject_simple_3_0_test.vcf"]
    assert simple.values["street"] == "Haight Street 512;\nEscape, Test"
    assert simple.values["organisation_name"] == "University of Novosibirsk"
    assert len(simple.values["phones"].split(";")) == 3
    groups = found["vobject_vcard_with_groups.vcf"]
    assert groups.values["birth_date"] == "1963-09-21"
    assert groups.values["emails"] == "mb@goerlitz.de"
    assert "NOTE" in groups.ignored


# --- Importing.

MANY = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a-1\r\nFN:Anna Schmidt\r\nN:Schmidt;Anna;;;\r\n"
    "EMAIL;TYPE=INTERNET:anna@example.de\r\nTEL;TYPE=CELL:+49 171 2345678\r\n"
    "ADR;TYPE=WORK:;;Hauptstr. 5;Berlin;;10115;Germany\r\nBDAY:1980-04-02\r\n"
    "CATEGORIES:vip,fair\r\nNOTE:met at the fair\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:b-2\r\nKIND:org\r\nFN:Bäckerei Sonnenschein\r\n"
    "ORG:Bäckerei Sonnenschein;Filiale Nord\r\nEMAIL:info@baeckerei.example\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c-3\r\nFN:Bad Mail\r\nN:Mail;Bad;;;\r\n"
    "EMAIL:not-an-address\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:4.0\r\nN;broken\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Jo Weber\r\nTEL;VALUE=uri:tel:+49-30-8845123\r\nEND:VCARD\r\n"
)


def test_a_vcard_file_is_imported_card_by_card_and_bad_cards_are_rejected(
    crm: Crm, tmp_path: Path
) -> None:
    path = write(tmp_path / "contacts.vcf", MANY)

    result = import_parties(crm, "customer", path)

    assert (result.created, result.rejected) == (3, 2)
    assert {"CATEGORIES", "NOTE"} <= set(result.ignored_columns)
    with result.rejects_path.open(encoding="utf-8") as f:
        rejects = list(csv.DictReader(f))
    assert [(r["card"], r["column"]) for r in rejects] == [("3", "emails"), ("4", "")]
    assert "not a valid email address" in rejects[0]["reason"]
    assert rejects[1]["reason"] == (
        "card beginning on line 28: line 30: no ':' between the property name and its value"
    )
    data = {row[2]: row for row in contact_data(crm)}
    anna = data["Schmidt"]
    assert anna[1] == "Anna" and str(anna[4]) == "1980-04-02"
    assert anna[6] == ["+491712345678"]
    assert (anna[7][0].street, anna[7][0].city, anna[7][0].country) == (
        "Hauptstr. 5",
        "Berlin",
        "DE",
    )
    bakery = next(row for row in data.values() if row[0] == "organisation")
    assert bakery[3] == "Bäckerei Sonnenschein"
    assert data["Weber"][1] == "Jo" and data["Weber"][6] == ["+49308845123"]

    again = import_parties(crm, "customer", path)
    assert (again.created, again.skipped) == (0, 3), "cards are keyed by UID or content"


def test_vcard_prospects_go_through_intake_and_options_that_do_not_apply_are_refused(
    crm: Crm, tmp_path: Path
) -> None:
    path = write(tmp_path / "leads.vcard", MANY)
    result = import_parties(crm, "prospect", path)
    assert result.created == 3

    with pytest.raises(Exception, match="--profile"):
        import_parties(crm, "prospect", path, ImportOptions(profile="salesforce"))
    csv_named = write(tmp_path / "contacts.txt", MANY)
    forced = import_parties(crm, "prospect", csv_named, ImportOptions(format="vcard"))
    assert forced.skipped == 3


# --- Exporting, and back.


def make_people(app: Crm) -> None:
    people: list[tuple[str, dict[str, Any]]] = [
        (
            "customer",
            {
                "first_name": "Anna Maria",
                "last_name": "Schmidt; Jr",
                "organisation_name": "Schmidt, Sohn & Co",
                "birth_date": "1980-04-02",
                "emails": ["Anna@Example.DE", "anna.private@example.org"],
                "phones": ["+49 30 1234567", "+49 171 2345678"],
                "addresses": [
                    {
                        "street": "Hauptstraße",
                        "street_number": "5a",
                        "address_line2": "Hinterhaus",
                        "postcode": "10115",
                        "city": "Berlin",
                        "region": "BE",
                        "country": "DE",
                    },
                    {
                        "street": "Rue de Rivoli",
                        "postcode": "75001",
                        "city": "Paris",
                        "country": "FR",
                    },
                ],
            },
        ),
        ("customer", {"kind": "organisation", "organisation_name": "Bäckerei Sonnenschein GmbH"}),
        ("customer", {"last_name": "Ng" + "ü" * 60, "emails": ["long@example.org"]}),
    ]
    with app.transaction() as tx:
        for role, data in people:
            create_party(tx, build_party(role, data, region="DE"))


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_exported_cards_import_back_as_the_same_contact_data(
    crm: Crm, tmp_path: Path, version: str
) -> None:
    make_people(crm)
    exported = tmp_path / "parties.vcf"
    result = invoke(
        crm,
        "export",
        "customers",
        "--format",
        "vcard",
        "--vcard-version",
        version,
        "-o",
        str(exported),
    )
    assert result.exit_code == 0, result.output
    text = exported.read_bytes().decode("utf-8")
    assert text.count("BEGIN:VCARD") == 3 and f"VERSION:{version}\r\n" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))

    (tmp_path / "other").mkdir()
    with fresh_database(tmp_path / "other") as db:
        other = make_app(database=db)
        try:
            imported = import_parties(other, "customer", exported)
            assert (imported.created, imported.rejected) == (3, 0)
            before, after = contact_data(crm), contact_data(other)
        finally:
            other.close()
    if version == "3.0":
        # 3.0 has one street component: the house number stays in it.
        anna = before[0]
        first = attrs.evolve(anna[7][0], street="Hauptstraße 5a", street_number=None)
        before[0] = (*anna[:7], [first, *anna[7][1:]])
    assert after == before


def test_the_export_of_chosen_parties_holds_only_them(crm: Crm) -> None:
    make_people(crm)
    with crm.read() as conn:
        ids = sorted(conn.execute(party.select().with_only_columns(party.c.id)).scalars())
    out = io.StringIO(newline="")
    count = export_records(crm, "customers", "vcard", out, selection=PartySelection(ids=[ids[1]]))
    assert count == 1 and "Bäckerei Sonnenschein GmbH" in out.getvalue()
    searched = io.StringIO()
    assert (
        export_records(crm, "customers", "csv", searched, selection=PartySelection(search="anna"))
        == 1
    )
    with pytest.raises(Exception, match="no customer 999"):
        export_records(
            crm, "customers", "vcard", io.StringIO(), selection=PartySelection(ids=[999])
        )


def test_the_api_answers_vcards_only_of_parties_the_actor_may_see(
    world: Any, client_as: Callable[[Actor], Any]
) -> None:
    sam = client_as(world.actors["sam"])
    own = world.parties["sam_own"]
    answer = sam.get(f"/api/v1/parties/{own}/vcard")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/vcard; charset=utf-8"
    assert "FN:sam_own Leakcheck\r\n" in answer.text and "VERSION:4.0" in answer.text
    three = sam.get(f"/api/v1/parties/{own}/vcard", params={"version": "3.0"})
    assert "VERSION:3.0" in three.text and "TEL;TYPE=VOICE,PREF:" in three.text

    hidden = sam.get(f"/api/v1/parties/{world.parties['sue_own']}/vcard")
    assert hidden.status_code == 404
    bad = sam.get(f"/api/v1/parties/{own}/vcard", params={"version": "2.1"})
    assert bad.status_code == 422 and "version" in bad.text

    listed = sam.get("/api/v1/prospects/vcard", params={"q": "Leakcheck"})
    assert listed.status_code == 200
    names = {
        line.removeprefix("FN:") for line in listed.text.split("\r\n") if line.startswith("FN:")
    }
    visible_prospects = {n for n in world.sees["sam"] if world.roles[n] == "prospect"}
    assert names == {f"{n} Leakcheck" for n in visible_prospects}

    paged = client_as(world.actors["ada"]).get("/api/v1/customers/vcard", params={"limit": 1})
    assert paged.text.count("BEGIN:VCARD") == 1
    assert 'rel="next"' in paged.headers["link"] and "cursor=" in paged.headers["link"]

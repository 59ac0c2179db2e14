"""Import profiles: Salesforce and HubSpot exports read as they are (see shared CRM_EXPORT_FACTS)."""

from __future__ import annotations

import csv
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from crmkit import ImportProfile, PluginError, ValidationError, hookimpl
from crmkit.app import Crm
from crmkit.core.consent import consents_of
from crmkit.core.external_ids import external_ids_of, linked_party_id
from crmkit.core.import_profiles import salesforce_id
from crmkit.core.importing import ImportOptions, import_parties
from crmkit.core.parties import get_party
from crmkit.testing import invoke, register_plugin

# The Lead fields of a Weekly Data Export, in the order Salesforce lists them.
LEAD_HEADER = [
    "Id",
    "IsDeleted",
    "MasterRecordId",
    "LastName",
    "FirstName",
    "Salutation",
    "Name",
    "Title",
    "Company",
    "Street",
    "City",
    "State",
    "PostalCode",
    "Country",
    "Latitude",
    "Longitude",
    "GeocodeAccuracy",
    "Address",
    "Phone",
    "MobilePhone",
    "Fax",
    "Email",
    "Website",
    "PhotoUrl",
    "Description",
    "LeadSource",
    "Status",
    "Industry",
    "Rating",
    "AnnualRevenue",
    "NumberOfEmployees",
    "OwnerId",
    "IsConverted",
    "ConvertedDate",
    "ConvertedAccountId",
    "ConvertedContactId",
    "ConvertedOpportunityId",
]


def lead(**values: str) -> list[str]:
    return [values.get(column, "") for column in LEAD_HEADER]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])
    return path


def party_linked(crm: Crm, system: str, external_id: str) -> Any:
    with crm.read() as conn:
        party_id = linked_party_id(conn, system, external_id)
        assert party_id is not None, (system, external_id)
        return get_party(conn, party_id)


def rejects_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_18_character_salesforce_id_gets_its_checksum_from_the_upper_case_letters() -> None:
    assert salesforce_id("001A0000006Vm9r") == "001A0000006Vm9rIAC"
    assert salesforce_id("001a0000006vm9r") == "001a0000006vm9rAAA", (
        "15-character ids are case-sensitive"
    )
    assert salesforce_id("001A0000006Vm9rIAC") == "001A0000006Vm9rIAC", "18 characters stay"


def test_a_salesforce_lead_export_is_read_with_its_quirks(crm: Crm, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "Lead.csv",
        LEAD_HEADER,
        [
            lead(
                Id="00Q5e00000aBcDe",
                IsDeleted="false",
                LastName="Miller",
                FirstName="Jane",
                Name="Jane Miller",
                Salutation="Ms.",
                Company="Acme Corp",
                Street="1 Main St",
                City="Springfield",
                State="IL",
                PostalCode="62701",
                Country="United States",
                Phone="+1 217 555 0134",
                Email="jane.miller@acme.example",
                LeadSource="Web",
                Status="Working - Contacted",
                Industry="Manufacturing",
            ),
            lead(
                Id="00Q5e00000xYz01",
                IsDeleted="true",
                LastName="Gone",
                Email="gone@example.org",
                Status="Open - Not Contacted",
            ),
            lead(
                Id="00Q5e00000xYz02",
                IsDeleted="false",
                LastName="Odd",
                Email="odd.one@oddities.example",
                Status="Nurturing",
            ),
        ],
    )

    result = import_parties(crm, "prospect", path, ImportOptions(profile="salesforce"))

    assert (result.created, result.rejected) == (2, 1)
    assert rejects_of(result.rejects_path)[0]["reason"] == "deleted in salesforce"
    assert {"Industry", "Salutation", "Title", "Fax", "OwnerId"} <= set(result.ignored_columns)
    assert "Status" not in result.ignored_columns and "Name" not in result.ignored_columns
    jane = party_linked(crm, "salesforce", "00Q5e00000aBcDeEAK")
    assert (jane.first_name, jane.last_name, jane.organisation_name) == (
        "Jane",
        "Miller",
        "Acme Corp",
    )
    assert (jane.status, jane.source) == ("working", "Web")
    assert [p.e164 for p in jane.phones] == ["+12175550134"]
    assert (jane.addresses[0].country, jane.addresses[0].region) == ("US", "IL")
    assert party_linked(crm, "salesforce", "00Q5e00000xYz02EAC").status == "new", (
        "a status the profile does not know leaves the default"
    )

    again = import_parties(crm, "prospect", path, ImportOptions(profile="salesforce"))
    assert (again.created, again.skipped) == (0, 2), "the record id is the import key"
    long_ids = write_csv(
        tmp_path / "Lead-18.csv",
        LEAD_HEADER,
        [lead(Id="00Q5e00000aBcDeEAK", IsDeleted="false", LastName="Miller", FirstName="Jane")],
    )
    known = import_parties(crm, "prospect", long_ids, ImportOptions(profile="salesforce"))
    assert (known.created, known.merged, known.skipped) == (0, 0, 1), (
        "an id exported with 18 characters is the one imported with 15"
    )
    as_customers = import_parties(crm, "customer", path, ImportOptions(profile="salesforce"))
    assert (as_customers.created, as_customers.rejected) == (2, 1), "customers have no status"


def test_a_salesforce_contact_report_with_labels_records_opt_outs_as_consent(
    crm: Crm, tmp_path: Path
) -> None:
    header = ["Contact ID", "Deleted", "Full Name", "Email", "Mailing City", "Mailing Country"]
    header += ["Email Opt Out", "Do Not Call", "Account ID"]
    path = write_csv(
        tmp_path / "report.csv",
        header,
        [
            [
                *("0035e00000AbCdE", "0", "Karl Heinz Berger", "karl@example.de", "Görlitz"),
                *("Germany", "1", "0", "0015e00000Acc01"),
            ],
            ["0035e00000AbCdF", "0", "Eva Roth", "eva@example.de", "Bonn", "DE", "0", "1", ""],
        ],
    )

    result = import_parties(crm, "customer", path, ImportOptions(profile="salesforce"))

    assert (result.created, result.rejected) == (2, 0), rejects_of(result.rejects_path)
    karl = party_linked(crm, "salesforce", salesforce_id("0035e00000AbCdE"))
    assert (karl.first_name, karl.last_name) == ("Karl Heinz", "Berger")
    assert karl.addresses[0].country == "DE", "a country name becomes its code for customers too"
    eva = party_linked(crm, "salesforce", salesforce_id("0035e00000AbCdF"))
    with crm.read() as conn:
        karl_consent = {(c.channel, c.status) for c in consents_of(conn, karl.id)}
        eva_consent = {(c.channel, c.status) for c in consents_of(conn, eva.id)}
        links = external_ids_of(conn, karl.id)
    assert karl_consent == {("email", "withdrawn")}
    assert eva_consent == {("phone", "withdrawn")}
    assert {link.system for link in links} == {"salesforce", "import"}


def test_data_loader_upper_case_headers_and_map_options_on_top_of_a_profile(
    crm: Crm, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "extract.csv",
        ["ID", "FIRSTNAME", "LASTNAME", "EMAIL", "COMPANY", "TITLE"],
        [["00Q5e00000ZZZ01", "Ana", "Lima", "ana@example.pt", "Lima Lda", "CEO"]],
    )
    options = ImportOptions(profile="salesforce", mapping={"TITLE": "source"})

    result = import_parties(crm, "prospect", path, options)

    assert result.created == 1
    ana = party_linked(crm, "salesforce", salesforce_id("00Q5e00000ZZZ01"))
    assert (ana.first_name, ana.organisation_name, ana.source) == ("Ana", "Lima Lda", "CEO")


def test_a_hubspot_export_is_read_by_labels_or_internal_names(crm: Crm, tmp_path: Path) -> None:
    labels = ["Record ID", "First Name", "Last Name", "Email", "Phone Number"]
    labels += ["Mobile Phone Number", "Company Name", "Country/Region", "Lifecycle Stage"]
    labels += ["Lead Status", "Contact owner", "Create Date"]
    path = write_csv(
        tmp_path / "hubspot-contacts.csv",
        labels,
        [
            [
                *("51", "Mia", "Koch", "mia@example.de", "+49 30 8845123", "+49 171 8845123"),
                *("Koch AG", "Germany", "Marketing Qualified Lead", "OPEN", "sam@example.org", ""),
            ],
            ["52", "Tom", "Berg", "tom@example.de", "", "", "", "", "customer", "", "", ""],
        ],
    )
    internal = write_csv(
        tmp_path / "api.csv",
        ["hs_object_id", "firstname", "lastname", "email", "lifecyclestage", "zip", "city"],
        [["53", "Ida", "Lang", "ida@example.de", "salesqualifiedlead", "10115", "Berlin"]],
    )

    result = import_parties(crm, "prospect", path, ImportOptions(profile="hubspot"))
    import_parties(crm, "prospect", internal, ImportOptions(profile="HubSpot"))

    assert result.created == 2
    assert {"Lead Status", "Contact owner", "Create Date"} <= set(result.ignored_columns)
    mia = party_linked(crm, "hubspot", "51")
    assert (mia.status, mia.organisation_name) == ("qualified", "Koch AG")
    assert [p.e164 for p in mia.phones] == ["+49308845123", "+491718845123"]
    assert party_linked(crm, "hubspot", "52").status == "new"
    ida = party_linked(crm, "hubspot", "53")
    assert (ida.status, ida.addresses[0].city) == ("qualified", "Berlin")


def test_an_unknown_profile_is_refused_naming_the_option(crm: Crm, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", ["last_name", "email"], [["Lee", "lee@lee.example"]])
    with pytest.raises(ValidationError) as raised:
        import_parties(crm, "prospect", path, ImportOptions(profile="pipedrive"))
    assert raised.value.field == "--profile"
    assert "hubspot, salesforce" in raised.value.reason

    result = invoke(crm, "import", "prospects", str(path), "--profile", "pipedrive")
    assert result.exit_code == 2 and "--profile" in result.output
    assert not (tmp_path / "x.csv.rejects.csv").exists(), "nothing was written"

    ok = invoke(crm, "import", "prospects", str(path), "--profile", "salesforce")
    assert ok.exit_code == 0 and "created 1" in ok.output


def test_rows_of_a_profile_and_cards_built_in_worker_processes_give_the_same_result(
    crm: Crm, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "Lead.csv",
        LEAD_HEADER,
        [
            lead(
                Id="00Q5e00000aBcDe",
                LastName="Miller",
                Email="jm@acme.example",
                Status="Working - Contacted",
            )
        ],
    )
    cards = tmp_path / "cards.vcf"
    cards.write_text(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:ida-1\r\nFN:Ida Lang\r\nEMAIL:ida@lang.example\r\n"
        "ADR:;;Hauptstr. 1;Berlin;;10115;DE\r\nADR:;;Rue 2;Paris;;75001;FR\r\nEND:VCARD\r\n",
        encoding="utf-8",
    )

    result = import_parties(crm, "prospect", path, ImportOptions(profile="salesforce", workers=1))
    from_cards = import_parties(crm, "prospect", cards, ImportOptions(workers=1))

    assert (result.created, from_cards.created) == (1, 1)
    assert party_linked(crm, "salesforce", "00Q5e00000aBcDeEAK").status == "working"
    with crm.read() as conn:
        ida = get_party(conn, linked_party_id(conn, "import", "prospect:ida-1") or 0)
    assert [a.city for a in ida.addresses] == ["Berlin", "Paris"]


# --- Profiles of plugins


def pipedrive_id(value: str) -> str:
    """Module-level, as a profile's ``normalise_id`` must be: worker processes unpickle it."""
    return f"person-{value}"


PIPEDRIVE = ImportProfile(
    name="pipedrive",
    system="pipedrive",
    columns={
        "Person - First name": "first_name",
        "Person - Last name": "last_name",
        "Person - Email": "emails",
        "Person - Label": "status",
    },
    key=("Person - ID",),
    statuses={"Hot Lead": "qualified"},
    status_columns=("Person - Label",),
    normalise_id=pipedrive_id,
)


def profiles_of(*profiles: ImportProfile) -> object:
    return types.SimpleNamespace(register_import_profiles=hookimpl(lambda: list(profiles)))


def test_hook_register_import_profiles(make_crm: Callable[..., Crm], tmp_path: Path) -> None:
    crm = make_crm([register_plugin(profiles_of(PIPEDRIVE), name="pipedrive_import")])
    assert set(crm.import_profiles) == {"hubspot", "pipedrive", "salesforce"}
    header = [
        "Person - ID",
        "Person - First name",
        "Person - Last name",
        "Person - Email",
        "Person - Label",
        "Person - Owner",
    ]
    path = write_csv(
        tmp_path / "people.csv",
        header,
        [["17", "Ida", "Lang", "ida@lang.example", "HOT LEAD", "Sam"]],
    )

    done = invoke(crm, "import", "prospects", str(path), "--profile", "Pipedrive")
    again = import_parties(crm, "prospect", path, ImportOptions(profile="pipedrive", workers=1))

    assert done.exit_code == 0, done.output
    assert "created 1" in done.output and "ignored columns: Person - Owner" in done.output
    assert (again.created, again.skipped) == (0, 1), "the record id is the import key"
    ida = party_linked(crm, "pipedrive", "person-17")
    assert (ida.first_name, ida.last_name, ida.status) == ("Ida", "Lang", "qualified")


def test_an_unknown_profile_lists_the_profiles_plugins_added(
    make_crm: Callable[..., Crm], tmp_path: Path
) -> None:
    crm = make_crm([register_plugin(profiles_of(PIPEDRIVE), name="pipedrive_import")])
    path = write_csv(tmp_path / "x.csv", ["last_name"], [["Lee"]])

    result = invoke(crm, "import", "prospects", str(path), "--profile", "zoho")

    assert result.exit_code == 2
    assert "unknown profile 'zoho' (profiles: hubspot, pipedrive, salesforce)" in result.output


def test_a_profile_name_registered_twice_stops_the_start_naming_both_plugins(
    make_crm: Callable[..., Crm],
) -> None:
    plugins = [
        register_plugin(profiles_of(PIPEDRIVE), name="pipedrive_import"),
        register_plugin(profiles_of(PIPEDRIVE), name="crm_moves"),
    ]
    with pytest.raises(PluginError) as caught:
        make_crm(plugins, create_tables=False)
    assert caught.value.plugin == "crm_moves"
    assert caught.value.message == (
        "plugin 'crm_moves': register_import_profiles: name 'pipedrive' is already taken"
        " (by pipedrive_import)"
    )


def a_local_function() -> Callable[[str], str]:
    def person_id(value: str) -> str:
        return value

    return person_id


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"name": "PipeDrive"}, "name", "expected lower-case letters (a-z), digits, '_' or '-'"),
        ({"name": ""}, "name", "expected lower-case letters"),
        ({"name": "pipe drive"}, "name", "expected lower-case letters"),
        ({"system": "Pipe Drive"}, "system", "expected a lower-case letter (a-z) followed by"),
        ({"system": "9pipe"}, "system", "expected a lower-case letter (a-z) followed by"),
        ({"opt_outs": {"Mail Opt Out": "mail"}}, "opt_outs['Mail Opt Out']", "one of email, sms"),
        ({"statuses": {"lead": "hot"}}, "statuses['lead']", "one of new, working, qualified"),
        ({"status_columns": ()}, "status_columns", "statuses are read from these columns"),
        ({"key": "Person - ID"}, "key", "expected a tuple of column names"),
        ({"deleted": ("",)}, "deleted", "expected column names as non-empty text"),
        ({"normalise_id": lambda value: value}, "normalise_id", "module-level function, got <"),
        ({"normalise_id": a_local_function()}, "normalise_id", "got a_local_function.<locals>"),
        ({"normalise_id": "pipedrive_id"}, "normalise_id", "module-level function, got 'pipe"),
    ],
)
def test_a_bad_profile_stops_the_start_naming_the_plugin_the_profile_and_the_field(
    make_crm: Callable[..., Crm], changes: dict[str, Any], field: str, reason: str
) -> None:
    bad = attrs.evolve(PIPEDRIVE, **changes)

    with pytest.raises(PluginError) as caught:
        make_crm([register_plugin(profiles_of(bad), name="pipedrive_import")], create_tables=False)

    assert caught.value.plugin == "pipedrive_import"
    assert caught.value.reason.startswith(f"register_import_profiles: {bad.name!r}: {field}: ")
    assert reason in caught.value.reason


def test_a_bad_profile_is_not_an_error_before_the_start() -> None:
    """A plugin's module builds its profiles at import: the start names the plugin, not a traceback."""
    bad = ImportProfile(name="PipeDrive", system="Pipe Drive", columns={"ID": "first_name"})
    assert bad.columns == {"id": "first_name"}

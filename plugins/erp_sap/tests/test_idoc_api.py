"""The IDoc files over HTTP and on pages: who may see them, paging, bad filters, the event."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from crmkit_erp_sap.idoc.files import list_files
from crmkit_erp_sap.idoc.intake import folders_of, import_inbox, sap_system

from crmkit import SYSTEM, Crm, Event, hookimpl, utcnow
from crmkit.testing import add_user, invoke, register_plugin, seed_demo_data

from .conftest import CrmMaker, IdocFiles


class Listener:
    def __init__(self) -> None:
        self.events: list[Event] = []

    @hookimpl
    def on_event(self, app: Crm, event: Event) -> None:
        if event.type.startswith("erp_sap.idoc"):
            self.events.append(event)


@pytest.fixture
def crm(make_erp_sap: CrmMaker, idoc_inbox: Any) -> Crm:
    return make_erp_sap({"idoc": {"inbox": str(idoc_inbox), "system": "S4P"}})


@pytest.fixture
def taken(crm: Crm, idoc_files: IdocFiles) -> list[Any]:
    idoc_files.drop("1-good.xml", "DEBMAS07", idoc_files.customer("0000000000000401"))
    idoc_files.drop_bytes("2-bad.xml", b"<DEBMAS07><IDOC")
    return import_inbox(crm)


def test_each_file_taken_in_is_announced(
    make_erp_sap: CrmMaker, idoc_inbox: Any, idoc_files: IdocFiles
) -> None:
    listener = Listener()
    crm = make_erp_sap(
        {"idoc": {"inbox": str(idoc_inbox), "system": "S4P"}},
        plugins=(register_plugin(listener, name="listener"),),
    )
    idoc_files.drop("1-good.xml", "DEBMAS07", idoc_files.customer("0000000000000401"))
    idoc_files.drop_bytes("2-bad.xml", b"<DEBMAS07><IDOC")

    import_inbox(crm)

    assert [(e.type, e.payload["name"], e.payload["status"]) for e in listener.events] == [
        ("erp_sap.idoc_imported", "1-good.xml", "imported"),
        ("erp_sap.idoc_imported", "2-bad.xml", "failed"),
    ]
    assert listener.events[0].payload["applied"] == 1


def test_a_manager_lists_the_files_newest_first_a_page_at_a_time(
    crm: Crm, taken: list[Any], client_as: Any
) -> None:
    manager = add_user(crm, "max", "manager", team="north", territories=("DE-10",))
    client = client_as(manager)

    first = client.get("/p/erp_sap/idoc-files", params={"limit": 1}).json()
    second = client.get(
        "/p/erp_sap/idoc-files", params={"limit": 1, "cursor": first["next_cursor"]}
    ).json()
    failed = client.get("/p/erp_sap/idoc-files", params={"status": "failed"}).json()

    assert [f["name"] for f in first["items"] + second["items"]] == ["2-bad.xml", "1-good.xml"]
    assert [f["name"] for f in failed["items"]] == ["2-bad.xml"]


def test_a_file_shows_each_of_its_idocs(crm: Crm, taken: list[Any], client_as: Any) -> None:
    admin = add_user(crm, "ada", "admin", team="it")

    body = client_as(admin).get(f"/p/erp_sap/idoc-files/{taken[0].id}").json()

    assert body["file"]["status"] == "imported"
    assert body["entries"] == [
        {
            "docnum": "0000000000000401",
            "message_type": "DEBMAS",
            "status": "applied",
            "reference": "100042",
            "field": None,
            "reason": None,
        }
    ]


def test_bad_filters_and_unknown_files_are_refused(
    crm: Crm, taken: list[Any], client_as: Any
) -> None:
    client = client_as(add_user(crm, "ada", "admin", team="it"))

    bad = client.get("/p/erp_sap/idoc-files", params={"status": "lost"})
    unknown = client.get("/p/erp_sap/idoc-files", params={"colour": "red"})

    assert (bad.status_code, bad.json()["field"]) == (422, "status")
    assert unknown.status_code == 422
    assert client.get("/p/erp_sap/idoc-files/999999").status_code == 404


def test_sales_and_service_may_not_read_the_files(
    crm: Crm, taken: list[Any], client_as: Any
) -> None:
    for user, role in (("otto", "sales"), ("sam", "service")):
        client = client_as(add_user(crm, user, role, team="west"))
        assert client.get("/p/erp_sap/idoc-files").status_code == 403
        assert client.get(f"/p/erp_sap/idoc-files/{taken[0].id}").status_code == 403


def test_the_pages_show_the_files_and_why_one_failed(
    crm: Crm, taken: list[Any], client_as: Any
) -> None:
    client = client_as(add_user(crm, "ada", "admin", team="it"))

    listing = client.get("/p/erp_sap/page/idoc-files")
    refused = client.get(f"/p/erp_sap/page/idoc-files/{taken[1].id}")

    assert listing.status_code == 200
    assert "1-good.xml" in listing.text and "2-bad.xml" in listing.text
    assert refused.status_code == 200 and "not well-formed XML" in refused.text


def test_the_import_job_takes_in_the_inbox(
    crm: Crm, idoc_files: IdocFiles, idoc_inbox: Any
) -> None:
    idoc_files.drop("job.xml", "DEBMAS07", idoc_files.customer("0000000000000402"))

    result = crm.jobs.run("erp_sap.idoc_inbox")

    assert result.ok
    assert (idoc_inbox / "done" / "job.xml").exists()


def test_the_demo_shows_a_week_of_files_with_one_partial_and_one_refused(crm: Crm) -> None:
    seed_demo_data(crm, customers=20, prospects=5, now=utcnow().replace(microsecond=0))

    with crm.transaction(SYSTEM) as tx:
        statuses = [f.status for f in list_files(tx, limit=50).items]

    assert statuses.count("imported") == 7
    assert sorted(set(statuses)) == ["failed", "imported", "partial"]


def test_an_admin_takes_in_the_inbox_now_and_a_manager_may_not(
    crm: Crm, idoc_files: IdocFiles, idoc_inbox: Any, client_as: Any
) -> None:
    idoc_files.drop("now.xml", "DEBMAS07", idoc_files.customer("0000000000000403"))
    manager = add_user(crm, "max", "manager", team="north", territories=("DE-10",))
    admin = add_user(crm, "ada", "admin", team="it")

    refused = client_as(manager).post("/p/erp_sap/idoc-files/import")
    assert refused.status_code == 403 and (idoc_inbox / "now.xml").exists()
    taken = client_as(admin).post("/p/erp_sap/idoc-files/import")

    assert taken.status_code == 200
    assert [(f["name"], f["status"]) for f in taken.json()] == [("now.xml", "imported")]
    assert (idoc_inbox / "done" / "now.xml").exists()


def test_the_documented_settings_load(make_erp_sap: CrmMaker) -> None:
    page = (Path(__file__).parents[1] / "docs" / "idoc.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```toml\n(.*?)```", page, re.DOTALL)
    documented = tomllib.loads(block)["plugins"]["erp_sap"]

    crm = make_erp_sap(documented)

    settings = folders_of(crm)
    assert settings is not None and settings.done == Path("/srv/sap/idoc/in/done")
    assert sap_system(crm) == "S4P"


def test_an_idoc_of_a_party_the_reader_may_not_see_hides_its_number_and_data(
    crm: Crm, idoc_files: IdocFiles, client_as: Any
) -> None:
    from crmkit import link_external_id
    from crmkit.testing import add_party

    seller = add_user(crm, "otto", "sales", team="west", territories=("FR-75",))
    party_id = add_party(crm, "customer", last_name="Nordlicht", owner_id=seller.user_id)
    with crm.transaction(SYSTEM) as tx:
        link_external_id(tx, party_id, "sap.s4p", "100042")
    idoc_files.drop(
        "3-hidden.xml", "DEBMAS07", idoc_files.customer("0000000000000402", country="ZZ")
    )
    [file] = import_inbox(crm)
    manager = client_as(add_user(crm, "mo", "manager", team="east"))
    admin = client_as(add_user(crm, "ada", "admin", team="it"))

    assert manager.get(f"/api/v1/parties/{party_id}").status_code == 404
    detail = manager.get(f"/p/erp_sap/idoc-files/{file.id}").json()
    [entry] = detail["entries"]
    assert entry["reference"] is None and "ZZ" not in entry["reason"]
    assert "ZZ" not in detail["file"]["error"]
    [listed] = manager.get("/p/erp_sap/idoc-files").json()["items"]
    assert "ZZ" not in listed["error"]
    assert "100042" not in manager.get(f"/p/erp_sap/page/idoc-files/{file.id}").text
    shown = admin.get(f"/p/erp_sap/idoc-files/{file.id}").json()
    assert shown["entries"][0]["reference"] == "100042" and "ZZ" in shown["file"]["error"]


def test_an_inbox_that_is_no_folder_is_said_not_silently_empty(
    crm: Crm, idoc_inbox: Any, client_as: Any
) -> None:
    shutil.rmtree(idoc_inbox)  # gone, or mistyped in crmkit.toml
    result = invoke(crm, "erp_sap", "idoc", "import")
    job = crm.jobs.run("erp_sap.idoc_inbox")
    answer = client_as(add_user(crm, "ida", "admin", team="it")).post(
        "/p/erp_sap/idoc-files/import"
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{idoc_inbox} is not a folder" in result.output
    assert not job.ok
    assert answer.status_code == 503 and "is not a folder" in answer.json()["detail"]
    assert not idoc_inbox.exists()  # nothing made up in its place

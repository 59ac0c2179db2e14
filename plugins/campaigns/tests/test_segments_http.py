"""The segments JSON API: saved segments with version and 409, previews, lists, imports."""

from __future__ import annotations

from typing import Any

from crmkit_campaigns.segments.tables import list_member, segment
from sqlalchemy import func, select

from crmkit import Crm, link_external_id, metadata

MUNICH = [{"street": "Marienplatz 1", "postcode": "80331", "city": "München", "country": "DE"}]
CUSTOMERS = {"criterion": "role", "op": "eq", "value": "customer"}
BASE = "/p/campaigns"


def count(crm: Crm, table: Any) -> int:
    with crm.transaction() as tx:
        return int(tx.conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_segment_crud_with_versions(crm: Crm, staff: Any, client_as: Any, new_party: Any) -> None:
    http = client_as(staff.marketer)
    made = http.post(
        f"{BASE}/segments",
        json={"name": "Customers", "description": "All of them", "definition": CUSTOMERS},
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["version"] == 1 and body["owner_id"] == staff.marketer.user_id
    one = http.get(f"{BASE}/segments/{body['id']}").json()
    assert one["definition"] == CUSTOMERS
    assert [s["name"] for s in http.get(f"{BASE}/segments").json()] == ["Customers"]
    changed = http.patch(f"{BASE}/segments/{body['id']}", json={"name": "Buyers", "version": 1})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = http.patch(f"{BASE}/segments/{body['id']}", json={"name": "Old", "version": 1})
    assert stale.status_code == 409
    assert http.get(f"{BASE}/segments/{body['id']}").json()["name"] == "Buyers"
    assert http.delete(f"{BASE}/segments/{body['id']}?version=1").status_code == 409
    assert http.delete(f"{BASE}/segments/{body['id']}?version=2").status_code == 204
    assert http.get(f"{BASE}/segments/{body['id']}").status_code == 404


def test_a_malformed_definition_is_a_problem_naming_its_path(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    http = client_as(staff.marketer)
    bad = {"all": [CUSTOMERS, CUSTOMERS, {"criterion": "territory", "value": 42}]}
    answer = http.post(f"{BASE}/segments", json={"name": "Bad", "definition": bad})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "definition.all[2].value" in answer.text
    assert count(crm, segment) == 0
    preview = http.post(f"{BASE}/segments/preview", json={"definition": {"any": []}})
    assert preview.status_code == 422 and "definition.any" in preview.text


def test_preview_counts_what_the_reader_sees(
    crm: Crm, staff: Any, client_as: Any, new_party: Any
) -> None:
    berlin = [new_party(last_name=f"Berliner{i}") for i in range(3)]
    new_party(addresses=MUNICH)
    definition = {"criterion": "city", "op": "eq", "value": "Berlin"}
    answer = client_as(staff.marketer).post(
        f"{BASE}/segments/preview", json={"definition": definition}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 3
    assert [p["id"] for p in body["sample"]] == berlin
    assert body["sample"][0] == {
        "id": berlin[0],
        "name": "Ada Berliner0",
        "role": "customer",
        "city": "Berlin",
        "country": "DE",
    }
    # The sales rep of FR-75 may not preview segments at all.
    assert (
        client_as(staff.outsider)
        .post(f"{BASE}/segments/preview", json={"definition": definition})
        .status_code
        == 403
    )


def test_criteria_catalogue(crm: Crm, staff: Any, client_as: Any) -> None:
    names = [c["name"] for c in client_as(staff.marketer).get(f"{BASE}/segments/criteria").json()]
    assert {"role", "territory", "consent", "interactions", "segment", "list"} <= set(names)
    assert "orders" not in names  # sfa is not installed here


def test_static_list_import_reports_bad_lines_and_stores_the_good(
    crm: Crm, staff: Any, client_as: Any, new_party: Any, new_user: Any
) -> None:
    http = client_as(staff.marketer)
    ada = new_party(emails=["ada@example.org"])
    bob = new_party(emails=["bob@example.org"], first_name="Bob")
    made = http.post(f"{BASE}/lists", json={"name": "Fair visitors"}).json()
    csv = (
        "name;email\n"
        "Ada;ADA@example.org\n"
        "Nobody;nobody@example.org\n"
        "Broken;not-an-address\n"
        "\n"
        "Bob;bob@example.org\n"
    )
    answer = http.post(
        f"{BASE}/lists/{made['id']}/import",
        content=csv.encode(),
        headers={"content-type": "text/csv"},
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["lines"] == 4 and report["matched"] == 2 and report["added"] == 2
    assert [(u["line"], u["value"]) for u in report["unmatched"]] == [
        (3, "nobody@example.org"),
        (4, "not-an-address"),
    ]
    members = http.get(f"{BASE}/lists/{made['id']}/members").json()
    assert sorted(m["id"] for m in members) == sorted([ada, bob])
    # By party id, as JSON: an id nobody sees is reported, never added.
    answer = http.post(f"{BASE}/lists/{made['id']}/import", json={"party_ids": [ada, 999999]})
    assert answer.json()["added"] == 0 and answer.json()["unmatched"][0]["value"] == "999999"


def test_a_malformed_file_stores_nothing(
    crm: Crm, staff: Any, client_as: Any, new_party: Any
) -> None:
    http = client_as(staff.marketer)
    new_party()
    made = http.post(f"{BASE}/lists", json={"name": "Imported"}).json()
    for content in (b"\xff\xfe\x00bad", b"name,phone\nAda,123\n", b"email\n"):
        answer = http.post(
            f"{BASE}/lists/{made['id']}/import",
            content=content,
            headers={"content-type": "text/csv"},
        )
        assert answer.status_code == 422 and '"file"' in answer.text.replace(" ", "")
    assert count(crm, list_member) == 0


def test_members_only_of_visible_parties(
    crm: Crm, staff: Any, client_as: Any, new_party: Any
) -> None:
    http = client_as(staff.marketer)
    ada = new_party()
    made = http.post(f"{BASE}/lists", json={"name": "Few"}).json()
    refused = http.post(f"{BASE}/lists/{made['id']}/members", json={"party_ids": [ada, 424242]})
    assert refused.status_code == 422 and "party_ids[1]" in refused.text
    assert count(crm, list_member) == 0
    added = http.post(f"{BASE}/lists/{made['id']}/members", json={"party_ids": [ada]})
    assert added.json()["members"] == 1
    removed = http.post(f"{BASE}/lists/{made['id']}/members/remove", json={"party_ids": [ada]})
    assert removed.json()["members"] == 0


def test_suppression_list_addresses(crm: Crm, staff: Any, client_as: Any, new_party: Any) -> None:
    http = client_as(staff.marketer)
    kept = new_party(emails=["kept@example.org"])
    new_party(emails=["gone@example.org"])
    made = http.post(f"{BASE}/suppression-lists", json={"name": "Do not mail"}).json()
    answer = http.post(
        f"{BASE}/suppression-lists/{made['id']}/import",
        content=b"email\nGone@Example.org\nwrong\n",
        headers={"content-type": "text/csv"},
    )
    assert answer.json()["added"] == 1 and answer.json()["unmatched"][0]["line"] == 3
    assert http.get(f"{BASE}/suppression-lists/{made['id']}/addresses").json() == [
        "gone@example.org"
    ]
    preview = http.post(f"{BASE}/segments/preview", json={"definition": {"all": []}}).json()
    assert [p["id"] for p in preview["sample"]] == [kept]
    # A suppression list is not a static list.
    assert http.get(f"{BASE}/lists/{made['id']}").status_code == 404
    bad = http.post(f"{BASE}/suppression-lists/{made['id']}/addresses", json={"emails": ["x"]})
    assert bad.status_code == 422 and "emails[0]" in bad.text


def test_import_by_external_id_never_tells_which_exist(
    crm: Crm, staff: Any, client_as: Any, new_party: Any, new_user: Any
) -> None:
    """Mona exists (erp/K-1) but the manager may not see her; K-999 exists nowhere: the
    manager is told the same of both."""
    other_rep = new_user("sam", "sales", team="south", territories=("DE-8",))
    mona = new_party(owner_id=other_rep.user_id, addresses=MUNICH)
    with crm.transaction() as tx:
        link_external_id(tx, mona, "erp", "K-1")
    http = client_as(staff.manager)
    made = http.post(f"{BASE}/lists", json={"name": "ERP"}).json()
    answer = http.post(
        f"{BASE}/lists/{made['id']}/import",
        json={"external_ids": [{"system": "erp", "id": "K-1"}, {"system": "erp", "id": "K-999"}]},
    )
    assert answer.status_code == 200, answer.text
    reasons = [u["reason"] for u in answer.json()["unmatched"]]
    assert len(reasons) == 2 and reasons[0] == reasons[1]
    csv = "system,external_id\nerp,K-1\nerp,K-999\n"
    answer = http.post(
        f"{BASE}/lists/{made['id']}/import",
        content=csv.encode(),
        headers={"content-type": "text/csv"},
    )
    reasons = [u["reason"] for u in answer.json()["unmatched"]]
    assert len(reasons) == 2 and reasons[0] == reasons[1]
    assert count(crm, list_member) == 0


def test_import_refuses_loose_external_ids_and_unclosed_quotes(
    crm: Crm, staff: Any, client_as: Any, new_party: Any
) -> None:
    http = client_as(staff.marketer)
    new_party(emails=["ada@example.org"])
    made = http.post(f"{BASE}/lists", json={"name": "Imported"}).json()
    answer = http.post(
        f"{BASE}/lists/{made['id']}/import",
        json={"external_ids": [{"system": None, "id": None}]},
    )
    assert answer.status_code == 422 and "external_ids[0].system" in answer.text
    answer = http.post(
        f"{BASE}/lists/{made['id']}/import",
        content=b'email,note\nada@example.org,"unclosed\nbob@example.org,x\n',
        headers={"content-type": "text/csv"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "file" and "line" in answer.json()["detail"]
    assert count(crm, list_member) == 0


def test_delete_needs_the_version(crm: Crm, staff: Any, client_as: Any) -> None:
    http = client_as(staff.marketer)
    saved = http.post(f"{BASE}/segments", json={"name": "C", "definition": CUSTOMERS}).json()
    made = http.post(f"{BASE}/lists", json={"name": "L"}).json()
    for path in (f"/segments/{saved['id']}", f"/lists/{made['id']}"):
        answer = http.delete(f"{BASE}{path}")
        assert answer.status_code == 422 and answer.json()["field"] == "version"
        assert http.get(f"{BASE}{path}").status_code == 200


def test_what_a_saved_segment_refers_to_cannot_be_deleted(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    http = client_as(staff.marketer)
    inner = http.post(f"{BASE}/segments", json={"name": "In", "definition": CUSTOMERS}).json()
    made = http.post(f"{BASE}/lists", json={"name": "L"}).json()
    quiet = http.post(f"{BASE}/suppression-lists", json={"name": "Q"}).json()
    outer = http.post(
        f"{BASE}/segments",
        json={
            "name": "Out",
            "definition": {
                "all": [
                    {"criterion": "segment", "value": inner["id"]},
                    {"not": {"criterion": "list", "value": str(made["id"])}},
                    {"criterion": "list", "op": "not_in", "value": quiet["id"]},
                ]
            },
        },
    ).json()
    for path in (
        f"/segments/{inner['id']}",
        f"/lists/{made['id']}",
        f"/suppression-lists/{quiet['id']}",
    ):
        answer = http.delete(f"{BASE}{path}?version=1")
        assert answer.status_code == 409, answer.text
        assert f"segment(s) {outer['id']}" in answer.json()["detail"]
        assert http.get(f"{BASE}{path}").status_code == 200
    assert http.get(f"{BASE}/segments/{outer['id']}/preview").status_code == 200
    assert http.delete(f"{BASE}/segments/{outer['id']}?version=1").status_code == 204
    assert http.delete(f"{BASE}/segments/{inner['id']}?version=1").status_code == 204
    assert http.delete(f"{BASE}/lists/{made['id']}?version=1").status_code == 204


def test_a_patch_changing_nothing_keeps_the_version(crm: Crm, staff: Any, client_as: Any) -> None:
    http = client_as(staff.marketer)
    saved = http.post(f"{BASE}/segments", json={"name": "C", "definition": CUSTOMERS}).json()
    made = http.post(f"{BASE}/lists", json={"name": "L"}).json()
    for path in (f"/segments/{saved['id']}", f"/lists/{made['id']}"):
        same = http.patch(f"{BASE}{path}", json={"version": 1})
        assert same.status_code == 200 and same.json()["version"] == 1
        assert http.patch(f"{BASE}{path}", json={"version": 7}).status_code == 409
    outbox = metadata.tables["core_outbox"]
    with crm.transaction() as tx:
        changed = tx.conn.execute(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.event_type.in_(["campaigns.segment_changed", "campaigns.list_changed"]))
        ).scalar_one()
    assert changed == 0


def test_the_api_refuses_text_no_database_stores_in_a_definition(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    http = client_as(staff.marketer)
    for text in ('"\\u0000"', '"\\ud800"'):
        body = f'{{"definition": {{"criterion": "name", "op": "eq", "value": {text}}}}}'
        answer = http.post(
            f"{BASE}/segments/preview",
            content=body.encode(),
            headers={"content-type": "application/json"},
        )
        assert answer.status_code == 422, answer.text

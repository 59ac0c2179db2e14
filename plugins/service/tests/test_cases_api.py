"""The case routes under /p/service/: a case through its lifecycle over HTTP, refusals, visibility."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from crmkit_service.cases import relations, service
from crmkit_service.cases.tables import case as case_table
from sqlalchemy import func, select, update

from crmkit import SYSTEM, ValidationError


def test_a_case_over_http(crm, staff, new_party, client_as) -> None:
    party = new_party()
    with client_as(staff.agent) as client:
        created = client.post(
            "/p/service/cases",
            json={"party_id": party, "subject": "Invoice twice", "kind": "complaint"},
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["number"] == f"CS-{body['id']:06d}" and body["status"] == "new"
        url = f"/p/service/cases/{body['id']}"
        assert client.post(f"{url}/notes", json={"body": "Checked the ledger."}).status_code == 201
        replied = client.post(
            f"{url}/replies",
            json={"body": "We refund one.", "status": "waiting_on_customer", "version": 1},
        )
        assert replied.status_code == 201, replied.text
        stale = client.post(f"{url}/status", json={"status": "open", "version": 1})
        assert stale.status_code == 409
        current = client.get(url).json()
        resolved = client.post(
            f"{url}/status",
            json={
                "status": "resolved",
                "root_cause": "billing run twice",
                "version": current["version"],
            },
        )
        assert resolved.status_code == 200 and resolved.json()["root_cause"] == "billing run twice"
        public = client.get(f"{url}/events?public_only=true").json()
        assert "note" not in [e["kind"] for e in public]
        assert [e["kind"] for e in client.get(f"{url}/events").json()].count("note") == 1
        listed = client.get(f"/p/service/cases?party_id={party}").json()
        assert [c["id"] for c in listed["items"]] == [body["id"]]
        for query, field in (("?party=1", "party"), ("?team=a&team=b", "team")):
            refused = client.get(f"/p/service/cases{query}")
            assert refused.status_code == 422 and refused.json()["field"] == field
        assert client.get(f"/p/service/parties/{party}/cases").json()[0]["id"] == body["id"]


def test_bad_bodies_name_the_field_and_store_nothing(crm, staff, new_party, client_as) -> None:
    party = new_party()
    bad: list[tuple[dict[str, Any], str]] = [
        ({"party_id": party}, "subject"),
        ({"party_id": "x", "subject": "s"}, "party_id"),
        ({"party_id": party, "subject": "s", "priority": "asap"}, "priority"),
        ({"party_id": party, "subject": "s", "extra": 1}, "extra"),
        ({"party_id": party, "subject": "s" * 301}, "subject"),
    ]
    with client_as(staff.agent) as client:
        for body, field in bad:
            answer = client.post("/p/service/cases", json=body)
            assert answer.status_code == 422, (body, answer.text)
            assert answer.json()["field"] == field
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(case_table)).scalar() == 0


def test_hidden_parties_cases_are_not_found_and_never_listed(
    crm, staff, new_party, client_as
) -> None:
    prospect = new_party(role="prospect")
    with crm.transaction(SYSTEM) as tx:
        hidden = service.open_case(tx, {"party_id": prospect, "subject": "Quote?"})
    with client_as(staff.agent) as client:
        refused = client.post("/p/service/cases", json={"party_id": prospect, "subject": "Hi"})
        assert refused.status_code == 404
        assert client.get(f"/p/service/cases/{hidden.id}").status_code == 404
        assert client.get(f"/p/service/cases/{hidden.id}/events").status_code == 404
        assert (
            client.post(f"/p/service/cases/{hidden.id}/notes", json={"body": "peek"}).status_code
            == 404
        )
        assert client.get("/p/service/cases").json()["items"] == []
        assert client.get(f"/p/service/parties/{prospect}/cases").status_code == 404
        trends = client.get("/p/service/trends?dimension=product").json()
        assert trends == []
    with client_as(staff.manager) as client:
        assert [c["id"] for c in client.get("/p/service/cases").json()["items"]] == [hidden.id]


def test_a_read_only_user_may_look_but_not_touch(
    crm, staff, new_user, new_party, client_as
) -> None:
    reader, party = new_user("rudi", "read-only"), new_party()
    with crm.transaction(SYSTEM) as tx:
        opened = service.open_case(tx, {"party_id": party, "subject": "Noise"})
    with client_as(reader) as client:
        assert client.get(f"/p/service/cases/{opened.id}").status_code == 200
        assert (
            client.post(f"/p/service/cases/{opened.id}/notes", json={"body": "x"}).status_code
            == 403
        )


def test_categories_make_a_tree_and_filter_lists(crm, staff, new_party, client_as) -> None:
    with client_as(staff.manager) as client:
        root = client.post("/p/service/categories", json={"name": "Billing"}).json()
        child = client.post(
            "/p/service/categories", json={"name": "Refunds", "parent_id": root["id"]}
        ).json()
        assert child["path"] == "Billing / Refunds"
        twice = client.post("/p/service/categories", json={"name": "billing"})
        assert twice.status_code == 422 and twice.json()["field"] == "name"
        opened = client.post(
            "/p/service/cases",
            json={"party_id": new_party(), "subject": "Refund", "category_id": child["id"]},
        ).json()
        found = client.get(f"/p/service/cases?category_id={root['id']}").json()["items"]
        assert [c["id"] for c in found] == [opened["id"]]
        in_use = client.delete(f"/p/service/categories/{child['id']}")
        assert in_use.status_code == 422
    with client_as(staff.agent) as client:
        assert client.post("/p/service/categories", json={"name": "X"}).status_code == 403


def test_links_and_merges(crm, staff, new_party, client_as) -> None:
    party = new_party()
    with client_as(staff.agent) as client:
        first, second, third = (
            client.post("/p/service/cases", json={"party_id": party, "subject": s}).json()
            for s in ("No power", "No power!!", "Also the fan")
        )
        linked = client.post(
            f"/p/service/cases/{third['id']}/links", json={"other_id": second["id"]}
        )
        assert linked.status_code == 201
        client.post(f"/p/service/cases/{second['id']}/notes", json={"body": "Fuse?"})
        merged = client.post(
            f"/p/service/cases/{second['id']}/merge", json={"other_id": first["id"]}
        )
        assert merged.status_code == 200, merged.text
        duplicate = client.get(f"/p/service/cases/{second['id']}").json()
        assert (duplicate["status"], duplicate["merged_into_id"]) == ("closed", first["id"])
        events = client.get(f"/p/service/cases/{first['id']}/events").json()
        assert "Fuse?" in [e["body"] for e in events]
        links = client.get(f"/p/service/cases/{first['id']}/links").json()
        assert [link["case_id"] for link in links] == [third["id"]]
        again = client.post(
            f"/p/service/cases/{second['id']}/merge", json={"other_id": first["id"]}
        )
        assert again.status_code == 422 and again.json()["field"] == "case_id"
        listed = [c["id"] for c in client.get("/p/service/cases").json()["items"]]
        assert second["id"] not in listed


def test_links_leave_out_a_case_whose_party_is_hidden(crm, staff, new_party, client_as) -> None:
    mine, prospect = new_party(), new_party(role="prospect")
    with crm.transaction(SYSTEM) as tx:
        seen = service.open_case(tx, {"party_id": mine, "subject": "Seen"})
        hidden = service.open_case(tx, {"party_id": prospect, "subject": "Hidden"})
    with client_as(staff.manager) as client:
        linked = client.post(f"/p/service/cases/{hidden.id}/links", json={"other_id": seen.id})
        assert linked.status_code == 201
        assert [x["case_id"] for x in client.get(f"/p/service/cases/{seen.id}/links").json()] == [
            hidden.id
        ]
    with client_as(staff.agent) as client:
        assert client.get(f"/p/service/cases/{hidden.id}").status_code == 404
        assert client.get(f"/p/service/cases/{seen.id}/links").json() == []
        assert hidden.number not in client.get(f"/p/service/cases/{seen.id}/page").text


def test_a_merged_case_is_not_linked(crm, staff, new_party, client_as) -> None:
    party = new_party()
    with client_as(staff.agent) as client:
        a, b, d = (
            client.post("/p/service/cases", json={"party_id": party, "subject": s}).json()["id"]
            for s in "abd"
        )
        assert client.post(f"/p/service/cases/{a}/merge", json={"other_id": b}).status_code == 200
        from_merged = client.post(f"/p/service/cases/{a}/links", json={"other_id": d})
        assert from_merged.status_code == 422 and from_merged.json()["field"] == "case_id"
        to_merged = client.post(f"/p/service/cases/{d}/links", json={"other_id": a})
        assert to_merged.status_code == 422 and to_merged.json()["field"] == "other_id"
        assert client.get(f"/p/service/cases/{d}/links").json() == []


def test_cross_merges_at_once_make_no_loop(crm, new_party) -> None:
    party = new_party()
    with crm.transaction(SYSTEM) as tx:
        a = service.open_case(tx, {"party_id": party, "subject": "A"})
        b = service.open_case(tx, {"party_id": party, "subject": "B"})
    with crm.read() as conn:
        if conn.dialect.name != "postgresql":
            pytest.skip("SQLite runs one writing transaction at a time")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def merge(case_id: int, into_id: int) -> None:
        try:
            with crm.transaction(SYSTEM) as tx:
                barrier.wait(timeout=10)
                relations.merge_cases(tx, case_id, into_id)
            outcomes.append("merged")
        except ValidationError as exc:
            outcomes.append(exc.field or "")

    threads = [threading.Thread(target=merge, args=pair) for pair in ((a.id, b.id), (b.id, a.id))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["merged", "other_id"]
    with crm.read() as conn:
        pointers = [service.load_case(conn, c.id).merged_into_id for c in (a, b)]
    assert pointers.count(None) == 1


def test_a_merge_loop_is_refused_not_followed(crm, new_party) -> None:
    party = new_party()
    with crm.transaction(SYSTEM) as tx:
        a = service.open_case(tx, {"party_id": party, "subject": "A"})
        b = service.open_case(tx, {"party_id": party, "subject": "B"})
        for this, that in ((a, b), (b, a)):
            tx.conn.execute(
                update(case_table).where(case_table.c.id == this.id).values(merged_into_id=that.id)
            )
    with pytest.raises(ValidationError) as refused, crm.transaction(SYSTEM) as tx:
        service.customer_reply(tx, a.id, "hello?")
    assert refused.value.field == "case_id"


def test_trends_count_per_period_and_dimension(crm, staff, new_party, client_as) -> None:
    party = new_party()
    with client_as(staff.agent) as client:
        for product in ("Kettle", "Kettle", "Toaster"):
            client.post(
                "/p/service/cases",
                json={"party_id": party, "subject": "Broken", "product": product},
            )
        points = client.get("/p/service/trends?dimension=product&period=week").json()
        assert [(p["label"], p["count"]) for p in points] == [("Kettle", 2), ("Toaster", 1)]
        bad = client.get("/p/service/trends?period=year")
        assert bad.status_code == 422 and bad.json()["field"] == "period"


def test_the_openapi_document_describes_the_case_routes(crm, staff, client_as) -> None:
    with client_as(staff.manager) as client:
        document = client.get("/api/openapi.json").json()
    paths = document["paths"]
    assert "/p/service/cases/{case_id}/replies" in paths
    post = paths["/p/service/cases"]["post"]
    assert post["responses"]["201"]
    assert "/p/service/trends" in paths and "/p/service/categories" in paths


def test_null_clears_what_may_be_empty_and_leaves_the_rest(
    crm, staff, new_party, client_as
) -> None:
    with client_as(staff.manager) as client:
        billing = client.post("/p/service/categories", json={"name": "Billing"}).json()
        made = client.post(
            "/p/service/cases",
            json={
                "party_id": new_party(),
                "subject": "Dunning letter",
                "priority": None,
                "category_id": billing["id"],
                "product": "Plan S",
            },
        ).json()
        assert made["priority"] == "normal"
        changed = client.patch(
            f"/p/service/cases/{made['id']}",
            json={
                "subject": None,
                "priority": None,
                "category_id": None,
                "product": None,
                "version": 1,
            },
        )
        assert changed.status_code == 200, changed.text
        body = changed.json()
        assert (body["subject"], body["priority"], body["category_id"], body["product"]) == (
            "Dunning letter",
            "normal",
            None,
            None,
        )
        events = client.get(f"/p/service/cases/{made['id']}/events").json()
        assert [e["kind"] for e in events] == ["created", "category", "updated"]

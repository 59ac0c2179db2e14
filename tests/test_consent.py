"""Consent per purpose and channel: the statement in force, double opt-in, privacy export and erasure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from crmkit import Actor, NotFound, ValidationError
from crmkit.app import Crm
from crmkit.core.audit import history
from crmkit.core.consent import (
    confirm_consent,
    consenting,
    consents_of,
    consents_of_parties,
    record_consent,
)
from crmkit.core.parties import build_party, create_party, merge_parties
from crmkit.core.privacy import erase_party, export_party
from crmkit.core.tables import consent


def add(crm: Crm) -> int:
    with crm.transaction() as tx:
        created = create_party(tx, build_party("customer", {"last_name": "Ng"}, region="DE"))
    assert created.id is not None
    return created.id


def state(crm: Crm, party_id: int) -> dict[tuple[str, str], str]:
    with crm.read() as conn:
        return {(c.purpose, c.channel): c.status for c in consents_of(conn, party_id)}


def test_the_latest_statement_per_purpose_and_channel_is_in_force(crm: Crm) -> None:
    party_id = add(crm)
    with crm.transaction() as tx:
        record_consent(tx, party_id, "newsletter", "email", "granted", source="web-form")
        record_consent(tx, party_id, "marketing", "sms", "granted", source="shop")
        record_consent(tx, party_id, "newsletter", "email", "withdrawn", source="unsubscribe")
    assert state(crm, party_id) == {
        ("marketing", "sms"): "granted",
        ("newsletter", "email"): "withdrawn",
    }


def test_the_consents_of_many_parties_are_each_partys_own_in_force(crm: Crm) -> None:
    ada, bob, cy = add(crm), add(crm), add(crm)
    with crm.transaction() as tx:
        record_consent(tx, ada, "newsletter", "email", "granted", source="web-form")
        record_consent(tx, bob, "newsletter", "email", "granted", source="web-form")
        record_consent(tx, bob, "newsletter", "email", "withdrawn", source="unsubscribe")
        record_consent(tx, bob, "marketing", "sms", "granted", source="shop")
    with crm.read() as conn:
        found = consents_of_parties(conn, [ada, bob, cy])
        assert found == {ada: consents_of(conn, ada), bob: consents_of(conn, bob)}
    assert [(c.purpose, c.channel, c.status) for c in found[bob]] == [
        ("marketing", "sms", "granted"),
        ("newsletter", "email", "withdrawn"),
    ]


def test_consenting_names_the_pairs_whose_statement_in_force_on_the_channel_grants(
    crm: Crm,
) -> None:
    ada, bob, cy = add(crm), add(crm), add(crm)
    with crm.transaction() as tx:
        record_consent(tx, ada, "newsletter", "email", "granted", source="web-form")
        record_consent(tx, ada, "marketing", "email", "withdrawn", source="web-form")
        record_consent(tx, bob, "newsletter", "email", "granted", source="web-form")
        record_consent(tx, bob, "newsletter", "email", "withdrawn", source="unsubscribe")
        record_consent(tx, bob, "newsletter", "sms", "granted", source="shop")
        record_consent(tx, cy, "marketing", "email", "withdrawn", source="shop")
        record_consent(tx, cy, "marketing", "email", "granted", source="shop")
    asked = {(p, q) for p in (ada, bob, cy) for q in ("newsletter", "marketing")}
    with crm.read() as conn:
        assert consenting(conn, asked, "email") == {(ada, "newsletter"), (cy, "marketing")}
        assert consenting(conn, asked, "sms") == {(bob, "newsletter")}
        # Only what was asked: Ada's newsletter consent is not named when only Cy is asked.
        assert consenting(conn, {(cy, "marketing"), (ada, "marketing")}, "email") == {
            (cy, "marketing")
        }
        assert consenting(conn, set(), "email") == set()


@pytest.mark.parametrize(
    ("purpose", "channel", "status", "field"),
    [
        ("newsletter", "fax", "granted", "channel"),
        ("Newsletter!", "email", "granted", "purpose"),
        ("newsletter", "email", "maybe", "status"),
    ],
)
def test_bad_consent_names_the_field_and_stores_nothing(
    crm: Crm, purpose: str, channel: str, status: str, field: str
) -> None:
    party_id = add(crm)
    with pytest.raises(ValidationError) as raised, crm.transaction() as tx:
        record_consent(tx, party_id, purpose, channel, status, source="web-form")
    assert raised.value.field == field
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(consent)).scalar() == 0


def test_consent_for_a_missing_party_is_not_found(crm: Crm) -> None:
    with pytest.raises(NotFound), crm.transaction() as tx:
        record_consent(tx, 404, "newsletter", "email", "granted", source="web-form")


def test_double_opt_in_grants_consent_once_with_its_token(crm: Crm) -> None:
    party_id = add(crm)
    with crm.transaction() as tx:
        pending, token = record_consent(
            tx, party_id, "newsletter", "email", "pending", source="web-form"
        )
    assert token and pending.status == "pending"
    assert state(crm, party_id) == {("newsletter", "email"): "pending"}
    with crm.transaction() as tx:
        granted = confirm_consent(tx, token)
    assert granted.status == "granted" and granted.source == "double-opt-in"
    assert state(crm, party_id) == {("newsletter", "email"): "granted"}
    with pytest.raises(NotFound), crm.transaction() as tx:
        confirm_consent(tx, token)


def test_a_withdrawal_voids_the_pending_token(crm: Crm) -> None:
    party_id = add(crm)
    with crm.transaction() as tx:
        _, token = record_consent(tx, party_id, "newsletter", "email", "pending", source="web")
        record_consent(tx, party_id, "newsletter", "email", "withdrawn", source="phone call")
    assert token is not None
    with pytest.raises(NotFound), crm.transaction() as tx:
        confirm_consent(tx, token)
    assert state(crm, party_id) == {("newsletter", "email"): "withdrawn"}


def test_statements_of_consent_enter_the_party_audit_trail(crm: Crm) -> None:
    party_id = add(crm)
    with crm.transaction() as tx:
        record_consent(tx, party_id, "newsletter", "email", "granted", source="web-form")
        record_consent(tx, party_id, "newsletter", "email", "withdrawn", source="unsubscribe")
    with crm.read() as conn:
        latest = history(conn, "party", party_id)[0]
    assert latest.changes == {"consent.newsletter.email": ["granted", "withdrawn"]}


def test_privacy_export_holds_every_statement_but_no_token(crm: Crm) -> None:
    party_id = add(crm)
    with crm.transaction() as tx:
        record_consent(tx, party_id, "newsletter", "email", "pending", source="web-form")
        record_consent(
            tx, party_id, "marketing", "post", "granted", source="shop", evidence="signed form 17"
        )
    with crm.read() as conn:
        exported = export_party(conn, crm.host, party_id)["consents"]
    assert [(c["purpose"], c["status"], c["evidence"]) for c in exported] == [
        ("newsletter", "pending", None),
        ("marketing", "granted", "signed form 17"),
    ]
    assert all("token_hash" not in c for c in exported)


def test_erasing_the_party_erases_its_consent(crm: Crm) -> None:
    party_id, other = add(crm), add(crm)
    with crm.transaction() as tx:
        record_consent(tx, party_id, "newsletter", "email", "granted", source="web-form")
        record_consent(tx, other, "newsletter", "email", "granted", source="web-form")
        erase_party(tx, party_id)
    with crm.read() as conn:
        left = conn.execute(select(consent.c.party_id)).scalars().all()
    assert left == [other]


ADMIN = Actor(user_id=None, username="ada", role="admin")


def test_api_records_a_pending_consent_and_confirms_it(
    crm: Crm, client_as: Callable[..., Any]
) -> None:
    party_id = add(crm)
    body = {"purpose": "newsletter", "channel": "email", "status": "pending", "source": "web"}
    with client_as(ADMIN) as client:
        recorded = client.post(f"/api/v1/parties/{party_id}/consents", json=body)
        assert recorded.status_code == 201, recorded.text
        token = recorded.json()["confirmation_token"]
        confirmed = client.post("/api/v1/consents/confirm", json={"token": token})
        assert confirmed.status_code == 200, confirmed.text
        listed = client.get(f"/api/v1/parties/{party_id}/consents").json()
        again = client.post("/api/v1/consents/confirm", json={"token": token})
    assert [(c["purpose"], c["channel"], c["status"]) for c in listed] == [
        ("newsletter", "email", "granted")
    ]
    assert again.status_code == 404


def test_api_names_the_unknown_field_of_a_consent(crm: Crm, client_as: Callable[..., Any]) -> None:
    party_id = add(crm)
    body = {"purpose": "newsletter", "channel": "email", "status": "granted", "sauce": "web"}
    with client_as(ADMIN) as client:
        response = client.post(f"/api/v1/parties/{party_id}/consents", json=body)
    assert response.status_code == 422
    assert "sauce" in response.text
    assert state(crm, party_id) == {}


def test_read_only_may_see_consent_but_not_record_it(
    crm: Crm, client_as: Callable[..., Any]
) -> None:
    party_id = add(crm)
    body = {"purpose": "newsletter", "channel": "email", "status": "granted", "source": "web"}
    with client_as(Actor(user_id=3, username="rob", role="read-only")) as client:
        assert client.get(f"/api/v1/parties/{party_id}/consents").status_code == 200
        refused = client.post(f"/api/v1/parties/{party_id}/consents", json=body)
    assert refused.status_code == 403
    assert state(crm, party_id) == {}


def test_consent_of_a_party_out_of_sight_is_not_found_neither_recorded_nor_confirmed(
    crm: Crm, client_as: Callable[..., Any]
) -> None:
    party_id = add(crm)
    with crm.transaction() as tx:
        _, token = record_consent(tx, party_id, "newsletter", "email", "pending", source="web")
    body = {"purpose": "phone-calls", "channel": "phone", "status": "granted", "source": "call"}
    stranger = Actor(user_id=99, username="sue", role="sales", territories=("FR",))
    reader = Actor(user_id=3, username="rob", role="read-only")
    with client_as(stranger) as client:
        recorded = client.post(f"/api/v1/parties/{party_id}/consents", json=body)
        confirmed = client.post("/api/v1/consents/confirm", json={"token": token})
    # A token of a party one sees but may not write to is as good as unknown, too.
    with client_as(reader) as client:
        confirmed_by_reader = client.post("/api/v1/consents/confirm", json={"token": token})
    assert recorded.status_code == confirmed.status_code == confirmed_by_reader.status_code == 404
    assert state(crm, party_id) == {("newsletter", "email"): "pending"}


def test_merging_keeps_the_consent_of_the_merged_party_on_the_survivor(crm: Crm) -> None:
    survivor, duplicate = add(crm), add(crm)
    with crm.transaction() as tx:
        record_consent(tx, survivor, "newsletter", "email", "granted", source="web-form")
        record_consent(tx, duplicate, "marketing", "post", "granted", source="shop")
        record_consent(tx, duplicate, "newsletter", "email", "withdrawn", source="unsubscribe")
        merge_parties(tx, survivor, duplicate)
    assert state(crm, survivor) == {
        ("marketing", "post"): "granted",
        ("newsletter", "email"): "withdrawn",
    }

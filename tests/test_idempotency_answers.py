"""Answers kept for Idempotency-Key retries: pruned after their retention, forgotten with a party."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select, update

from crmkit import Actor, hookimpl
from crmkit.app import Crm
from crmkit.core import migrate
from crmkit.core.errors import ConfigurationError
from crmkit.core.privacy import erase_party
from crmkit.core.settings import Settings, load_settings
from crmkit.core.tables import idempotency_key, idempotency_party, utcnow
from crmkit.testing import http_client, register_plugin

MakeCrm = Callable[..., Crm]
ADMIN = Actor(user_id=None, username="tester", role="admin")


def app_and_client(make_crm: MakeCrm, **options: Any) -> tuple[Crm, Any]:
    signon = types.SimpleNamespace(actor_from_request=hookimpl(lambda app, request: ADMIN))
    crm = make_crm([register_plugin(signon, name="signon")], **options)
    return crm, http_client(crm)


def create(client: Any, last_name: str, key: str) -> Any:
    body = {"first_name": "Ann", "last_name": last_name, "phones": ["030 1234567"]}
    return client.post("/api/v1/customers", json=body, headers={"Idempotency-Key": key})


def stored_keys(crm: Crm) -> set[str]:
    with crm.read() as conn:
        return set(conn.execute(select(idempotency_key.c.key)).scalars())


def recorded_parties(crm: Crm) -> set[tuple[str, int]]:
    with crm.read() as conn:
        query = select(idempotency_party.c.key, idempotency_party.c.party_id)
        return {(row.key, row.party_id) for row in conn.execute(query)}


def age(crm: Crm, key: str, hours: float) -> None:
    with crm.transaction() as tx:
        tx.conn.execute(
            update(idempotency_key)
            .where(idempotency_key.c.key == key)
            .values(created_at=utcnow() - timedelta(hours=hours))
        )


# --- Retention


def test_answers_past_their_retention_are_pruned_and_their_retry_is_a_new_request(
    make_crm: MakeCrm,
) -> None:
    crm, client = app_and_client(make_crm)
    old = create(client, "Old", "old").json()["id"]
    create(client, "Young", "young")
    age(crm, "old", 24.5)
    age(crm, "young", 23.5)

    assert crm.jobs.run("core.prune_idempotency_answers").ok

    assert stored_keys(crm) == {"young"}
    assert {key for key, _ in recorded_parties(crm)} == {"young"}
    kept = create(client, "Young", "young")
    assert kept.headers["idempotency-replayed"] == "true"
    retried = create(client, "Old", "old")
    assert retried.status_code == 201 and "idempotency-replayed" not in retried.headers
    assert retried.json()["id"] != old


def test_the_retention_is_a_setting(make_crm: MakeCrm) -> None:
    crm, client = app_and_client(make_crm, settings=Settings(idempotency_retention_hours=48))
    create(client, "Lee", "day-old")
    age(crm, "day-old", 30)

    assert crm.jobs.run("core.prune_idempotency_answers").ok

    assert stored_keys(crm) == {"day-old"}


def test_a_retention_below_one_hour_is_refused_naming_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="idempotency_retention_hours"):
        load_settings({"CRMKIT_IDEMPOTENCY_RETENTION_HOURS": "0"}, config_path="absent.toml")


# --- Erasure


@contextmanager
def statements(crm: Crm) -> Iterator[list[str]]:
    """The SQL sent to the database while the block runs."""
    sent: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    event.listen(crm.engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(crm.engine, "before_cursor_execute", seen)


def test_erasure_forgets_the_answers_showing_the_party_by_its_recorded_id(
    make_crm: MakeCrm,
) -> None:
    crm, client = app_and_client(make_crm)
    erased = create(client, "Adler", "adler").json()["id"]
    kept = create(client, "Berg", "berg").json()["id"]
    logged = client.post(
        "/api/v1/interactions",
        json={"party_id": erased, "channel": "email", "direction": "inbound"},
        headers={"Idempotency-Key": "adler-mail"},
    )
    assert logged.status_code == 201, logged.text
    assert recorded_parties(crm) == {("adler", erased), ("berg", kept), ("adler-mail", erased)}

    with statements(crm) as sent, crm.transaction() as tx:
        erase_party(tx, erased)

    assert stored_keys(crm) == {"berg"}
    assert recorded_parties(crm) == {("berg", kept)}
    reading_answers = [s for s in sent if "core_idempotency_key" in s and "LIKE" in s.upper()]
    assert reading_answers == []
    assert create(client, "Berg", "berg").headers["idempotency-replayed"] == "true"


def test_erasure_forgets_the_answers_of_the_parties_merged_into_it(make_crm: MakeCrm) -> None:
    crm, client = app_and_client(make_crm)
    survivor = create(client, "Adler", "first").json()["id"]
    merged = create(client, "Adlerr", "second").json()["id"]
    joined = client.post(f"/api/v1/parties/{survivor}/merge", json={"merged_id": merged})
    assert joined.status_code == 200, joined.text

    with crm.transaction() as tx:
        erase_party(tx, survivor)

    assert stored_keys(crm) == set()


# --- Answers stored before core_0011


def test_the_upgrade_records_the_parties_of_answers_already_stored(make_crm: MakeCrm) -> None:
    crm = make_crm(create_tables=False)
    migrate.upgrade(crm, "core_0010")
    answers = {
        "customer": {"id": 7, "role": "customer", "last_name": "Lee"},
        "interaction": {"id": 3, "party_id": 8},
        "merge": {"survivor": {"id": 9, "role": "prospect"}, "merged": [{"party_id": 10}]},
        "user": {"id": 11, "role": "admin", "active": True, "party_id": True},
    }
    with crm.engine.begin() as conn:
        conn.execute(
            insert(idempotency_key),
            [
                {
                    "actor": "name:tester",
                    "key": key,
                    "request_hash": "0" * 64,
                    "status": 201,
                    "body": body,
                    "created_at": utcnow(),
                }
                for key, body in answers.items()
            ],
        )

    migrate.upgrade(crm)

    assert recorded_parties(crm) == {
        ("customer", 7),
        ("interaction", 8),
        ("merge", 9),
        ("merge", 10),
    }
    assert migrate.diff(crm) == []

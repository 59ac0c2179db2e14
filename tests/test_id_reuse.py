"""Ids are never reused: an id named in an event, the audit trail, a URL or another system
keeps meaning the one row it was given to, even after that row is deleted.

PostgreSQL's sequences never hand out an id twice. SQLite does, unless the table is
declared AUTOINCREMENT: without it, a new row takes the highest rowid plus one, so
deleting the newest row frees its id for the next insert.

The rule holds for every table whose single integer key the database hands out, not
only for those known to be named elsewhere: nearly all are (even outbox ids, which
webhook cursors and deliveries keep), which ones are changes as the code grows, and
AUTOINCREMENT costs SQLite one row in ``sqlite_sequence`` per table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Integer, Table, insert, select, text

from crmkit.app import Crm
from crmkit.core import migrate
from crmkit.core.interactions import build_interaction, log_interaction
from crmkit.core.parties import build_party, create_party
from crmkit.core.privacy import erase_party
from crmkit.core.tables import (
    audit,
    idempotency_party,
    interaction,
    notification,
    outbox,
    party,
    user,
)
from crmkit.hooks.host import discover

MakeCrm = Callable[..., Crm]

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def every_installed_plugin() -> list[str]:
    return [c.name for c in discover() if c.info is not None]


def has_surrogate_id(table: Table) -> bool:
    """One integer primary key column that points nowhere: an id the database hands out
    (not one declared ``autoincrement=False``: an id from elsewhere, such as an event's)."""
    key = list(table.primary_key.columns)
    return (
        len(key) == 1
        and isinstance(key[0].type, Integer)
        and not key[0].foreign_keys
        and key[0].autoincrement is not False
    )


def surrogate_id_tables(app: Crm) -> list[Table]:
    return [table for table in app.tables if has_surrogate_id(table)]


def test_every_table_with_a_surrogate_id_never_reuses_ids_on_sqlite(make_crm: MakeCrm) -> None:
    plugins = every_installed_plugin()
    app = make_crm(plugins, create_tables=False)
    tables = surrogate_id_tables(app)

    reusing = [t.name for t in tables if not t.dialect_options["sqlite"]["autoincrement"]]

    # Every plugin was loaded and is covered: a plugin failing to load is only logged.
    names = [t.name for t in tables]
    assert [p for p in ("core", *plugins) if not any(n.startswith(f"{p}_") for n in names)] == []
    assert reusing == []


def autoincrement_tables(app: Crm) -> set[str]:
    with app.engine.connect() as conn:
        rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
        return {name for name, sql in rows if "AUTOINCREMENT" in sql.upper()}


def test_migrated_database_matches_the_tables_and_never_reuses_ids(
    make_crm: MakeCrm,
) -> None:
    app = make_crm(every_installed_plugin(), create_tables=False)

    migrate.upgrade(app)

    assert migrate.diff(app) == []
    if app.engine.dialect.name == "sqlite":  # PostgreSQL's sequences never reuse an id
        missing = {t.name for t in surrogate_id_tables(app)} - autoincrement_tables(app)
        assert missing == set()


def new_party(app: Crm, name: str) -> int:
    with app.transaction() as tx:
        created = create_party(tx, build_party("prospect", {"last_name": name}, region="DE"))
    assert created.id is not None
    return created.id


def log(app: Crm, party_id: int) -> int:
    data = {"party_id": party_id, "channel": "email", "direction": "inbound"}
    with app.transaction() as tx:
        logged = log_interaction(tx, build_interaction(data, source="core"))
    assert logged.id is not None
    return logged.id


def test_interaction_of_an_erased_party_keeps_its_id_to_itself(crm: Crm) -> None:
    kept = log(crm, new_party(crm, "Berg"))
    erased_party = new_party(crm, "Adler")
    erased = [log(crm, erased_party), log(crm, erased_party)]
    with crm.transaction() as tx:
        erase_party(tx, erased_party)

    fresh = log(crm, new_party(crm, "Conrad"))

    assert fresh > max(kept, *erased)
    with crm.read() as conn:
        logged = conn.execute(
            select(outbox.c.entity_id).where(outbox.c.event_type == "interaction.logged")
        ).scalars()
        # One event per interaction id: none speaks of two people.
        assert sorted(logged) == sorted(str(i) for i in (kept, *erased, fresh))


def test_the_newest_row_deleted_leaves_its_id_unused(crm: Crm) -> None:
    with crm.transaction() as tx:
        user_id = tx.conn.execute(
            insert(user)
            .values(
                username="ann",
                display_name="Ann",
                role="sales",
                territories=[],
                active=True,
                version=1,
                created_at=NOW,
                updated_at=NOW,
            )
            .returning(user.c.id)
        ).scalar_one()
    row = {
        "user_id": user_id,
        "kind": "info",
        "title": "Hello",
        "source": "core",
        "created_at": NOW,
    }

    def notify() -> int:
        with crm.transaction() as tx:
            return int(
                tx.conn.execute(
                    insert(notification).values(row).returning(notification.c.id)
                ).scalar_one()
            )

    notify()
    newest = notify()
    with crm.transaction() as tx:
        tx.conn.execute(notification.delete().where(notification.c.id == newest))

    assert notify() > newest


def rows(app: Crm, *tables: Table) -> dict[str, Sequence[Any]]:
    with app.read() as conn:
        return {t.name: conn.execute(select(t).order_by(t.c.id)).all() for t in tables}


def test_upgrade_keeps_every_row_and_id_and_stops_reuse(make_crm: MakeCrm) -> None:
    app = make_crm(create_tables=False)
    if app.engine.dialect.name != "sqlite":
        pytest.skip("core_0010 changes nothing on PostgreSQL")
    migrate.upgrade(app, "core_0009")
    kept, erased = new_party(app, "Berg"), new_party(app, "Adler")
    logged = [log(app, kept), log(app, erased)]
    with app.transaction() as tx:
        # This release's erasure reads core_0011's table; the erasure of an older one did not.
        idempotency_party.create(tx.conn)
        erase_party(tx, erased)
        idempotency_party.drop(tx.conn)
        # A core_party older than core_0001's AUTOINCREMENT kept no count of the ids it gave.
        tx.conn.execute(text("DELETE FROM sqlite_sequence WHERE name = 'core_party'"))
    before = rows(app, party, interaction, outbox, audit)

    migrate.upgrade(app)

    assert rows(app, party, interaction, outbox, audit) == before
    assert {"core_party", "core_interaction"} <= autoincrement_tables(app)
    # Ids deleted before the upgrade are known from the audit trail and the events.
    newer = new_party(app, "Conrad")
    assert newer > erased
    assert log(app, newer) > max(logged)

"""Optimistic concurrency: of two updates made from the same version, exactly one wins."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from attrs import evolve

from crmkit import ConflictError, Transaction, hookimpl
from crmkit.app import Crm
from crmkit.core.db import make_engine
from crmkit.core.parties import build_party, create_party, get_party, update_party
from crmkit.core.privacy import erase_party
from crmkit.testing import apps, register_plugin


class Rendezvous:
    """Holds the first writer after it has read the party until the second has written it.

    That forces the interleaving in which both transactions see version 1 before
    either writes, and the second writes first: only the version check in the
    first's UPDATE, made once the second commits, can stop the first write.
    """

    def __init__(self) -> None:
        self.second_wrote = threading.Event()

    @hookimpl
    def entity_validate(self, tx: Transaction, entity: Any) -> None:
        if threading.current_thread().name == "first":
            assert self.second_wrote.wait(10), "the second writer never wrote the party"

    @hookimpl
    def entity_saved(self, tx: Transaction, entity: Any) -> None:
        if threading.current_thread().name == "second":
            self.second_wrote.set()


def race(writers: dict[str, Crm], party_id: int) -> dict[str, BaseException | None]:
    """Each writer (a thread of that name, a connection of its own) sets the first name to its
    own name, all from version 1 at the same moment; returns what each one raised."""
    outcome: dict[str, BaseException | None] = {}
    start = threading.Barrier(len(writers))

    def write(name: str, app: Crm) -> None:
        start.wait()
        try:
            with app.transaction() as tx:
                update_party(tx, party_id, {"first_name": name.title()}, 1, region="DE")
            outcome[name] = None
        except BaseException as exc:
            outcome[name] = exc

    threads = [
        threading.Thread(target=write, args=(name, app), name=name) for name, app in writers.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcome


def exactly_one_won(app: Crm, party_id: int, outcome: dict[str, BaseException | None]) -> str:
    """Assert one writer won, the other got ConflictError and nothing was lost; the winner."""
    winners = [name for name, exc in outcome.items() if exc is None]
    losers = [exc for exc in outcome.values() if exc is not None]
    assert len(winners) == 1, outcome
    assert len(losers) == 1 and isinstance(losers[0], ConflictError), outcome
    with app.engine.connect() as conn:
        stored = get_party(conn, party_id)
    assert (stored.version, stored.first_name) == (2, winners[0].title())
    return winners[0]


def new_party(app: Crm) -> int:
    with app.transaction() as tx:
        party = create_party(tx, build_party("prospect", {"last_name": "Berg"}, region="DE"))
    assert party.id is not None
    return party.id


def test_concurrent_updates_of_the_same_version_let_exactly_one_win(
    make_crm: Callable[..., Crm],
) -> None:
    probe = make_crm()
    postgres = probe.engine.dialect.name == "postgresql"
    # On SQLite the second transaction cannot even begin (BEGIN IMMEDIATE) until the
    # first commits, so it reads version 2; PostgreSQL lets both read version 1.
    plugins = [register_plugin(Rendezvous(), name="rendezvous")] if postgres else []
    app = make_crm(plugins=plugins, create_tables=False)
    party_id = new_party(app)

    winner = exactly_one_won(app, party_id, race({"first": app, "second": app}, party_id))

    if postgres:
        # The forced interleaving: the first writer read first but wrote last, and lost.
        assert winner == "second"


def test_sqlite_writers_on_two_engines_of_one_file_serialise(
    make_crm: Callable[..., Crm], crm_db: apps.TestDatabase
) -> None:
    one = make_crm()
    if one.engine.dialect.name != "sqlite":
        pytest.skip("two engines on one file is the SQLite set-up")
    other = make_crm(database=evolve(crm_db, engine=make_engine(crm_db.url)), create_tables=False)
    assert other.engine is not one.engine
    party_id = new_party(one)

    exactly_one_won(one, party_id, race({"first": one, "second": other}, party_id))


class HoldAfterWrite:
    """Keeps the updater's transaction open, its new version written, while an eraser starts.

    The eraser then checks the version while the change is not yet committed: only a
    check that waits for the row (a lock) sees the version the change commits.
    """

    def __init__(self) -> None:
        self.written = threading.Event()

    @hookimpl
    def entity_saved(self, tx: Transaction, entity_type: str, entity: Any, change: str) -> None:
        if threading.current_thread().name == "updater":
            self.written.set()
            time.sleep(0.5)


def test_erasing_from_a_version_changed_meanwhile_keeps_the_changed_party(
    make_crm: Callable[..., Crm],
) -> None:
    holder = HoldAfterWrite()
    app = make_crm(plugins=[register_plugin(holder, name="holder")])
    party_id = new_party(app)
    outcome: dict[str, BaseException | None] = {}

    def update() -> None:
        with app.transaction() as tx:
            update_party(tx, party_id, {"first_name": "Ada"}, 1, region="DE")

    def erase() -> None:
        assert holder.written.wait(10), "the updater never wrote"
        try:
            with app.transaction() as tx:
                erase_party(tx, party_id, expected_version=1)
            outcome["erase"] = None
        except BaseException as exc:
            outcome["erase"] = exc

    threads = [threading.Thread(target=update, name="updater"), threading.Thread(target=erase)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert isinstance(outcome["erase"], ConflictError), outcome
    with app.read() as conn:
        stored = get_party(conn, party_id)
    assert (stored.version, stored.first_name) == (2, "Ada")

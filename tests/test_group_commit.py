"""``Crm.write``: a server's write commands, committed together on SQLite (group commit)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import OperationalError

from crmkit import Transaction, ValidationError
from crmkit.app import Crm
from crmkit.core import group_commit
from crmkit.core.parties import build_party, create_party
from crmkit.core.tables import outbox, party


def add(name: str) -> Callable[[Transaction], int]:
    def work(tx: Transaction) -> int:
        created = create_party(tx, build_party("prospect", {"last_name": name}, region="DE"))
        assert created.id is not None
        return created.id

    return work


def names(crm: Crm) -> list[str]:
    with crm.read() as conn:
        return sorted(conn.execute(select(party.c.last_name)).scalars())


def events(crm: Crm) -> int:
    with crm.read() as conn:
        return conn.execute(select(func.count()).select_from(outbox)).scalar_one()


def run(main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    return asyncio.run(main())


def test_a_write_gives_its_result_once_committed_and_a_failing_one_changes_nothing(crm: Crm):
    def fails(tx: Transaction) -> None:
        add("Broken")(tx)
        raise ValidationError("last_name", "refused after writing")

    async def main() -> int:
        with pytest.raises(ValidationError, match="refused after writing"):
            await crm.write(fails)
        return await crm.write(add("Berg"))

    created = run(main)
    assert names(crm) == ["Berg"]
    with crm.read() as conn:
        assert conn.execute(select(party.c.id)).scalar_one() == created


@pytest.fixture
def sqlite_crm(crm: Crm) -> Crm:
    if crm.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL runs writers side by side: no group commit")
    return crm


class Held:
    """A command that holds the writer until released, so that the next ones queue up."""

    def __init__(self) -> None:
        self.began = threading.Event()
        self.release = threading.Event()

    def __call__(self, tx: Transaction) -> str:
        self.began.set()
        assert self.release.wait(10), "never released"
        return "held"

    async def hold(self, crm: Crm) -> asyncio.Future[Any]:
        """Start this command; once it holds the writer, its future."""
        holder = asyncio.ensure_future(crm.write(self))
        while not self.began.is_set():
            await asyncio.sleep(0.001)
        return holder

    async def queue_behind(
        self,
        crm: Crm,
        *works: Callable[[Transaction], Any],
        meanwhile: Callable[[list[asyncio.Future[Any]]], object] = lambda queued: None,
    ) -> list[Any]:
        """Run ``works`` queued up behind this command; what each returned or raised.

        ``meanwhile`` is given their futures while they wait.
        """
        holder = await self.hold(crm)
        queued = [asyncio.ensure_future(crm.write(work)) for work in works]
        await asyncio.sleep(0)  # each has handed its command over
        meanwhile(queued)
        self.release.set()
        assert await holder == "held"
        return await asyncio.gather(*queued, return_exceptions=True)


def test_commands_queued_up_commit_together_each_alone_in_its_savepoint(sqlite_crm: Crm):
    crm = sqlite_crm
    commits: list[None] = []
    event.listen(crm.engine, "commit", lambda conn: commits.append(None))

    def fails(tx: Transaction) -> None:
        add("Broken")(tx)
        raise ValidationError("last_name", "refused after writing")

    outcomes = run(lambda: Held().queue_behind(crm, add("Adler"), fails, add("Cole")))

    assert isinstance(outcomes[0], int)
    assert isinstance(outcomes[1], ValidationError)
    assert isinstance(outcomes[2], int)
    assert names(crm) == ["Adler", "Cole"]
    assert events(crm) == 2  # one prospect.created each; none of the failed command
    assert len(commits) == 2  # the held command's transaction, then one for the three


def test_a_command_that_breaks_the_transaction_costs_the_others_nothing(sqlite_crm: Crm):
    crm = sqlite_crm

    def breaks(tx: Transaction) -> None:
        add("Broken")(tx)
        driver = tx.conn.connection.driver_connection
        assert driver is not None
        driver.execute("ROLLBACK")  # what SQLite itself does on some errors
        raise RuntimeError("the transaction is gone")

    outcomes = run(lambda: Held().queue_behind(crm, add("Adler"), breaks, add("Cole")))

    assert isinstance(outcomes[0], int)
    assert isinstance(outcomes[1], Exception)
    assert isinstance(outcomes[2], int)
    # Each tried again alone: stored once, though it ran twice.
    assert names(crm) == ["Adler", "Cole"]
    assert events(crm) == 2


def test_a_command_whose_caller_has_gone_before_it_began_never_happens(sqlite_crm: Crm):
    crm = sqlite_crm

    outcomes = run(
        lambda: Held().queue_behind(
            crm, add("Gone"), add("Stays"), meanwhile=lambda queued: queued[0].cancel()
        )
    )

    assert isinstance(outcomes[0], asyncio.CancelledError)
    assert names(crm) == ["Stays"]


def test_a_transaction_the_database_refuses_fails_its_commands_without_retrying_them(
    sqlite_crm: Crm, monkeypatch: pytest.MonkeyPatch
):
    crm = sqlite_crm
    attempts: list[None] = []
    ran: list[str] = []

    @contextmanager
    def locked(engine: Engine) -> Iterator[Any]:
        attempts.append(None)
        raise OperationalError(
            "BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked")
        )
        yield  # pragma: no cover

    def work(name: str) -> Callable[[Transaction], None]:
        return lambda tx: ran.append(name)

    outcomes = run(
        lambda: Held().queue_behind(
            crm,
            work("first"),
            work("second"),
            meanwhile=lambda queued: monkeypatch.setattr(group_commit, "writing", locked),
        )
    )

    assert all(isinstance(o, OperationalError) for o in outcomes)
    assert ran == []
    assert len(attempts) == 1  # not once more for each command alone


def test_callers_whose_event_loop_has_closed_do_not_stop_the_writer(sqlite_crm: Crm):
    crm = sqlite_crm
    held = Held()

    async def leave() -> None:
        holder = await held.hold(crm)
        assert not holder.done()  # returning closes this loop while it still runs

    run(leave)
    held.release.set()  # its outcome now goes to a closed loop

    async def later() -> int:
        return await asyncio.wait_for(crm.write(add("Later")), 10)

    assert isinstance(run(later), int)
    assert names(crm) == ["Later"]

"""Group commit: SQLite write transactions that queue up while one commits, commit together.

SQLite has one writer at a time, and a commit costs more than most statements (it
appends the changed pages to the write-ahead log). When a server's requests write
concurrently, they would otherwise take turns, each beginning and committing alone.
Here they are handed to one thread, which runs the commands queued at that moment one
after another in one database transaction, each in a savepoint of its own, and commits
once: a command that fails is rolled back to its savepoint and leaves the others alone.
No command learns its outcome before the commit that holds it, so no caller is told
of a change that could still be lost.

PostgreSQL runs writers side by side; :meth:`crmkit.app.Crm.write` does not batch there.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from attrs import frozen
from sqlalchemy import Engine

from crmkit.core.actors import Actor
from crmkit.core.db import Transaction, writing

if TYPE_CHECKING:
    from crmkit.hooks.host import PluginHost


class Writer(Protocol):
    """What the group commit needs of the CRM it writes for (:class:`crmkit.app.Crm` is one)."""

    @property
    def engine(self) -> Engine: ...

    @property
    def host(self) -> PluginHost: ...

    def committed(self, tx: Transaction) -> None:
        """Called once ``tx`` has committed: its events go out."""


MOST = 64
"""Commands in one transaction at most: bounds how long one waits for the others."""


@frozen
class _Command:
    actor: Actor
    work: Callable[[Transaction], Any]
    loop: asyncio.AbstractEventLoop
    outcome: asyncio.Future[Any]
    """Settled on its event loop, where :meth:`GroupCommit.run` waits for it."""


Settled = tuple[_Command, Any, BaseException | None]
"""A command, its result and the exception it failed with, if it did."""


class GroupCommit:
    """Runs write commands on a thread of its own, committing those that queue up together."""

    def __init__(self, app: Writer, most: int = MOST) -> None:
        self._app = app
        self._most = most
        self._queue: queue.SimpleQueue[_Command | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def run(self, work: Callable[[Transaction], Any], actor: Actor) -> Any:
        """``work(tx)``'s result once the transaction holding it has committed."""
        loop = asyncio.get_running_loop()
        command = _Command(actor, work, loop, loop.create_future())
        self._queue.put(command)
        if self._thread is None:
            self._start()
        return await command.outcome

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="crmkit-group-commit", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        """Finish the commands queued so far, then end the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _serve(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self._most:
                try:
                    command = self._queue.get_nowait()
                except queue.Empty:
                    break
                if command is None:
                    stopping = True
                    break
                batch.append(command)
            # A command whose caller has gone before it began never happens.
            wanted = [c for c in batch if not c.outcome.cancelled()]
            loops: dict[asyncio.AbstractEventLoop, list[Settled]] = {}
            for item in self._commit(wanted) if wanted else []:
                loops.setdefault(item[0].loop, []).append(item)
            for loop, items in loops.items():
                # One wake-up of the event loop for all its commands of this transaction; a
                # loop that has closed (RuntimeError) has nobody waiting any more.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_settle, items)

    def _commit(self, batch: list[_Command]) -> list[Settled]:
        app = self._app
        settled: list[Settled] = []
        done: list[tuple[_Command, Transaction, Any]] = []
        began = False
        try:
            with writing(app.engine) as conn:
                began = True
                # Straight to the driver: SQLAlchemy's nested transactions would cost more
                # than the savepoints themselves, and the commands never see these.
                driver = conn.connection.driver_connection
                assert driver is not None
                for command in batch:
                    driver.execute("SAVEPOINT crmkit_command")
                    tx = Transaction(conn=conn, hooks=app.host, actor=command.actor, app=app)
                    try:
                        result = command.work(tx)
                    except BaseException as exc:
                        driver.execute("ROLLBACK TO crmkit_command")
                        driver.execute("RELEASE crmkit_command")
                        settled.append((command, None, exc))
                    else:
                        driver.execute("RELEASE crmkit_command")
                        done.append((command, tx, result))
        except BaseException as exc:
            failed = {id(command) for command, _result, _exc in settled}
            unanswered = [c for c in batch if id(c) not in failed]
            if not began or len(batch) == 1:
                # The database refused the transaction itself (locked too long, say), or
                # the one command in it is to blame: trying again would only wait again.
                return settled + [(command, None, exc) for command in unanswered]
            # Not knowing whose change failed the transaction, each tries again alone.
            return settled + [item for c in unanswered for item in self._commit([c])]
        for command, tx, result in done:
            try:
                app.committed(tx)
            except BaseException as exc:  # told, as by Crm.transaction, though committed
                settled.append((command, None, exc))
            else:
                settled.append((command, result, None))
        return settled


def _settle(items: list[Settled]) -> None:
    for command, result, exc in items:
        if command.outcome.done():
            continue  # its caller has gone
        if exc is None:
            command.outcome.set_result(result)
        else:
            command.outcome.set_exception(exc)

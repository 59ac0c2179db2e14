"""The database: engine set-up and the transaction every command runs in."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from attrs import define, field
from sqlalchemy import Connection, Engine, create_engine, event, make_url

from crmkit.core.actors import SYSTEM, Actor

if TYPE_CHECKING:
    from crmkit.core.events import Event
    from crmkit.hooks.host import PluginHost


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


READ_ONLY = "crmkit_read_only"
"""Execution option marking a connection that only reads (see :func:`reading`)."""


def _sqlite_begin(conn: Connection) -> None:
    # A writer takes the write lock at BEGIN so that two writers queue (busy_timeout)
    # instead of one failing when it upgrades a read lock; readers never wait for it.
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    # Straight to the driver: this runs before every transaction, and SQLAlchemy's
    # statement machinery would cost about as much as the query that follows.
    cursor = conn.connection.cursor()
    cursor.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")
    cursor.close()


SQLITE_POOL_SIZE = 40
"""Connections kept open to a SQLite file: one per thread of a server's thread pool (anyio
has 40), so that no request pays for opening a connection and setting its pragmas."""

_sqlite_writers: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
"""Per SQLite engine, the lock its writers queue on in this process.

SQLite makes a writer that finds the database locked sleep and poll (``busy_timeout``),
for up to 100 ms at a time; queueing on a lock wakes the next writer as soon as the
last one commits. Writers in other processes still meet at SQLite's own lock.
"""


@contextmanager
def _queued_writer(engine: Engine) -> Iterator[None]:
    lock = _sqlite_writers.get(engine)
    if lock is None:
        yield
        return
    with lock:
        yield


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that writes, queued behind this process's other writers."""
    with _queued_writer(engine), engine.begin() as conn:
        yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for queries only: on SQLite it does not queue behind writers."""
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        yield conn


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url``: SQLite (WAL, foreign keys on) or PostgreSQL through psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database not in (None, "", ":memory:"):
            options.setdefault("pool_size", SQLITE_POOL_SIZE)
        engine = create_engine(parsed, **options)
        # pysqlite's own transaction handling is off so that BEGIN is ours.
        event.listen(engine, "connect", lambda c, r: setattr(c, "isolation_level", None))
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        _sqlite_writers[engine] = threading.RLock()
        return engine
    return create_engine(parsed, pool_pre_ping=True, **options)


@define
class Transaction:
    """One command's unit of work: a connection inside a transaction, the actor, the hooks.

    Domain events emitted here are written to the outbox in the same transaction
    and delivered to ``on_event`` after commit.
    """

    conn: Connection
    hooks: PluginHost
    actor: Actor = SYSTEM
    app: Any = None
    events: list[Event] = field(factory=list)
    after_commit: list[Callable[[], None]] = field(factory=list)
    """Run once the transaction has committed (not on rollback), e.g. to drop a cache."""

    def emit(
        self, event_type: str, entity: str | None, entity_id: Any, payload: dict[str, Any]
    ) -> Event:
        """Record a domain event in the outbox; it is delivered only if the transaction commits."""
        from crmkit.core.events import write_event

        written = write_event(self, event_type, entity, entity_id, payload)
        self.events.append(written)
        return written


@contextmanager
def transaction(
    engine: Engine, hooks: PluginHost, actor: Actor = SYSTEM, app: Any = None
) -> Iterator[Transaction]:
    """Open a transaction; commit on success, roll back on any exception."""
    with writing(engine) as conn:
        tx = Transaction(conn=conn, hooks=hooks, actor=actor, app=app)
        yield tx
    for run in tx.after_commit:
        run()

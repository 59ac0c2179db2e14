"""The database: engine set-up and the transaction every command runs in."""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from attrs import define, field
from sqlalchemy import Connection, Engine, create_engine, func, make_url, select
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

from crmkit.core.actors import SYSTEM, Actor

if TYPE_CHECKING:
    from crmkit.core.events import Event
    from crmkit.hooks.host import PluginHost


def _sqlite_pragmas(dbapi_connection: Any) -> None:
    # WAL lets readers run beside the one writer; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_reading: ContextVar[bool] = ContextVar("crmkit_reading", default=False)
"""Set inside :func:`reading`: a SQLite transaction begun there only reads."""


class SQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite, with the transactions crmkit needs: BEGIN IMMEDIATE for writers.

    A writer takes the write lock at BEGIN so that two writers queue (busy_timeout)
    instead of one failing when it upgrades a read lock; readers never wait for it.
    pysqlite's own transaction handling is off (``isolation_level = None``) so that
    BEGIN is ours. Beginning here rather than in a ``begin`` engine event keeps the
    engine free of event listeners, which SQLAlchemy would otherwise consult on every
    statement.
    """

    supports_statement_cache = True

    def do_begin(self, dbapi_connection: Any) -> None:
        dbapi_connection.execute("BEGIN" if _reading.get() else "BEGIN IMMEDIATE")

    def on_connect(self) -> Callable[[Any], None]:
        inherited = super().on_connect()

        def connect(dbapi_connection: Any) -> None:
            if inherited is not None:
                inherited(dbapi_connection)
            dbapi_connection.isolation_level = None
            _sqlite_pragmas(dbapi_connection)

        return connect


registry.register("sqlite.crmkit", __name__, "SQLiteDialect")


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
    outer = _reading.set(False)
    try:
        with _queued_writer(engine), engine.begin() as conn:
            yield conn
    finally:
        _reading.reset(outer)


@contextmanager
def custom_plans(conn: Connection) -> Iterator[None]:
    """Statements run inside are planned for their parameters and not compiled, on PostgreSQL.

    psycopg prepares a statement run often, and PostgreSQL may keep the generic plan it
    made while a table was nearly empty: a sequential scan, ever slower as an import fills
    the table. A look-up of thousands of keys is estimated dear enough to be compiled
    (JIT), which took longer than running it. The settings hold only inside: a forced
    custom plan would also plan every foreign key check of the transaction's writes again,
    for every row.
    """
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
    conn.exec_driver_sql("SET LOCAL jit = off")
    try:
        yield
    finally:
        conn.exec_driver_sql("SET LOCAL plan_cache_mode TO DEFAULT")
        conn.exec_driver_sql("SET LOCAL jit TO DEFAULT")


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for queries only: on SQLite it does not queue behind writers."""
    outer = _reading.set(True)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        _reading.reset(outer)


class LoopReaders:
    """A connection of its own for each thread that reads on an event loop, kept open.

    A read on the loop (:meth:`crmkit.app.Crm.query`) then pays for its transaction,
    not for a trip through the pool; a loop runs one read at a time, so its thread
    never needs two. A thread that has ended gives its connection back to the pool
    when the next thread opens one: test clients start a loop thread each.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._own = threading.local()
        self._opened: dict[threading.Thread, Connection] = {}
        self._lock = threading.Lock()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """As :func:`reading`, on this thread's connection, in a transaction of its own."""
        conn: Connection | None = getattr(self._own, "conn", None)
        if conn is None or conn.closed:
            conn = self._own.conn = self._open()
        outer = _reading.set(True)
        try:
            with conn.begin():
                yield conn
        finally:
            _reading.reset(outer)

    def _open(self) -> Connection:
        with self._lock:
            ended = [t for t in self._opened if not t.is_alive()]
            for thread in ended:
                self._opened.pop(thread).close()
            conn = self._opened[threading.current_thread()] = self._engine.connect()
        return conn

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            opened, self._opened = self._opened, {}
        for conn in opened.values():
            conn.close()


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url``: SQLite (WAL, foreign keys on) or PostgreSQL through psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database not in (None, "", ":memory:"):
            options.setdefault("pool_size", SQLITE_POOL_SIZE)
        if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
            parsed = parsed.set(drivername="sqlite+crmkit")
        engine = create_engine(parsed, **options)
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

    def hold(self, *keys: str) -> None:
        """Hold these names until the transaction ends: another transaction holding one of them
        waits, so that two writers deciding on the same thing (is this email known?) take turns.

        On SQLite every writing transaction holds the database's write lock from its
        start already; on PostgreSQL it takes a transaction-scoped advisory lock per name.
        """
        if self.conn.dialect.name != "postgresql":
            return
        # Always in the same order, so that two transactions sharing names cannot deadlock.
        for lock_id in sorted({_lock_id(key) for key in keys}):
            self.conn.execute(select(func.pg_advisory_xact_lock(lock_id)))


def _lock_id(key: str) -> int:
    # A stable signed 64-bit number per name: the space PostgreSQL's advisory locks live in.
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def transaction(
    engine: Engine, hooks: PluginHost, actor: Actor = SYSTEM, app: Any = None
) -> Iterator[Transaction]:
    """Open a transaction; commit on success, roll back on any exception.

    What the transaction asked to run after commit (:attr:`Transaction.after_commit`)
    is left to the caller, which knows what else follows the commit.
    """
    with writing(engine) as conn:
        yield Transaction(conn=conn, hooks=hooks, actor=actor, app=app)

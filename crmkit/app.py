"""The application object: settings, plugin host, engine and registries of one CRM.

Everything that would otherwise be global state hangs off a :class:`Crm`.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

import cattrs
from sqlalchemy import Connection, Engine, Table

from crmkit.core.actors import SYSTEM, Actor
from crmkit.core.custom_fields import CustomFields
from crmkit.core.db import LoopReaders, Transaction, make_engine, reading, transaction
from crmkit.core.errors import PluginError, ValidationError
from crmkit.core.events import KERNEL_ENTITIES, KERNEL_EVENT_TYPES, Dispatcher, EventType, deliver
from crmkit.core.group_commit import GroupCommit
from crmkit.core.import_profiles import ImportProfile, check_profile
from crmkit.core.jobs import Job, JobRunner
from crmkit.core.permissions import Permission
from crmkit.core.serialise import configure as configure_converter
from crmkit.core.settings import Settings, is_enabled, load_settings
from crmkit.core.tables import KERNEL_TABLES, metadata
from crmkit.core.ui import Widget
from crmkit.defaults import MODULES as DEFAULT_MODULES
from crmkit.hooks.host import Candidate, PluginHost, discover
from crmkit.version import API_VERSION

log = logging.getLogger(__name__)

T = TypeVar("T")

READ_HOOKS = ("permission_check", "permission_filter")
"""The hooks a read calls: :meth:`Crm.query` runs on the event loop only if all are synchronous."""


def _namespace(plugin: str) -> str:
    """Whose names a plugin registers: its own; ``core`` for the kernel's defaults (``core.*``)."""
    return plugin.split(".", 1)[0]


class Crm:
    """One CRM: its settings, its loaded plugins and what they registered, its database."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        candidates: Sequence[Candidate] | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        self.host = PluginHost(API_VERSION, strict=self.settings.strict_plugins)
        self.host.load(
            discover() if candidates is None else candidates,
            enabled=lambda name, default: is_enabled(self.settings, name, default),
            plugin_settings=self.settings.plugin_settings,
            settings_source=self.settings.source,
            builtins=[importlib.import_module(m) for m in DEFAULT_MODULES],
        )
        self.engine = engine or make_engine(self.settings.database_url)
        self.converter = cattrs.Converter()
        configure_converter(self.converter)
        self.host.call("register_mappers", converter=self.converter)
        self.tables = self._tables()
        self.custom_fields = CustomFields(
            (plugin, spec)
            for plugin, specs in self.host.collect_by_plugin("register_custom_fields")
            for spec in specs
        )
        event_types: dict[str, EventType] = self._named("register_event_types", ".")
        self.event_types = set(KERNEL_EVENT_TYPES) | set(event_types)
        self.event_entities = set(KERNEL_ENTITIES) | {
            t.entity for t in event_types.values() if t.entity is not None
        }
        self.permissions: dict[str, Permission] = self._named("register_permissions", ":")
        self.channels = self._named("register_channels")
        self.connectors = self._named("register_connectors")
        self.import_profiles: dict[str, ImportProfile] = self._named(
            "register_import_profiles", check=check_profile
        )
        self.widgets: dict[str, Widget] = self._named("register_widgets")
        jobs: dict[str, Job] = self._named("register_jobs", ".")
        self.jobs = JobRunner(self, self.engine, jobs.values())
        self.dispatcher = Dispatcher(self.deliver_events)
        """Delivers events after commit in the background while it runs (a server starts it)."""
        sqlite = self.engine.dialect.name == "sqlite"
        self._group_commit = GroupCommit(self) if sqlite else None
        # A read calls the permission hooks synchronously, which an async implementation
        # cannot answer on the event loop: then reads go to a worker thread as elsewhere.
        reads_on_loop = sqlite and not any(map(self.host.has_async, READ_HOOKS))
        self._loop_readers = LoopReaders(self.engine) if reads_on_loop else None
        self._started = False

    def _tables(self) -> list[Table]:
        tables = list(KERNEL_TABLES)
        for plugin, declared in self.host.collect_by_plugin("register_tables"):
            prefix = f"{_namespace(plugin)}_"
            for table in declared:
                if table.metadata is not metadata:
                    raise PluginError(plugin, f"table {table.name} is not on crmkit.metadata")
                if not table.name.startswith(prefix):
                    raise PluginError(plugin, f"table {table.name} must be named {prefix}*")
                tables.append(table)
        return tables

    def _named(
        self,
        hook: str,
        separator: str | None = None,
        check: Callable[[Any], None] | None = None,
    ) -> dict[str, Any]:
        """Objects with a ``name`` from a registration hook; a name taken twice is an error.

        With a ``separator``, every name must start with the plugin's name and it (``sfa.``, ``sfa:``).
        ``check`` refuses an object with a :class:`ValidationError` naming the field at fault.
        """
        found: dict[str, Any] = {}
        owners: dict[str, str] = {}
        for plugin, declared in self.host.collect_by_plugin(hook):
            prefix = f"{_namespace(plugin)}{separator}"
            for item in declared:
                if check is not None:
                    try:
                        check(item)
                    except ValidationError as exc:
                        name = getattr(item, "name", None)
                        raise PluginError(plugin, f"{hook}: {name!r}: {exc.message}") from None
                if separator is not None and not item.name.startswith(prefix):
                    raise PluginError(plugin, f"{hook}: {item.name!r} must be named {prefix}*")
                if item.name in found:
                    raise PluginError(
                        plugin,
                        f"{hook}: name {item.name!r} is already taken (by {owners[item.name]})",
                    )
                found[item.name] = item
                owners[item.name] = plugin
        return found

    def route_inbound(self, message: Any) -> str | None:
        """The plugin that claims an inbound message (``route_inbound``), or None."""
        result: str | None = self.host.call("route_inbound", app=self, message=message)
        return result

    @property
    def settings_of(self) -> dict[str, Any]:
        """Each loaded plugin's validated settings object, by plugin name."""
        return self.host.settings

    # --- Lifecycle

    def start(self) -> None:
        """Run the ``startup`` hooks (once)."""
        if not self._started:
            self.host.call("startup", app=self)
            self._started = True

    def close(self) -> None:
        """Deliver the events handed to the dispatcher, run the ``shutdown`` hooks, release the database."""
        if self._group_commit is not None:
            self._group_commit.stop()
        self.dispatcher.stop()
        if self._loop_readers is not None:
            self._loop_readers.close()
        if self._started:
            self.host.advise("shutdown", app=self)
            self._started = False
        self.engine.dispose()

    def create_tables(self) -> None:
        """Create the tables of the kernel and every loaded plugin (tests and scratch databases).

        Real databases are created and upgraded by ``crmkit db upgrade`` (Alembic).
        """
        metadata.create_all(self.engine, tables=self.tables)

    # --- Units of work

    @contextmanager
    def transaction(self, actor: Actor = SYSTEM) -> Iterator[Transaction]:
        """One command's transaction; its events are delivered to ``on_event`` after commit.

        While the :attr:`dispatcher` runs, delivery happens in its thread and the command
        does not wait for the subscribers; otherwise before this returns.
        """
        with transaction(self.engine, self.host, actor, app=self) as tx:
            yield tx
        self.committed(tx)

    async def write(self, work: Callable[[Transaction], T], actor: Actor = SYSTEM) -> T:
        """``work(tx)``'s result, run off the event loop in a transaction with ``actor``.

        As :meth:`transaction`, for a server's requests: on SQLite the commands that
        queue up while one commits run in one transaction and commit together
        (:mod:`crmkit.core.group_commit`), each alone in a savepoint.
        """
        if self._group_commit is None:
            import anyio.to_thread  # only servers get here; the CLI starts without it

            return await anyio.to_thread.run_sync(self._write_now, work, actor)
        result: T = await self._group_commit.run(work, actor)
        return result

    async def query(self, work: Callable[[Connection], T], *, scans: bool = False) -> T:
        """``work(conn)``'s result, for a server's reads: ``work`` only queries.

        On SQLite a read by key (a record, a page of its timeline) runs on the event
        loop, on a connection the loop's thread keeps (:class:`crmkit.core.db.LoopReaders`):
        it costs less than handing it to a worker thread and back, and it never waits
        for a writer (WAL). A read that ``scans`` (a search, a filtered list) may take
        milliseconds: it runs in a worker thread, where SQLite works beside the loop and
        beside other such reads. On PostgreSQL, where every query is a round trip over
        the network, reads run in a worker thread.
        """
        if self._loop_readers is not None and not scans:
            with self._loop_readers.reading() as conn:
                return work(conn)
        import anyio.to_thread  # only servers get here; the CLI starts without it

        return await anyio.to_thread.run_sync(self._query_now, work)

    def _query_now(self, work: Callable[[Connection], T]) -> T:
        with self.read() as conn:
            return work(conn)

    def _write_now(self, work: Callable[[Transaction], T], actor: Actor) -> T:
        with self.transaction(actor) as tx:
            return work(tx)

    def committed(self, tx: Transaction) -> None:
        """What follows the commit of ``tx``: its after-commit calls, its events' delivery."""
        for run in tx.after_commit:
            run()
        if tx.events and self.host.implementers("on_event"):
            ids = [e.id for e in tx.events]
            if self.dispatcher.submit(ids):
                return
            try:
                self.deliver_events(ids)
            except Exception:
                # The command has committed: failing it now would invite a duplicate retry.
                # Undelivered events stay in the outbox for the core.deliver_outbox job.
                log.exception("delivering events after commit failed; the outbox job will retry")

    def read(self) -> AbstractContextManager[Connection]:
        """A connection for queries only (see :func:`crmkit.core.db.reading`)."""
        return reading(self.engine)

    def deliver_events(self, ids: Sequence[int] | None = None) -> int:
        """Deliver due outbox events now; the ``core.deliver_outbox`` job retries the rest."""
        return deliver(self.engine, self.host, self, ids)

"""The pull of business partners from one SAP system, page by page, restartable anywhere.

Each page is one transaction: its partners applied (:mod:`.apply`), its failed rows
logged, the cursor moved past it and the run's counts raised together, so a crash
loses at most the page in flight, which the next run reads again from the cursor.
A run a killed process left ``running`` is marked ``interrupted`` by the next run.

Paging is by key, not by ``$skip``: each page is asked for with a filter starting just
past the cursor (:mod:`.cursor`), so partners changed during the run neither shift
rows out of reach nor make them come twice; a ``__next`` link is not followed, so a
server whose next-page links loop cannot hold the run.

Pages are read and written one after the other, in this thread: reading the next page
in another thread while writing (or building in a worker process) was measured slower
on two cores, the threads contending for the interpreter lock and the process paying
more to send built parties back than building them costs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from queue import Queue
from typing import Any

from crmkit import SYSTEM, ConfigurationError, Crm
from crmkit_erp_sap.connection.errors import SapError, SapUnavailable
from crmkit_erp_sap.connection.session import SapSession
from crmkit_erp_sap.partners.apply import apply_planned
from crmkit_erp_sap.partners.cursor import (
    Position,
    move_position,
    read_position,
    reset_position,
)
from crmkit_erp_sap.partners.odata import ENTITY_SET, select_for
from crmkit_erp_sap.partners.reading import (
    PageRead,
    Reader,
    UnorderedPage,
    fetch_page,
    planned_of,
    read_rows,
)
from crmkit_erp_sap.partners.runs import SyncRun, count_page, end_run, get_run, start_run
from crmkit_erp_sap.partners.settings import PartnersSettings

Progress = Callable[[SyncRun], None]
"""Called after each committed page with the run so far."""


class CursorMoved(Exception):
    """Another sync of the same system moved the cursor: this one stops without writing."""


class EndlessPaging(Exception):
    """The server answered a page with no row past the cursor: it ignores the filter."""


def sync(
    app: Crm,
    system: str | None = None,
    *,
    full: bool = False,
    trigger: str = "cli",
    progress: Progress | None = None,
) -> SyncRun:
    """Pull the partners of ``system`` (the only one configured when None) changed since
    the last run, or all of them when ``full``; the run as it ended.

    ``crmkit.ConfigurationError`` when no such system is configured. SAP being
    unreachable ends the run ``failed`` with the reason; what was committed stays.
    """
    with SapSession.for_app(app, system) as session:
        return _Puller(app, session, full, trigger, progress).run()


def start_sync(app: Crm, system: str | None = None, *, full: bool, trigger: str) -> SyncRun:
    """Start :func:`sync` in a background thread; the run as it started (``running``).

    ``crmkit.ConfigurationError`` when no such system is configured. A process that
    dies meanwhile leaves the run ``running``; the next run marks it interrupted.
    """
    session = SapSession.for_app(app, system)
    started: Queue[SyncRun | BaseException] = Queue(1)

    def pull() -> None:
        try:
            with session:
                _Puller(app, session, full, trigger, None, started=started.put).run()
        except BaseException as error:  # the caller waits for the start, or for this
            started.put(error)
            raise

    threading.Thread(target=pull, name=f"erp-sap-sync-{session.system_id}", daemon=True).start()
    first = started.get()
    if isinstance(first, BaseException):
        raise first
    return first


class _Puller:
    def __init__(
        self,
        app: Crm,
        session: SapSession,
        full: bool,
        trigger: str,
        progress: Progress | None,
        *,
        started: Callable[[SyncRun], None] | None = None,
    ) -> None:
        self.started = started
        self.app = app
        self.session = session
        self.system = session.system_id
        self.full = full
        self.trigger = trigger
        self.progress = progress
        settings: PartnersSettings = app.settings_of["erp_sap"].partners
        self.custom_fields: Mapping[str, str] = settings.custom_fields
        declared = app.custom_fields.of("customer")
        for prop, name in self.custom_fields.items():
            if name not in declared:
                raise ConfigurationError(
                    "plugins.erp_sap.partners.custom_fields",
                    f"maps {prop} to {name!r}, which is no custom field of customers",
                )
        self.reader = Reader(
            self.system,
            select_for(self.custom_fields),
            dict(self.custom_fields),
            app.settings.default_region,
        )
        self.seen_failures: set[tuple[str | None, str]] = set()

    def run(self) -> SyncRun:
        with self.app.transaction(SYSTEM) as tx:
            run = start_run(tx, self.system, "full" if self.full else "delta", self.trigger)
            if self.full:
                reset_position(tx, self.system, ENTITY_SET)
        if self.started is not None:
            self.started(run)
        try:
            self._pull(run.id)
        except (
            SapUnavailable,
            SapError,
            CursorMoved,
            EndlessPaging,
            UnorderedPage,
            ConfigurationError,
        ) as error:
            # A secret whose variable is unset is known when first used: the reason is logged.
            return self._end(run.id, "failed", str(error))
        except BaseException:
            self._end(run.id, "interrupted", "stopped by an error or a signal; see the log")
            raise
        return self._end(run.id, "finished")

    def _end(self, run_id: int, status: str, error: str | None = None) -> SyncRun:
        with self.app.transaction(SYSTEM) as tx:
            return end_run(tx, run_id, status, error)

    def _pull(self, run_id: int) -> None:
        with self.app.engine.connect() as conn:
            position = read_position(conn, self.system, ENTITY_SET)
        while True:
            page = fetch_page(self.reader, position, self.session)
            read = read_rows(self.reader, page.rows, position)
            if read.rows == 0:
                return
            if read.end.sort_key() <= position.sort_key():
                if len(read.failures) == read.rows:
                    self._commit(run_id, position, position, read)
                    return  # only rows that cannot be read are left: they are logged
                raise EndlessPaging(
                    f"SAP answered a page with no partner past {position.key!r}"
                    " (it does not filter as asked): stopped"
                )
            self._commit(run_id, position, read.end, read)
            position = read.end
            if page.next_url is None:  # no next link: the server has nothing past these rows
                return

    def _commit(self, run_id: int, before: Position, after: Position, read: PageRead) -> None:
        with self.app.transaction(SYSTEM) as tx:
            if after != before and not move_position(tx, self.system, ENTITY_SET, before, after):
                raise CursorMoved(f"another sync of {self.system} moved the cursor: stopped")
            outcomes = apply_planned(tx, planned_of(self.reader, read))
            counts = dict.fromkeys(("created", "updated", "unchanged"), 0)
            failures = list(read.failures)
            for outcome in outcomes:
                if outcome.result != "failed":
                    counts[outcome.result] += 1
                    continue
                failures.append(
                    {
                        "business_partner": outcome.number,
                        "position": None,
                        "field": outcome.field,
                        "reason": outcome.reason,
                    }
                )
            # A row that cannot be read at all is read again with the next page: logged once.
            fresh = [f for f in failures if self._first_time(f)]
            counts["failed"] = len(fresh)
            count_page(tx, run_id, counts, fresh)
        if self.progress is not None:
            with self.app.engine.connect() as conn:
                self.progress(get_run(conn, run_id))

    def _first_time(self, failure: dict[str, Any]) -> bool:
        key = (failure["business_partner"], failure["reason"])
        if key in self.seen_failures:
            return False
        self.seen_failures.add(key)
        return True

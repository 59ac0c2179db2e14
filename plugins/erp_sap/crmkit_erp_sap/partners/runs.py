"""Sync runs: the log of each pull, its counts and the rows that failed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs
from attrs import frozen
from sqlalchemy import Connection, insert, select, update

from crmkit import NotFound, Page, Transaction, newest_first, seen_party_ids, utcnow
from crmkit_erp_sap.partners.tables import partner, sync_failure, sync_run

INTERRUPTED = "stopped before it ended (the process was killed or crashed)"


@frozen
class SyncRun:
    """One pull of one SAP system: how it was started, how it ended, what it did."""

    id: int
    system: str
    kind: str
    trigger: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    created: int
    updated: int
    unchanged: int
    failed: int
    error: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "system": self.system,
            "kind": self.kind,
            "trigger": self.trigger,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "finished_at": None if self.finished_at is None else self.finished_at.isoformat(),
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "error": self.error,
        }


@frozen
class SyncFailure:
    """A row a run could not take in: its partner number (or place in the page) and why."""

    id: int
    business_partner: str | None
    position: int | None
    field: str | None
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "business_partner": self.business_partner,
            "position": self.position,
            "field": self.field,
            "reason": self.reason,
        }


def _run_of(row: Any) -> SyncRun:
    return SyncRun(
        row.id,
        row.system,
        row.kind,
        row.trigger,
        row.status,
        row.started_at,
        row.finished_at,
        row.created,
        row.updated,
        row.unchanged,
        row.failed,
        row.error,
    )


def start_run(tx: Transaction, system: str, kind: str, trigger: str) -> SyncRun:
    """A new run of ``system``; runs of it left running by a dead process become interrupted."""
    now = utcnow()
    tx.conn.execute(
        update(sync_run)
        .where(sync_run.c.system == system, sync_run.c.status == "running")
        .values(status="interrupted", finished_at=now, error=INTERRUPTED)
    )
    run_id = tx.conn.execute(
        insert(sync_run)
        .values(
            system=system,
            kind=kind,
            trigger=trigger,
            status="running",
            started_at=now,
            created=0,
            updated=0,
            unchanged=0,
            failed=0,
        )
        .returning(sync_run.c.id)
    ).scalar_one()
    return get_run(tx.conn, int(run_id))


def count_page(
    tx: Transaction, run_id: int, counts: dict[str, int], failures: Sequence[dict[str, Any]]
) -> None:
    """Add a committed page's counts and failures to the run, in the page's transaction."""
    if failures:
        tx.conn.execute(insert(sync_failure), [{"run_id": run_id, **f} for f in failures])
    tx.conn.execute(
        update(sync_run)
        .where(sync_run.c.id == run_id)
        .values({name: sync_run.c[name] + added for name, added in counts.items()})
    )


def end_run(tx: Transaction, run_id: int, status: str, error: str | None = None) -> SyncRun:
    """Close the run as ``status``; emits ``erp_sap.sync_finished``."""
    tx.conn.execute(
        update(sync_run)
        .where(sync_run.c.id == run_id)
        .values(status=status, finished_at=utcnow(), error=error)
    )
    run = get_run(tx.conn, run_id)
    payload = run.as_json()
    tx.emit(
        "erp_sap.sync_finished",
        "erp_sap.sync_run",
        run_id,
        {k: payload[k] for k in ("id", "system", "kind", "status", *COUNTS)},
    )
    return run


COUNTS = ("created", "updated", "unchanged", "failed")


def get_run(conn: Connection, run_id: int) -> SyncRun:
    row = conn.execute(select(sync_run).where(sync_run.c.id == run_id)).first()
    if row is None:
        raise NotFound(f"sync run {run_id} does not exist")
    return _run_of(row)


def list_runs(conn: Connection, *, cursor: str | None, limit: int) -> Page[SyncRun]:
    """Runs, newest first."""
    return newest_first(conn, select(sync_run), sync_run.c.id, _run_of, cursor=cursor, limit=limit)


HIDDEN = "a partner whose party you may not see (its number and data are left out)"


def list_failures(
    tx: Transaction, run_id: int, *, cursor: str | None, limit: int
) -> Page[SyncFailure]:
    """A run's failures, the latest first, as ``tx.actor`` may read them: a failure of a
    partner linked to a party the actor does not see keeps its field, but not the partner's
    number or the reason (which quotes SAP's value, an e-mail address say)."""
    query = select(sync_failure).where(sync_failure.c.run_id == run_id)
    page = newest_first(tx.conn, query, sync_failure.c.id, _failure_of, cursor=cursor, limit=limit)
    numbers = {f.business_partner for f in page.items if f.business_partner}
    if not numbers:
        return page
    system = select(sync_run.c.system).where(sync_run.c.id == run_id).scalar_subquery()
    hidden = set(
        tx.conn.execute(
            select(partner.c.business_partner).where(
                partner.c.system == system,
                partner.c.business_partner.in_(numbers),
                partner.c.party_id.is_not(None),
                partner.c.party_id.not_in(seen_party_ids(tx.hooks, tx.actor)),
            )
        ).scalars()
    )
    items = [
        attrs.evolve(f, business_partner=None, reason=HIDDEN) if f.business_partner in hidden else f
        for f in page.items
    ]
    return Page(items, page.next_cursor)


def _failure_of(row: Any) -> SyncFailure:
    return SyncFailure(row.id, row.business_partner, row.position, row.field, row.reason)

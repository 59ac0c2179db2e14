"""The IDoc files seen, as the API and pages show them."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import attrs
from attrs import frozen
from sqlalchemy import Connection, insert, select

from crmkit import (
    NotFound,
    Page,
    Transaction,
    linked_parties,
    newest_first,
    party_table,
    seen_party_ids,
    utcnow,
)
from crmkit_erp_sap.idoc.tables import idoc, idoc_file
from crmkit_erp_sap.partners.record import external_system


@frozen
class IdocFile:
    """A file taken in (``in``) or written (``out``); ``status``: imported, partial, failed or
    exported; the counts are of the IDocs in it."""

    id: int
    name: str
    sha256: str
    direction: str
    message_type: str | None
    idoc_type: str | None
    docnum: str | None
    status: str
    idocs: int
    applied: int
    unchanged: int
    failed: int
    error: str | None
    received_at: datetime
    finished_at: datetime | None


@frozen
class IdocEntry:
    """One IDoc of a file: applied, unchanged (seen before, or nothing new) or failed, and why."""

    docnum: str
    message_type: str
    status: str
    reference: str | None
    field: str | None
    reason: str | None


@frozen
class IdocFileDetail:
    """A file with its IDocs."""

    file: IdocFile
    entries: list[IdocEntry]


def _file(row: Any) -> IdocFile:
    return IdocFile(**{f.name: getattr(row, f.name) for f in attrs.fields(IdocFile)})


def list_files(
    tx: Transaction, *, status: str | None = None, cursor: str | None = None, limit: int = 50
) -> Page[IdocFile]:
    """The files, newest first, a page at a time; a file holding an IDoc of a party
    ``tx.actor`` may not see has its error summary left out (it quotes the IDoc's data)."""
    query = select(idoc_file)
    if status is not None:
        query = query.where(idoc_file.c.status == status)
    page = newest_first(tx.conn, query, idoc_file.c.id, _file, cursor=cursor, limit=limit)
    with_error = [f.id for f in page.items if f.error]
    if not with_error:
        return page
    rows = tx.conn.execute(
        select(idoc.c.file_id, idoc.c.system, idoc.c.reference).where(
            idoc.c.file_id.in_(with_error), idoc.c.reference.is_not(None)
        )
    ).all()
    hidden = _hidden(tx, {(r.system, r.reference) for r in rows})
    unseen = {r.file_id for r in rows if (r.system, r.reference) in hidden}
    items = [attrs.evolve(f, error=HIDDEN) if f.id in unseen else f for f in page.items]
    return Page(items, page.next_cursor)


HIDDEN = "an IDoc of a party you may not see (its number and data are left out)"


def _hidden(tx: Transaction, references: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (system, SAP number) pairs linked to a party ``tx.actor`` may not see."""
    found: set[tuple[str, str]] = set()
    for system in {system for system, _ in references}:
        numbers = [number for s, number in references if s == system]
        linked = linked_parties(tx.conn, external_system(system), numbers)
        if not linked:
            continue
        seen = set(
            tx.conn.execute(
                select(party_table.c.id).where(
                    party_table.c.id.in_(set(linked.values())),
                    party_table.c.id.in_(seen_party_ids(tx.hooks, tx.actor)),
                )
            ).scalars()
        )
        found |= {(system, n) for n, party_id in linked.items() if party_id not in seen}
    return found


def file_by_sha256(conn: Connection, sha256: str) -> IdocFile | None:
    row = conn.execute(select(idoc_file).where(idoc_file.c.sha256 == sha256)).first()
    return None if row is None else _file(row)


def file_detail(tx: Transaction, file_id: int) -> IdocFileDetail:
    """A file and its IDocs; :class:`NotFound` when there is none. An IDoc of a party
    ``tx.actor`` may not see keeps its status and field, not its number or reason (nor the
    file its error summary)."""
    row = tx.conn.execute(select(idoc_file).where(idoc_file.c.id == file_id)).first()
    if row is None:
        raise NotFound(f"no IDoc file {file_id}")
    entries = tx.conn.execute(
        select(idoc).where(idoc.c.file_id == file_id).order_by(idoc.c.id)
    ).all()
    hidden = _hidden(tx, {(e.system, e.reference) for e in entries if e.reference})
    shown = []
    for e in entries:
        if (e.system, e.reference) in hidden:
            shown.append(IdocEntry(e.docnum, e.message_type, e.status, None, e.field, HIDDEN))
        else:
            shown.append(
                IdocEntry(e.docnum, e.message_type, e.status, e.reference, e.field, e.reason)
            )
    found = _file(row)
    if found.error and any(e.reason == HIDDEN for e in shown):
        found = attrs.evolve(found, error=HIDDEN)
    return IdocFileDetail(found, shown)


def record_export(
    tx: Transaction, name: str, content: bytes, docnum: str, message_type: str
) -> None:
    """Keep a written IDoc file in the list (direction ``out``); the same content once."""
    digest = hashlib.sha256(content).hexdigest()
    if file_by_sha256(tx.conn, digest) is not None:
        return
    now = utcnow()
    tx.conn.execute(
        insert(idoc_file).values(
            name=name[:255],
            sha256=digest,
            direction="out",
            message_type=message_type,
            idoc_type="ORDERS05",
            docnum=docnum,
            status="exported",
            idocs=1,
            applied=0,
            unchanged=0,
            failed=0,
            received_at=now,
            finished_at=now,
        )
    )

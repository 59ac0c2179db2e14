"""Taking in IDoc XML files: each file once, each IDoc once, moved to done/ or failed/ after commit.

A file is known by its SHA-256: one seen before is only moved, which is what happens when a
crash fell between the commit and the move. The file's IDocs are applied in one transaction
with its ``erp_sap_idoc_file`` row: DEBMAS customers in one batch through the partners part,
each ORDERS05 in a savepoint of its own, so that a refused IDoc is recorded with its reason
and the others still count. An IDoc whose DOCNUM was applied before (in another file) is not
applied again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from attrs import define, field, frozen
from sqlalchemy import insert, select, update

from crmkit import (
    SYSTEM,
    Actor,
    ConfigurationError,
    Crm,
    CrmError,
    Transaction,
    ValidationError,
    utcnow,
)
from crmkit_erp_sap.idoc.debmas import is_debmas, partner_record
from crmkit_erp_sap.idoc.document import Idoc, read_idocs
from crmkit_erp_sap.idoc.event_types import IDOC_IMPORTED
from crmkit_erp_sap.idoc.files import IdocFile, file_by_sha256, file_detail
from crmkit_erp_sap.idoc.orders_in import is_orders, take_order
from crmkit_erp_sap.idoc.settings import IdocSettings
from crmkit_erp_sap.idoc.tables import idoc, idoc_file
from crmkit_erp_sap.partners.apply import apply_partners
from crmkit_erp_sap.partners.record import PartnerRecord

_CHUNK = 1 << 20
DOCNUM_LENGTH = 16


@frozen
class Folders:
    """Where files arrive and where they go once taken in."""

    inbox: Path
    done: Path
    failed: Path

    def waiting(self) -> list[Path]:
        """The inbox's ``*.xml`` files by name; others (uploads still named ``.tmp``) wait.

        ``crmkit.ConfigurationError`` when the inbox is no folder: a mistyped path would
        otherwise look like an inbox nobody writes to."""
        if not self.inbox.is_dir():
            raise ConfigurationError(
                "plugins.erp_sap.idoc.inbox", f"{self.inbox} is not a folder: create it or fix it"
            )
        return sorted(p for p in self.inbox.iterdir() if p.is_file() and p.suffix.lower() == ".xml")


def idoc_settings(app: Crm) -> IdocSettings:
    settings: IdocSettings = app.settings_of["erp_sap"].idoc
    return settings


def folders_of(app: Crm) -> Folders | None:
    """The configured folders; None when no inbox is set (the part is off)."""
    settings = idoc_settings(app)
    if not settings.inbox:
        return None
    inbox = Path(settings.inbox)
    return Folders(
        inbox,
        Path(settings.done) if settings.done else inbox / "done",
        Path(settings.failed) if settings.failed else inbox / "failed",
    )


def sap_system(app: Crm) -> str:
    """The SAP system id the files come from: the setting, else the only system configured."""
    chosen = idoc_settings(app).system
    if chosen:
        return chosen
    systems = sorted(app.settings_of["erp_sap"].connection.systems)
    if len(systems) != 1:
        found = ", ".join(systems) or "none is configured"
        raise ConfigurationError(
            "plugins.erp_sap.idoc.system",
            f"name the SAP system IDoc files come from (connection systems: {found})",
        )
    return str(systems[0])


@frozen
class Taken:
    """A file handed to the intake, by the name it had, with its row: an earlier file's row
    (``again``) when the same content was taken in before."""

    name: str
    file: IdocFile
    again: bool


def import_inbox(app: Crm, actor: Actor = SYSTEM) -> list[IdocFile]:
    """Take in every file waiting in the inbox; nothing when the part is off."""
    return [taken.file for taken in take_in_inbox(app, actor)]


def take_in_inbox(app: Crm, actor: Actor = SYSTEM) -> list[Taken]:
    """:func:`import_inbox`, saying for each file its name and whether it was seen before."""
    folders = folders_of(app)
    if folders is None:
        return []
    taken = []
    for path in folders.waiting():
        try:
            taken.append(take_in(app, path, folders, actor))
        except FileNotFoundError:
            if path.exists():
                raise
            # Another intake (the job, the command, the API) took it in meanwhile: its file
            # row says so, and that intake moved it.
    return taken


def import_file(app: Crm, path: Path, folders: Folders | None, actor: Actor = SYSTEM) -> IdocFile:
    """Take in one file; given ``folders``, move it to done/ (imported) or failed/ after commit."""
    return take_in(app, path, folders, actor).file


def take_in(app: Crm, path: Path, folders: Folders | None, actor: Actor = SYSTEM) -> Taken:
    """:func:`import_file`, saying whether the file was seen before."""
    digest = _sha256(path)
    with app.read() as conn:
        seen = file_by_sha256(conn, digest)
    again = seen is not None
    if seen is None:
        seen = _take_in(app, path, digest, actor)
    if folders is not None:
        _move(path, folders.done if seen.status == "imported" else folders.failed, seen.id)
    return Taken(path.name, seen, again)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _move(path: Path, folder: Path, file_id: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        # Another file of that name went there before: keep both.
        target = folder / f"{path.stem}.{file_id}{path.suffix}"
    path.replace(target)


def _read(app: Crm, path: Path) -> list[Idoc]:
    limit = idoc_settings(app).max_file_bytes
    if path.stat().st_size > limit:
        raise ValidationError(
            "file", f"larger than {limit} bytes ([plugins.erp_sap.idoc] max_file_bytes)"
        )
    _, idocs = read_idocs(path.read_bytes())
    for position, doc in enumerate(idocs, start=1):
        if not doc.docnum or len(doc.docnum) > DOCNUM_LENGTH:
            raise ValidationError(
                "EDI_DC40.DOCNUM",
                f"IDOC {position} has no DOCNUM of 1 to {DOCNUM_LENGTH} characters",
            )
        if not (is_debmas(doc) or is_orders(doc)):
            kind = doc.kind or "(none)"
            raise ValidationError(
                "EDI_DC40.MESTYP", f"unknown message type {kind}: DEBMAS and ORDERS05 are taken in"
            )
    return idocs


def _take_in(app: Crm, path: Path, digest: str, actor: Actor) -> IdocFile:
    try:
        idocs = _read(app, path)
        system = sap_system(app)
    except (ValidationError, ConfigurationError) as exc:
        return _record_refused(app, path.name, digest, exc, actor)
    with app.transaction(actor) as tx:
        tx.hold(f"erp_sap.idoc_file\0{digest}")
        found = file_by_sha256(tx.conn, digest)
        if found is not None:
            return found
        file_id = _insert_file(tx, path.name, digest, idocs)
        tally = _Tally()
        fresh = [doc for doc in idocs if _new(tx, system, doc, tally)]
        _apply_customers(tx, system, [d for d in fresh if is_debmas(d)], tally)
        for doc in fresh:
            if not is_debmas(doc):
                _apply_order(tx, system, doc, tally)
        tally.store(tx, file_id, system)
        stored = _finish(tx, file_id, tally)
    return stored


@define
class _Tally:
    """What became of a file's IDocs, in the order they were decided."""

    applied: int = 0
    unchanged: int = 0
    failed: int = 0
    rows: list[dict[str, Any]] = field(factory=list)
    decided: set[str] = field(factory=set)

    def add(
        self, doc: Idoc, status: str, reference: str | None = None, error: CrmError | None = None
    ) -> None:
        if status == "applied":
            self.applied += 1
        elif status == "unchanged":
            self.unchanged += 1
        else:
            self.failed += 1
        self.rows.append(
            {
                "docnum": doc.docnum,
                "message_type": (doc.message_type or doc.idoc_type)[:30],
                "status": status,
                "reference": None if reference is None else reference[:100],
                "field": getattr(error, "field", None),
                "reason": None if error is None else _reason(error),
            }
        )

    def store(self, tx: Transaction, file_id: int, system: str) -> None:
        now = utcnow()
        for row in self.rows:
            key = (idoc.c.system == system, idoc.c.docnum == row["docnum"])
            # A failed IDoc sent again is decided anew; its row follows the latest file.
            done = tx.conn.execute(
                update(idoc).where(*key).values(file_id=file_id, processed_at=now, **row)
            )
            if not done.rowcount:
                tx.conn.execute(
                    insert(idoc).values(file_id=file_id, system=system, processed_at=now, **row)
                )


def _reason(error: CrmError) -> str:
    return str(getattr(error, "message", None) or error)


def _new(tx: Transaction, system: str, doc: Idoc, tally: _Tally) -> bool:
    """Whether the IDoc is still to apply: one applied before counts as unchanged."""
    before = tx.conn.execute(
        select(idoc.c.status, idoc.c.reference).where(
            idoc.c.system == system, idoc.c.docnum == doc.docnum
        )
    ).first()
    if doc.docnum in tally.decided or (before is not None and before.status != "failed"):
        tally.unchanged += 1
        return False
    tally.decided.add(doc.docnum)
    return True


def _insert_file(tx: Transaction, name: str, digest: str, idocs: list[Idoc]) -> int:
    types = sorted({d.message_type or d.idoc_type for d in idocs})
    file_id: int = tx.conn.execute(
        insert(idoc_file)
        .values(
            name=name[:255],
            sha256=digest,
            direction="in",
            message_type=",".join(types)[:30],
            idoc_type=idocs[0].idoc_type[:30] or None,
            docnum=idocs[0].docnum[:16],
            status="failed",
            idocs=len(idocs),
            applied=0,
            unchanged=0,
            failed=0,
            received_at=utcnow(),
        )
        .returning(idoc_file.c.id)
    ).scalar_one()
    return file_id


def _apply_customers(tx: Transaction, system: str, docs: list[Idoc], tally: _Tally) -> None:
    records: list[tuple[Idoc, PartnerRecord]] = []
    for doc in docs:
        try:
            records.append((doc, partner_record(doc, system)))
        except ValidationError as exc:
            tally.add(doc, "failed", error=exc)
    outcomes = apply_partners(tx, [record for _, record in records])
    for (doc, record), outcome in zip(records, outcomes, strict=True):
        if outcome.result == "failed":
            tally.add(
                doc,
                "failed",
                record.number,
                ValidationError(outcome.field or "E1KNA1M", outcome.reason),
            )
        else:
            status = "unchanged" if outcome.result == "unchanged" else "applied"
            tally.add(doc, status, record.number)


def _apply_order(tx: Transaction, system: str, doc: Idoc, tally: _Tally) -> None:
    try:
        with tx.conn.begin_nested():
            result, number = take_order(tx, doc, system)
    except CrmError as exc:
        tally.add(doc, "failed", error=exc)
    else:
        tally.add(doc, result, number)


def _finish(tx: Transaction, file_id: int, tally: _Tally) -> IdocFile:
    if tally.failed == 0:
        status = "imported"
    else:
        status = "partial" if tally.applied or tally.unchanged else "failed"
    failures = [r for r in tally.rows if r["status"] == "failed"]
    error = None
    if failures:
        first = failures[0]
        error = f"{len(failures)} IDoc(s) refused; first: {first['docnum']}: {first['reason']}"
    tx.conn.execute(
        update(idoc_file)
        .where(idoc_file.c.id == file_id)
        .values(
            status=status,
            applied=tally.applied,
            unchanged=tally.unchanged,
            failed=tally.failed,
            error=error,
            finished_at=utcnow(),
        )
    )
    stored = file_detail(tx, file_id).file
    _announce(tx, stored)
    return stored


def _announce(tx: Transaction, stored: IdocFile) -> None:
    tx.emit(
        IDOC_IMPORTED,
        "erp_sap.idoc_file",
        stored.id,
        {
            "name": stored.name,
            "message_type": stored.message_type,
            "status": stored.status,
            "idocs": stored.idocs,
            "applied": stored.applied,
            "unchanged": stored.unchanged,
            "failed": stored.failed,
        },
    )


def _record_refused(app: Crm, name: str, digest: str, error: CrmError, actor: Actor) -> IdocFile:
    with app.transaction(actor) as tx:
        tx.hold(f"erp_sap.idoc_file\0{digest}")
        found = file_by_sha256(tx.conn, digest)
        if found is not None:
            return found
        now = utcnow()
        file_id = tx.conn.execute(
            insert(idoc_file)
            .values(
                name=name[:255],
                sha256=digest,
                direction="in",
                status="failed",
                idocs=0,
                applied=0,
                unchanged=0,
                failed=0,
                error=_reason(error),
                received_at=now,
                finished_at=now,
            )
            .returning(idoc_file.c.id)
        ).scalar_one()
        stored = file_detail(tx, file_id).file
        _announce(tx, stored)
    return stored

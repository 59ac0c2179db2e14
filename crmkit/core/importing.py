"""Import of prospects and customers from CSV files: validated like any write, written in bulk.

Every row goes through the kernel's own validation and normalisation
(:func:`crmkit.core.parties.build_party`, the application's custom fields and the
``entity_validate`` hook); a row that fails goes to the rejects file with where
and why, and the import goes on. Accepted rows are inserted in bulk, one
transaction per batch, with one ``party.imported`` event per batch (payload:
``role``, ``file``, the batch's ``created``, ``skipped`` and ``rejected`` counts,
and the created ids as ``id_ranges``, ``[[first, last], ...]``); the
``entity_saved`` hooks still see every created party.

Idempotency: each row has a key, the value of the ``key`` column (the source
system's id) or else a hash of the normalised row. The key is stored in
``core_external_id`` (system ``import``, ``external_id`` ``<role>:<key>``) in the
same transaction as the party, so importing a file again, or again after an
interrupted run, creates every party exactly once.

A vCard file is read as rows too, one per card (:mod:`crmkit.core.vcard_import`),
and a profile (:mod:`crmkit.core.import_profiles`) reads another CRM's CSV export
as it is, linking each row's record id as an external id of that product and
recording its opt-outs as withdrawn consent, in the batch's transaction.

Cells are read as :mod:`crmkit.core.csv_cells` says: a ``'`` that ``crmkit export``
put in front of a formula-like cell (``'+4930...``, ``'-5``) is taken off again, and
the rejects file is written the way exports are.

Speed: building a party (parsing phone numbers and email addresses above all)
costs more than writing it, so large files are built in worker processes, a
few batches ahead of the batch being written.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs
import phonenumbers
from attrs import define, field, frozen
from sqlalchemy import Connection, select

from crmkit.core.actors import SYSTEM, Actor
from crmkit.core.bulk import allocate_ids, bulk_insert
from crmkit.core.consent import record_consent
from crmkit.core.csv_cells import csv_cell, restore
from crmkit.core.db import Transaction, custom_plans, reading
from crmkit.core.entities import Prospect
from crmkit.core.errors import ValidationError
from crmkit.core.external_ids import link_external_id
from crmkit.core.import_mapping import (
    MULTI_FIELDS,
    Candidate,
    Refusal,
    Row,
    RowBuilder,
    import_fields,
    plan_columns,
)
from crmkit.core.import_profiles import (
    OPT_OUT_PURPOSE,
    ImportProfile,
    ProfilePlan,
    import_profile,
    plan_profile,
)
from crmkit.core.intake.batch import take_in_batch
from crmkit.core.intake.batch_match import KnownRecords
from crmkit.core.intake.findings import Finding
from crmkit.core.intake.match_keys import key_rows
from crmkit.core.intake.pipeline import sanity_context
from crmkit.core.parties import contact_rows, party_row
from crmkit.core.search import term_rows
from crmkit.core.tables import (
    contact_point,
    external_id,
    match_key,
    party,
    search_term,
    user,
    utcnow,
)
from crmkit.core.vcard_import import VCARD_SUFFIXES, CardRows
from crmkit.core.vcard_parties import CARD_COLUMNS, KEY_COLUMN

if TYPE_CHECKING:
    from crmkit.app import Crm

IMPORT_FORMATS = ("csv", "vcard")
IMPORT_SYSTEM = "import"
"""``core_external_id.system`` of imported rows."""

MAX_KEY_LENGTH = 200
"""The length of ``core_external_id.external_id``."""

MAX_BATCH_SIZE = 20_000
"""Keeps a batch's key look-up within SQLite's limit on bound parameters."""

WORKERS_FROM_BYTES = 4 << 20
"""Files smaller than this are built in-process: starting a worker costs more than it saves."""


@frozen
class ImportOptions:
    """How to read a file; ``crmkit import --help`` explains each option."""

    mapping: Mapping[str, str] = field(factory=dict)
    """CSV column -> field; columns not mapped are read when named like a field."""
    delimiter: str = ","
    encoding: str = "utf-8"
    key: str | None = None
    region: str | None = None
    rejects: Path | None = None
    batch_size: int = 1000
    workers: int | None = None
    """Processes building rows; 0 builds in this process, None chooses by file size and CPUs.

    Workers are spawned: a script importing with them guards its entry point with
    ``if __name__ == "__main__":``, as any program using multiprocessing does.
    """
    profile: str | None = None
    """Another product's export layout, by name (the CRM's ``import_profiles``); CSV only."""
    format: str | None = None
    """``csv`` or ``vcard``; None reads ``.vcf`` and ``.vcard`` files as vCard, others as CSV."""


@define
class ImportResult:
    """What an import did, so far or in the end."""

    rejects_path: Path
    created: int = 0
    skipped: int = 0
    """Rows imported before (by an earlier run, or earlier in the same file)."""
    rejected: int = 0
    merged: int = 0
    """Prospects merged into a party they duplicate (by the intake pipeline)."""
    reviews: int = 0
    """Prospects created that wait in the review queue as possible duplicates."""
    ignored_columns: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return self.created + self.merged + self.skipped + self.rejected


ProgressCallback = Callable[[ImportResult, int], None]
"""Called after each batch with the result so far and how many bytes of the file were read."""


def import_parties(
    app: Crm,
    role: str,
    path: Path,
    options: ImportOptions | None = None,
    *,
    actor: Actor = SYSTEM,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Import prospects or customers (``role``) from the CSV or vCard file at ``path``.

    Bad options, a missing file, an unknown mapped field or an undecodable file
    raise :class:`ValidationError` before anything is written.
    """
    options = options or ImportOptions()
    custom = tuple(app.custom_fields.of(role))
    fields = import_fields(role, custom)
    rejects_path = _check_options(options, path)
    # An unknown profile is refused before anything is written.
    profile = (
        None if options.profile is None else import_profile(app.import_profiles, options.profile)
    )
    vcard = _reads_vcard(options, path)
    check_encoding(path, options.encoding)
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding=_reader_encoding(options.encoding), newline="")
        cards = CardRows() if vcard else None
        if cards is not None:
            source = _Source(CARD_COLUMNS, cards.batches(text, options.batch_size), key=KEY_COLUMN)
        else:
            source = _csv_source(text, options, path, profile)
        plan = plan_columns(source.header, source.mapping, fields, source.key, custom)
        region = (options.region or app.settings.default_region or "").upper() or None
        checks = None
        if role == "prospect":
            checks = sanity_context(region or app.settings.default_region, app.settings.intake)
        builder = RowBuilder(role, plan, region, app.custom_fields, source.profile, checks)
        read = source.profile.read if source.profile is not None else frozenset()
        ignored = tuple(c for c in plan.ignored if c not in read)
        result = ImportResult(rejects_path=rejects_path, ignored_columns=ignored)
        workers = _workers(options.workers, path.stat().st_size)
        with rejects_path.open("w", newline="", encoding="utf-8") as rejects:
            unit = "card" if vcard else "row"
            importer = _Importer(app, builder, actor, path, result, rejects, unit)
            with _building(builder, workers) as build:
                after = functools.partial(_report, progress, result, raw)
                importer.run(source.batches, build, workers, after)
    if cards is not None:  # known once every card is read
        result.ignored_columns = tuple(sorted(cards.ignored))
    return result


@frozen
class _Source:
    """The rows of a file, its header, and how the header maps to fields."""

    header: Sequence[str]
    batches: Iterator[list[Row]]
    mapping: Mapping[str, str] = field(factory=dict)
    key: str | None = None
    profile: ProfilePlan | None = None


def _reads_vcard(options: ImportOptions, path: Path) -> bool:
    if options.format is not None and options.format not in IMPORT_FORMATS:
        raise ValidationError("--format", f"expected one of {', '.join(IMPORT_FORMATS)}")
    vcard = options.format == "vcard" or (
        options.format is None and path.suffix.lower() in VCARD_SUFFIXES
    )
    if vcard and options.profile is not None:
        raise ValidationError("--profile", "applies to CSV files, not vCard")
    if vcard and options.mapping:
        raise ValidationError(
            "--map", "applies to CSV files; a vCard's properties have fixed fields"
        )
    return vcard


def _csv_source(
    text: IO[str], options: ImportOptions, path: Path, profile: ImportProfile | None
) -> _Source:
    reader = csv.reader(text, delimiter=options.delimiter)
    try:
        read = next(reader, None)
    except csv.Error as exc:
        raise ValidationError(str(path), f"row 1: {exc}") from None
    if read is None:
        raise ValidationError(str(path), "is empty (expected a header row)")
    header = [restore(name) for name in read]
    batches = _batches(reader, options.batch_size, path)
    if profile is None:
        return _Source(header, batches, options.mapping, options.key)
    plan = plan_profile(profile, header)
    # --map goes before the profile: a field it names is no longer fed by the profile's column.
    chosen = set(options.mapping.values())
    mapping = {
        column: target
        for column, target in plan.mapping.items()
        if target in MULTI_FIELDS or target not in chosen
    }
    mapping.update(options.mapping)
    return _Source(header, batches, mapping, options.key or plan.key, plan)


def _report(progress: ProgressCallback | None, result: ImportResult, raw: IO[bytes]) -> None:
    if progress is not None:
        progress(result, raw.tell())


# --- Checking the input before anything is written.


def _check_options(options: ImportOptions, path: Path) -> Path:
    if not path.is_file():
        raise ValidationError(str(path), "no such file")
    if len(options.delimiter) != 1:
        raise ValidationError("--delimiter", "must be one character")
    if not 1 <= options.batch_size <= MAX_BATCH_SIZE:
        raise ValidationError("--batch-size", f"must be between 1 and {MAX_BATCH_SIZE}")
    if options.workers is not None and options.workers < 0:
        raise ValidationError("--workers", "must be 0 or more")
    if options.region is not None and options.region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError("--region", f"{options.region!r} is not a phone region")
    rejects = options.rejects or path.with_name(path.name + ".rejects.csv")
    if rejects.resolve() == path.resolve():
        raise ValidationError("--rejects", "must not be the file being imported")
    return rejects


def check_encoding(path: Path, encoding: str) -> None:
    """Raise naming the first byte of ``path`` that ``encoding`` cannot decode."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    except LookupError:
        raise ValidationError("--encoding", f"unknown encoding {encoding!r}") from None
    offset = 0
    with path.open("rb") as raw:
        while chunk := raw.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise ValidationError(
                    str(path),
                    f"byte {offset + exc.start} is not valid {encoding} (choose another --encoding)",
                ) from None
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ValidationError(str(path), f"ends inside a {encoding} character") from None


def _reader_encoding(encoding: str) -> str:
    # A byte-order mark (as spreadsheet programs write) is not part of the first column's name.
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def _batches(reader: Iterator[list[str]], size: int, path: Path) -> Iterator[list[Row]]:
    batch: list[Row] = []
    number = 1
    while True:
        number += 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ValidationError(str(path), f"row {number}: {exc}") from None
        if not any(values):
            continue  # a blank line
        batch.append(Row(number, [restore(value) for value in values]))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- Building rows, in this process or in workers.

Build = Callable[[list[Row], Mapping[str, int]], Callable[[], list[Candidate | Refusal]]]
"""Start building rows (with their owners' ids); the callable returned waits for the result."""


def _workers(requested: int | None, size: int) -> int:
    if requested is not None:
        return requested
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min((cpus or 1) - 1, 4) if size >= WORKERS_FROM_BYTES else 0


@contextmanager
def _building(builder: RowBuilder, workers: int) -> Iterator[Build]:
    if workers == 0:
        yield lambda rows, owners: functools.partial(builder.build, rows, owners)
        return
    # spawn, not fork: a fork copies the locks that other threads (the progress bar's) may hold.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        try:
            yield lambda rows, owners: pool.submit(builder.build, rows, owners).result
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


# --- Writing.


def allocate_party_ids(conn: Connection, count: int) -> list[int]:
    """Reserve ``count`` new party ids, so that contact points can be written in bulk too.

    No id is one a party ever had, merged and erased parties' included: events, the
    audit trail and other systems go on quoting those.
    """
    return allocate_ids(conn, party, count)


def id_ranges(ids: Sequence[int]) -> list[list[int]]:
    """``[1, 2, 3, 7]`` -> ``[[1, 3], [7, 7]]``: the ids of a batch, compactly."""
    ranges: list[list[int]] = []
    for i in sorted(ids):
        if ranges and ranges[-1][1] == i - 1:
            ranges[-1][1] = i
        else:
            ranges.append([i, i])
    return ranges


@define
class _Batch:
    """Rows on their way: read and looked up, being built, then written."""

    rows: list[Row]
    owners: dict[str, int]
    keys: dict[int, str] = field(factory=dict)
    """Row number -> key, from the key column."""
    refusals: list[Refusal] = field(factory=list)
    skipped: int = 0


class _Importer:
    """Looks batches up, has them built, and writes them, one transaction each."""

    def __init__(
        self,
        app: Crm,
        builder: RowBuilder,
        actor: Actor,
        path: Path,
        result: ImportResult,
        rejects: IO[str],
        unit: str = "row",
    ) -> None:
        self.app = app
        self.plan = builder.plan
        self.profile = builder.profile
        self.role = builder.role
        self.region = builder.region or app.settings.default_region
        self.actor = actor
        self.path = path
        self.result = result
        self._rejects_file = rejects
        self._rejects = csv.writer(rejects, quoting=csv.QUOTE_ALL)  # as exports are
        self.unit = unit
        self._reject_row([unit, "column", "field", "reason", *self.plan.header])
        self._records = KnownRecords()

    def run(
        self, batches: Iterator[list[Row]], build: Build, ahead: int, after: Callable[[], None]
    ) -> None:
        """Write every batch, calling ``after`` each time; ``ahead`` later batches build meanwhile."""
        pending: deque[tuple[_Batch, Callable[[], list[Candidate | Refusal]]]] = deque()
        for rows in batches:
            batch = self._look_up(rows)
            pending.append((batch, build(batch.rows, batch.owners)))
            while len(pending) > ahead:
                done, built = pending.popleft()
                self._write_batch(done, built())
                after()
        for done, built in pending:
            self._write_batch(done, built())
            after()

    def _look_up(self, rows: list[Row]) -> _Batch:
        """Owners' ids, and with a key column, the rows imported before (they need no building)."""
        with reading(self.app.engine) as conn:
            batch = _Batch(rows, self._owners(conn, rows))
            if self.plan.key is None:
                return batch
            keyed, unkeyed = [], []
            for row in rows:
                if len(row.values) != len(self.plan.header):
                    unkeyed.append(row)  # the builder refuses it, naming the column count
                elif (key := self._source_key(row, batch)) is not None:
                    keyed.append((row, key))
            known = self._known(conn, [key for _, key in keyed])
        batch.rows = unkeyed
        for row, key in keyed:
            if key in known:
                batch.skipped += 1
            else:
                batch.rows.append(row)
                batch.keys[row.number] = key
        return batch

    def _owners(self, conn: Connection, rows: list[Row]) -> dict[str, int]:
        column = self.plan.single.get("owner")
        if column is None:
            return {}
        wanted = {r.values[column].strip() for r in rows if column < len(r.values)} - {""}
        if not wanted:
            return {}
        query = select(user.c.username, user.c.id).where(user.c.username.in_(wanted))
        return {name: user_id for name, user_id in conn.execute(query)}

    def _source_key(self, row: Row, batch: _Batch) -> str | None:
        assert self.plan.key is not None
        column = self.plan.header[self.plan.key]
        value = row.values[self.plan.key].strip()
        if self.profile is not None and self.plan.key == self.profile.key_index:
            # The product's record id in the one form it has (a Salesforce id of 15 or 18
            # characters), so that a file exported either way is known on a re-import.
            value = self.profile.profile.normalise_id(value)
        key = f"{self.role}:{value}"
        if not value:
            batch.refusals.append(Refusal(row, column, "key", "the key column is empty"))
        elif len(key) > MAX_KEY_LENGTH:
            limit = MAX_KEY_LENGTH - len(self.role) - 1
            batch.refusals.append(Refusal(row, column, "key", f"longer than {limit} characters"))
        else:
            return key
        return None

    def _known(self, conn: Connection, keys: list[str]) -> set[str]:
        if not keys:
            return set()
        query = select(external_id.c.external_id).where(
            external_id.c.system == IMPORT_SYSTEM, external_id.c.external_id.in_(set(keys))
        )
        with custom_plans(conn):
            return set(conn.execute(query).scalars())

    def _write_batch(self, batch: _Batch, built: list[Candidate | Refusal]) -> None:
        before = attrs.evolve(self.result)
        refusals = [*batch.refusals, *(item for item in built if isinstance(item, Refusal))]
        candidates = [item for item in built if isinstance(item, Candidate)]
        self.result.skipped += batch.skipped
        with self.app.transaction(self.actor) as tx:
            # Checked again here, in the writing transaction: other batches were written
            # since the look-up, and rows without a key column are keyed only now.
            keyed = [(c, c.key or batch.keys[c.row.number]) for c in candidates]
            known = self._known(tx.conn, [key for _, key in keyed])
            fresh = []
            for candidate, key in keyed:
                if key in known:
                    self.result.skipped += 1
                    continue
                known.add(key)
                refusal = self._validate_hooks(tx, candidate)
                if refusal is None:
                    fresh.append((candidate, key))
                else:
                    refusals.append(refusal)
            stored: list[int] = []
            if fresh and self.role == "prospect":
                refused, stored = self._take_in(tx, fresh)
                refusals.extend(refused)
            self.result.rejected += len(refusals)
            if stored:
                self._announce(tx, before, stored)
            elif fresh and self.role != "prospect":
                self._write(tx, fresh, before)
        for refusal in sorted(refusals, key=lambda r: r.row.number):
            where = [refusal.row.number, refusal.column, refusal.field, refusal.reason]
            self._reject_row([*where, *refusal.row.values])
        self._rejects_file.flush()

    def _reject_row(self, cells: Sequence[object]) -> None:
        # Cells as an export writes them: the file is opened in spreadsheets and imported again.
        self._rejects.writerow([csv_cell(str(cell)) for cell in cells])

    def _validate_hooks(self, tx: Transaction, candidate: Candidate) -> Refusal | None:
        entity = candidate.entity
        try:
            tx.hooks.call(
                "entity_validate",
                tx=tx,
                entity_type=self.role,
                entity=entity,
                changes=party_row(entity),
            )
        except ValidationError as exc:
            return candidate.refusal(self.plan, exc)
        return None

    def _write(
        self, tx: Transaction, fresh: list[tuple[Candidate, str]], before: ImportResult
    ) -> None:
        ids = allocate_party_ids(tx.conn, len(fresh))
        now = utcnow()
        parties: list[dict[str, Any]] = []
        contacts: list[dict[str, Any]] = []
        terms: list[dict[str, Any]] = []
        match_keys: list[dict[str, Any]] = []
        keys: list[dict[str, Any]] = []
        for (candidate, key), party_id in zip(fresh, ids, strict=True):
            entity = candidate.entity
            entity.id, entity.version, entity.created_at, entity.updated_at = party_id, 1, now, now
            stamps = {"id": party_id, "version": 1, "created_at": now, "updated_at": now}
            parties.append({**party_row(entity), **stamps})
            contacts.extend(contact_rows(party_id, entity))
            assert candidate.terms is not None and candidate.blocking_keys is not None
            terms.extend(term_rows(party_id, candidate.terms))
            match_keys.extend(key_rows(party_id, candidate.blocking_keys))
            keys.append(
                {
                    "system": IMPORT_SYSTEM,
                    "external_id": key,
                    "party_id": party_id,
                    "created_at": now,
                }
            )
        bulk_insert(tx.conn, party, parties)
        bulk_insert(tx.conn, contact_point, contacts)
        bulk_insert(tx.conn, search_term, terms)
        bulk_insert(tx.conn, match_key, match_keys)
        bulk_insert(tx.conn, external_id, keys)
        for (candidate, _), party_id in zip(fresh, ids, strict=True):
            self._attach(tx, candidate, party_id)
        for candidate, _ in fresh:
            tx.hooks.call(
                "entity_saved",
                tx=tx,
                entity_type=self.role,
                entity=candidate.entity,
                change="created",
            )
        self.result.created += len(fresh)
        self._announce(tx, before, ids)

    def _take_in(
        self, tx: Transaction, fresh: list[tuple[Candidate, str]]
    ) -> tuple[list[Refusal], list[int]]:
        """Prospects, as a set through intake (:mod:`crmkit.core.intake.batch`): the rows refused
        for a hard finding, and the ids of the prospects stored (not merged).

        Unlike other rows they are matched, against the database and the rows before them.
        """
        prospects = []
        for candidate, _ in fresh:
            assert isinstance(candidate.entity, Prospect)
            prospects.append((candidate.entity, candidate.findings, candidate.ruled))
        results = take_in_batch(
            tx,
            prospects,
            region=self.region,
            settings=self.app.settings.intake,
            # The file is the integrator's: it vouches for its rows.
            vouched=True,
            allocate=allocate_party_ids,
            insert=bulk_insert,
            known=self._records,
        )
        refusals: list[Refusal] = []
        keys: list[dict[str, Any]] = []
        stored: list[int] = []
        now = utcnow()
        for (candidate, key), result in zip(fresh, results, strict=True):
            if result.party_id is None:
                refusals.append(self._rejection(candidate, result.findings))
                continue
            self._attach(tx, candidate, result.party_id)
            if result.outcome in ("matched", "merged"):
                self.result.merged += 1
            else:
                self.result.created += 1
                self.result.reviews += result.outcome == "review"
                stored.append(result.party_id)
            keys.append(
                {
                    "system": IMPORT_SYSTEM,
                    "external_id": key,
                    "party_id": result.party_id,
                    "created_at": now,
                }
            )
        bulk_insert(tx.conn, external_id, keys)
        return refusals, stored

    def _attach(self, tx: Transaction, candidate: Candidate, party_id: int) -> None:
        """What a profile read besides the party: its record id in the product, its opt-outs."""
        if candidate.link is not None:
            link_external_id(tx, party_id, *candidate.link)
        for channel in candidate.withdrawn:
            record_consent(
                tx,
                party_id,
                OPT_OUT_PURPOSE,
                channel,
                "withdrawn",
                source=f"import of {self.path.name}"[:100],
                evidence=f"{self.unit} {candidate.row.number}: opted out in the exporting system",
            )

    def _rejection(self, candidate: Candidate, findings: Sequence[Finding]) -> Refusal:
        failed = [f for f in findings if f.severity == "hard"]
        field = failed[0].field or ""
        reason = "; ".join(f"{f.code}: {f.message}" for f in failed)
        return Refusal(candidate.row, self.plan.column_of(field, candidate.origins), field, reason)

    def _announce(self, tx: Transaction, before: ImportResult, ids: Sequence[int]) -> None:
        tx.emit(
            "party.imported",
            self.role,
            None,
            {
                "role": self.role,
                "file": self.path.name,
                "created": self.result.created - before.created,
                "skipped": self.result.skipped - before.skipped,
                "rejected": self.result.rejected - before.rejected,
                "id_ranges": id_ranges(ids),
            },
        )

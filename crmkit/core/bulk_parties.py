"""Creating and updating many parties in one go: for connectors that bring in thousands.

:func:`create_parties` checks each party as :func:`crmkit.create_party` does (identity,
custom fields, the ``entity_validate`` hook) and writes the accepted ones with a few
set-based statements (COPY on PostgreSQL), their external ids with them. It records no
audit entry and emits no event per party, as an import does not: the caller announces
the batch.

:func:`update_parties` is :func:`crmkit.update_party` for a batch: each party versioned,
audited and announced (``<role>.updated``) as one update is, in a few statements for all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attrs import frozen
from sqlalchemy import bindparam, delete, update

from crmkit.core import audit
from crmkit.core.bulk import bulk_insert
from crmkit.core.db import Transaction
from crmkit.core.entities import Party
from crmkit.core.errors import ConflictError, ValidationError
from crmkit.core.events import write_events
from crmkit.core.external_ids import check_external_key
from crmkit.core.importing import allocate_party_ids
from crmkit.core.intake.match_keys import match_key_rows
from crmkit.core.parties import (
    _validate_custom,
    audited,
    check_identity,
    contact_rows,
    load_parties,
    party_row,
    prepare_update,
)
from crmkit.core.search import search_rows
from crmkit.core.tables import contact_point, external_id, match_key, party, search_term, utcnow


def create_parties(
    tx: Transaction,
    entities: Sequence[Party],
    external_ids: Sequence[tuple[str, str] | None] | None = None,
) -> list[Party | ValidationError]:
    """Store new parties, each linked to its ``(system, external_id)`` when one is given.

    Position by position, the stored party (with its id) or the ValidationError that
    refused it; a refused party changes nothing. The external ids must be linked to no
    party yet (the caller looked them up in this transaction); ``entity_saved`` hooks see
    every stored party.
    """
    links = list(external_ids) if external_ids is not None else [None] * len(entities)
    if len(links) != len(entities):
        raise ValueError("one external id (or None) per party")
    outcomes: list[Party | ValidationError] = []
    accepted: list[tuple[Party, tuple[str, str] | None]] = []
    for entity, key in zip(entities, links, strict=True):
        try:
            if entity.id is not None:
                raise ValidationError("id", "a new party has no id yet")
            check_identity(entity)
            _validate_custom(tx, entity)
            tx.hooks.call(
                "entity_validate",
                tx=tx,
                entity_type=entity.role,
                entity=entity,
                changes=party_row(entity),
            )
            if key is not None:
                key = check_external_key(*key)
        except ValidationError as exc:
            outcomes.append(exc)
            continue
        outcomes.append(entity)
        accepted.append((entity, key))
    _write(tx, accepted)
    return outcomes


def _write(tx: Transaction, accepted: list[tuple[Party, tuple[str, str] | None]]) -> None:
    if not accepted:
        return
    ids = allocate_party_ids(tx.conn, len(accepted))
    now = utcnow()
    parties: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    terms: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for (entity, key), party_id in zip(accepted, ids, strict=True):
        entity.id, entity.version, entity.created_at, entity.updated_at = party_id, 1, now, now
        stamps = {"id": party_id, "version": 1, "created_at": now, "updated_at": now}
        parties.append({**party_row(entity), **stamps})
        contacts.extend(contact_rows(party_id, entity))
        terms.extend(search_rows(party_id, entity))
        keys.extend(match_key_rows(party_id, entity))
        if key is not None:
            system, value = key
            links.append(
                {"system": system, "external_id": value, "party_id": party_id, "created_at": now}
            )
    bulk_insert(tx.conn, party, parties)
    bulk_insert(tx.conn, contact_point, contacts)
    bulk_insert(tx.conn, search_term, terms)
    bulk_insert(tx.conn, match_key, keys)
    bulk_insert(tx.conn, external_id, links)
    for entity, _ in accepted:
        tx.hooks.call(
            "entity_saved", tx=tx, entity_type=entity.role, entity=entity, change="created"
        )


@frozen
class PartyUpdate:
    """One update of :func:`update_parties`: ``data`` (field -> new value) for ``party_id``,
    if it is still at ``expected_version``."""

    party_id: int
    data: Mapping[str, Any]
    expected_version: int


def update_parties(
    tx: Transaction, updates: Sequence[PartyUpdate], *, region: str | None
) -> list[Party | ValidationError | ConflictError]:
    """Apply each update as :func:`crmkit.update_party` would, written set-based.

    Position by position, the party as it now is (unchanged and at the same version when
    the data changes nothing), or the error that refused that update alone: a
    ValidationError, or a ConflictError for a party gone or not at its expected version.
    A party named twice is refused (``party_id``). If another transaction changes one of
    the parties between the read and the write, ConflictError is raised for the batch.
    """
    current = load_parties(tx.conn, [u.party_id for u in updates])
    outcomes: list[Party | ValidationError | ConflictError] = []
    written: list[tuple[Party, Party, dict[str, Any], int]] = []
    seen: set[int] = set()
    for item in updates:
        before = current.get(item.party_id)
        try:
            if item.party_id in seen:
                raise ValidationError("party_id", f"party {item.party_id} is updated twice")
            seen.add(item.party_id)
            if before is None:
                raise ConflictError(f"party {item.party_id} does not exist")
            after, changes = prepare_update(
                tx, before, item.data, item.expected_version, region=region
            )
        except (ValidationError, ConflictError) as exc:
            outcomes.append(exc)
            continue
        outcomes.append(after if changes else before)
        if changes:
            written.append((before, after, changes, item.expected_version))
    _write_updates(tx, written)
    return outcomes


def _write_updates(
    tx: Transaction, written: list[tuple[Party, Party, dict[str, Any], int]]
) -> None:
    if not written:
        return
    now = utcnow()
    stored = [(int(after.id or 0), after) for _, after, _, _ in written]
    rows = []
    for _, after, _, version in written:
        row = {**party_row(after), "version": version + 1, "updated_at": now}
        rows.append(
            {"b_id": after.id, "b_version": version, **{f"v_{k}": v for k, v in row.items()}}
        )
    statement = (
        update(party)
        .where(party.c.id == bindparam("b_id"), party.c.version == bindparam("b_version"))
        .values({name[2:]: bindparam(name) for name in rows[0] if name.startswith("v_")})
    )
    if tx.conn.execute(statement, rows).rowcount != len(rows):
        raise ConflictError("a party of the batch was changed by someone else meanwhile")
    ids = [party_id for party_id, _ in stored]
    moved = {
        int(a.id or 0)
        for _, a, changes, _ in written
        if {"emails", "phones", "addresses"} & set(changes)
    }
    if moved:
        tx.conn.execute(delete(contact_point).where(contact_point.c.party_id.in_(moved)))
        contacts = [r for i, a in stored if i in moved for r in contact_rows(i, a)]
        bulk_insert(tx.conn, contact_point, contacts)
    tx.conn.execute(delete(search_term).where(search_term.c.party_id.in_(ids)))
    bulk_insert(tx.conn, search_term, [r for i, a in stored for r in search_rows(i, a)])
    tx.conn.execute(delete(match_key).where(match_key.c.party_id.in_(ids)))
    bulk_insert(tx.conn, match_key, [r for i, a in stored for r in match_key_rows(i, a)])
    for _, after, _, version in written:
        after.version, after.updated_at = version + 1, now
        tx.hooks.call("entity_saved", tx=tx, entity_type=after.role, entity=after, change="updated")
    audit.record_each(
        tx,
        "party",
        "updated",
        [(a.id, audit.diff(audited(b), audited(a))) for b, a, _, _ in written],
    )
    events = [
        (f"{a.role}.updated", a.role, a.id, {"id": a.id, "fields": sorted(c), "version": a.version})
        for _, a, c, _ in written
    ]
    tx.events.extend(write_events(tx, events))

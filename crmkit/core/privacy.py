"""Privacy: export everything held on a party, and erase it on request, across every plugin."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, String, cast, delete, select, update

from crmkit.core import audit as trail
from crmkit.core.errors import ConflictError, NotFound, PluginError
from crmkit.core.external_id_changes import changes_concerning, forget_changes
from crmkit.core.idempotency import forget_answers
from crmkit.core.tables import (
    audit,
    consent,
    contact_point,
    external_id,
    interaction,
    merge_log,
    outbox,
    party,
    search_term,
)

if TYPE_CHECKING:
    from crmkit.core.db import Transaction
    from crmkit.hooks.host import PluginHost

KERNEL_SECTIONS: tuple[str, ...] = (
    "party",
    "contact_points",
    "interactions",
    "external_ids",
    "external_id_changes",
    "consents",
)
"""The sections of an export that hold the kernel's own data; plugins add theirs beside them."""


def _plain(value: Any) -> Any:
    """A JSON-ready form of a column value: dates and times as ISO 8601 text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(conn: Connection, query: Any, skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [
        {k: _plain(v) for k, v in row.items() if k not in skip}
        for row in conn.execute(query).mappings()
    ]


def export_party(conn: Connection, hooks: PluginHost, party_id: int) -> dict[str, Any]:
    """Everything the CRM holds on the party: the kernel's sections and every plugin's ``export_party``."""
    profiles = _rows(conn, select(party).where(party.c.id == party_id))
    if not profiles:
        raise NotFound(f"party {party_id} does not exist")
    document: dict[str, Any] = {
        "party": profiles[0],
        "contact_points": _rows(
            conn,
            select(contact_point)
            .where(contact_point.c.party_id == party_id)
            .order_by(contact_point.c.kind, contact_point.c.position),
            skip=("id", "party_id"),
        ),
        "interactions": _rows(
            conn,
            select(interaction)
            .where(interaction.c.party_id == party_id)
            .order_by(interaction.c.occurred_at, interaction.c.id),
            skip=("party_id",),
        ),
        "external_ids": _rows(
            conn,
            select(external_id)
            .where(external_id.c.party_id == party_id)
            .order_by(external_id.c.system, external_id.c.external_id),
            skip=("party_id",),
        ),
        "external_id_changes": [
            {k: _plain(v) for k, v in row.items()} for row in changes_concerning(conn, party_id)
        ],
        "consents": _rows(
            conn,
            select(consent).where(consent.c.party_id == party_id).order_by(consent.c.id),
            skip=("party_id", "token_hash"),
        ),
    }
    for plugin, sections in hooks.collect_by_plugin("export_party", conn=conn, party_id=party_id):
        for name, data in sections.items():
            if name in document:
                raise PluginError(plugin, f"export_party: section {name!r} is already taken")
            document[name] = data
    return document


def export_on_request(tx: Transaction, party_id: int) -> dict[str, Any]:
    """The party's export (:func:`export_party`) handed out, with an ``exported`` entry in the trail.

    The entry says who exported the party and when, never what the export held.
    """
    document = export_party(tx.conn, tx.hooks, party_id)
    trail.record(tx, "party", party_id, "exported", {})
    return document


def export_text(document: dict[str, Any]) -> str:
    """An export as JSON text: keys sorted, so that two exports of the same data are the same text."""
    return json.dumps(trail.plain(document), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def forget_event_payloads(tx: Transaction, entity: str, entity_ids: Iterable[int]) -> None:
    """Keep only the id in the payloads of past events about these records of ``entity``.

    For a plugin's ``erase_party``: events it emitted about the party's records
    (an order carrying the customer's name and address) must forget them too.
    """
    for entity_id in entity_ids:
        tx.conn.execute(
            update(outbox)
            .where(outbox.c.entity == entity, outbox.c.entity_id == str(entity_id))
            .values(payload={"id": entity_id})
        )


def forget_audit_changes(tx: Transaction, entity: str, entity_ids: Iterable[int]) -> None:
    """Empty the before and after values of the audit entries about these records of ``entity``.

    For a plugin's ``erase_party``: the trail of the party's records (a contract's
    reference) holds the person's data too; who changed which record when stays.
    """
    ids = [str(entity_id) for entity_id in entity_ids]
    if ids:
        tx.conn.execute(
            update(audit)
            .where(audit.c.entity == entity, audit.c.entity_id.in_(ids))
            .values(changes={})
        )


def _merged_into(conn: Connection, party_id: int) -> list[int]:
    """The ids of the parties merged into ``party_id``, directly or through another merge."""
    query = select(merge_log.c.merged_id).where(
        merge_log.c.survivor_id == party_id, merge_log.c.merged_id.is_not(None)
    )
    return [int(i) for i in conn.execute(query).scalars()]


def erase_party(tx: Transaction, party_id: int, expected_version: int | None = None) -> None:
    """Forget the party: every plugin's ``erase_party`` first, then the kernel's rows; emits ``party.erased``.

    Runs in ``tx``: if any plugin refuses (raises), nothing is erased. With
    ``expected_version``, a party changed since that version is kept (:class:`ConflictError`).
    """
    # Locked, so that a change committed while the party is being erased cannot slip past the check.
    found = tx.conn.execute(
        select(party.c.role, party.c.version).where(party.c.id == party_id).with_for_update()
    ).first()
    if found is None:
        raise NotFound(f"party {party_id} does not exist")
    role = found.role
    if expected_version is not None and found.version != expected_version:
        raise ConflictError(
            f"{role} {party_id} is at version {found.version}, not {expected_version}"
        )
    tx.hooks.call("erase_party", tx=tx, party_id=party_id)
    # The parties merged into this one were the same person: their events and trail too.
    ids = [party_id, *_merged_into(tx.conn, party_id)]
    logged = select(cast(interaction.c.id, String)).where(interaction.c.party_id == party_id)
    tx.conn.execute(
        update(audit)
        .where(audit.c.entity == "interaction", audit.c.entity_id.in_(logged))
        .values(changes={})
    )
    forget_changes(tx, party_id)  # before the party's ids go: they say which changes are its
    for table in (interaction, external_id, contact_point, consent, search_term):
        tx.conn.execute(delete(table).where(table.c.party_id == party_id))
    tx.conn.execute(delete(party).where(party.c.id == party_id))
    # Past events about the party carry its name in their payload; keep only the id.
    for one in ids:
        tx.conn.execute(
            update(outbox)
            .where(outbox.c.entity.in_(("prospect", "customer")), outbox.c.entity_id == str(one))
            .values(payload={"id": one})
        )
    # The trail's before/after values are personal data too; who changed the record when stays.
    tx.conn.execute(
        update(audit)
        .where(audit.c.entity == "party", audit.c.entity_id.in_([str(one) for one in ids]))
        .values(changes={})
    )
    forget_answers(tx, ids)
    trail.record(tx, "party", party_id, "erased", {})
    tx.emit("party.erased", role, party_id, {"id": party_id})

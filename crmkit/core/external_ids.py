"""External ids: which party a record of another system (``system``, ``external_id``) is.

Each id of a system points to one party; a party may have ids in many systems,
and several in one. When a source re-points an id to another party, or a merge
carries it to the survivor, or a source unlinks it, ``core_external_id_change``
keeps who moved it when, from which party to which (to none). The services here check no permission: the caller
checks what its actor may see of the party before telling anyone about it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import ColumnElement, Connection, delete, insert, select, update

from crmkit.core.db import Transaction
from crmkit.core.entities import Party
from crmkit.core.errors import NotFound, ValidationError
from crmkit.core.external_id_changes import ExternalIdChange, changes_of, record_change
from crmkit.core.parties import get_party
from crmkit.core.tables import external_id as link
from crmkit.core.tables import party, utcnow
from crmkit.core.untrusted import check_storable_text

SYSTEM_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,99}$")
"""A system's name: lower case, as plugin names and channels are (``helpdesk``, ``erp.sap``)."""
SYSTEM_NAME_RULE = (
    "expected a lower-case letter (a-z) followed by at most 99 lower-case letters,"
    " digits, '_', '.' or '-'"
)
MAX_EXTERNAL_ID = 200
"""The width of ``core_external_id.external_id``."""


@frozen
class ExternalId:
    """The id of a party in another system."""

    system: str
    external_id: str
    party_id: int
    created_at: datetime
    """When the id was first linked (to this party or, before a re-point, to another)."""


def check_system(system: Any) -> None:
    """:class:`ValidationError` naming ``system`` unless it is a system's name."""
    if not isinstance(system, str) or not SYSTEM_NAME.fullmatch(system):
        raise ValidationError("system", SYSTEM_NAME_RULE)


def check_external_key(system: Any, value: Any) -> tuple[str, str]:
    """``(system, external_id)`` as stored, or :class:`ValidationError` naming the one at fault."""
    check_system(system)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("external_id", "expected the record's id in that system, as text")
    if len(value) > MAX_EXTERNAL_ID:
        raise ValidationError("external_id", f"longer than {MAX_EXTERNAL_ID} characters")
    check_storable_text("external_id", value)
    return system, value


def lock_external_key(tx: Transaction, system: str, value: str) -> None:
    """Hold the id until ``tx`` ends, so that two sources linking it at once take turns."""
    tx.hold(external_key_lock(system, value))


def external_key_lock(system: str, value: str) -> str:
    """The name :meth:`Transaction.hold` holds an external id by."""
    return f"external_id\0{system}\0{value}"


def linked_party_id(conn: Connection, system: str, value: str) -> int | None:
    """The id of the party the external id points to, if any; the key is taken as stored."""
    found = conn.execute(select(link.c.party_id).where(*_key(system, value))).scalar_one_or_none()
    return None if found is None else int(found)


def linked_parties(conn: Connection, system: str, external_ids: Collection[str]) -> dict[str, int]:
    """Which of ``external_ids`` of ``system`` point to a party: id -> party id, in one query.

    For connectors that look up a batch of records; ids linked to no party are left out.
    """
    check_system(system)
    if not external_ids:
        return {}
    query = select(link.c.external_id, link.c.party_id).where(
        link.c.system == system, link.c.external_id.in_(set(external_ids))
    )
    return {value: int(party_id) for value, party_id in conn.execute(query)}


def find_by_external_id(conn: Connection, system: str, external_id: str) -> Party | None:
    """The party the record ``external_id`` of ``system`` is, or None when no party is linked to it."""
    key = check_external_key(system, external_id)
    party_id = linked_party_id(conn, *key)
    return None if party_id is None else get_party(conn, party_id)


def link_external_id(tx: Transaction, party_id: int, system: str, external_id: str) -> ExternalId:
    """Make the record ``external_id`` of ``system`` point to the party ``party_id``.

    A new id is linked; one linked to this party already stays as it is; one
    linked to another party is re-pointed, and the change is kept (who, when,
    from which party to which: :func:`external_id_history`).
    """
    system, value = check_external_key(system, external_id)
    exists = tx.conn.execute(select(party.c.id).where(party.c.id == party_id)).first()
    if exists is None:
        raise NotFound(f"party {party_id} does not exist")
    lock_external_key(tx, system, value)
    key = _key(system, value)
    current = tx.conn.execute(select(link).where(*key).with_for_update()).first()
    if current is None:
        now = utcnow()
        tx.conn.execute(
            insert(link).values(system=system, external_id=value, party_id=party_id, created_at=now)
        )
        return ExternalId(system, value, party_id, now)
    if current.party_id != party_id:
        record_change(tx, [(system, value)], current.party_id, party_id, "relinked")
        tx.conn.execute(update(link).where(*key).values(party_id=party_id))
    return ExternalId(system, value, party_id, current.created_at)


def unlink_external_id(
    tx: Transaction, system: str, external_id: str, *, party_id: int | None = None
) -> ExternalIdChange:
    """Remove the link of the record ``external_id`` of ``system`` to its party.

    The history keeps it (reason ``unlinked``, ``to_party_id`` None: who, when,
    from which party), and returns that change. :class:`NotFound` when the id
    points to no party, or, given ``party_id``, to another party than that one.
    """
    system, value = check_external_key(system, external_id)
    lock_external_key(tx, system, value)
    key = _key(system, value)
    current = tx.conn.execute(select(link.c.party_id).where(*key).with_for_update()).first()
    if current is None or party_id not in (None, current.party_id):
        owner = "a party" if party_id is None else f"party {party_id}"
        raise NotFound(f"{system} id {value!r} is not linked to {owner}")
    tx.conn.execute(delete(link).where(*key))
    [change] = record_change(tx, [(system, value)], current.party_id, None, "unlinked")
    return change


def external_ids_of(conn: Connection, party_id: int) -> list[ExternalId]:
    """The party's ids in other systems, by system, then id."""
    rows = conn.execute(
        select(link).where(link.c.party_id == party_id).order_by(link.c.system, link.c.external_id)
    )
    return [ExternalId(r.system, r.external_id, r.party_id, r.created_at) for r in rows]


def external_id_history(conn: Connection, system: str, external_id: str) -> list[ExternalIdChange]:
    """Every move of the record ``external_id`` of ``system`` from one party to another (or to
    none, unlinked), oldest first."""
    return changes_of(conn, *check_external_key(system, external_id))


def _key(system: str, value: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return link.c.system == system, link.c.external_id == value

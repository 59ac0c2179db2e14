"""Interactions and the timeline: every touchpoint of a party, from every plugin, in one query."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, or_, select

from crmkit.core import audit
from crmkit.core.bulk import allocate_ids, bulk_insert
from crmkit.core.db import Transaction
from crmkit.core.entities import DIRECTIONS, Interaction, RecordRef
from crmkit.core.errors import NotFound, ValidationError
from crmkit.core.events import write_events
from crmkit.core.inputs import read_id, read_reference, read_timestamp
from crmkit.core.pagination import (
    Page,
    check_limit,
    cursor_datetime,
    cursor_id,
    decode_cursor,
    encode_cursor,
)
from crmkit.core.tables import interaction, party, user, utcnow

CHANNEL = re.compile(r"^[a-z][a-z0-9_.-]{0,49}$")
FIELDS = frozenset(
    {
        "party_id",
        "channel",
        "direction",
        "occurred_at",
        "subject",
        "summary",
        "outcome",
        "owner_id",
        "refs",
        "custom",
    }
)


def _optional_text(data: Mapping[str, Any], name: str, limit: int) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(name, "expected text")
    if len(value) > limit:
        raise ValidationError(name, f"longer than {limit} characters")
    return value


def build_interaction(data: Mapping[str, Any], *, source: str = "core") -> Interaction:
    """A validated interaction from plain data; raises naming the field."""
    unknown = set(data) - FIELDS
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    party_id = read_id("party_id", data.get("party_id"))
    channel = data.get("channel")
    if not isinstance(channel, str) or not CHANNEL.match(channel):
        raise ValidationError("channel", "expected a channel name such as email, phone or meeting")
    direction = data.get("direction")
    if direction not in DIRECTIONS:
        raise ValidationError("direction", f"expected one of {', '.join(DIRECTIONS)}")
    given_refs = [] if data.get("refs") is None else data["refs"]
    if not isinstance(given_refs, list | tuple):
        raise ValidationError("refs", "expected a list of objects with kind and id")
    refs = []
    for i, ref in enumerate(given_refs):
        if not isinstance(ref, Mapping) or set(ref) != {"kind", "id"}:
            raise ValidationError(f"refs[{i}]", "expected an object with kind and id")
        refs.append(RecordRef(str(ref["kind"]), str(ref["id"])))
    custom = data.get("custom") or {}
    if not isinstance(custom, Mapping):
        raise ValidationError("custom", "expected an object")
    owner = data.get("owner_id")
    if owner is not None:
        owner = read_id("owner_id", owner)
    return Interaction(
        party_id=party_id,
        channel=channel,
        direction=direction,
        occurred_at=read_timestamp("occurred_at", data.get("occurred_at", utcnow())),
        subject=_optional_text(data, "subject", 500),
        summary=_optional_text(data, "summary", 100_000),
        outcome=_optional_text(data, "outcome", 100),
        owner_id=owner,
        source=source,
        refs=tuple(refs),
        custom=dict(custom),
    )


# Built once: a statement of a fixed shape, values bound at execution, hits the compiled cache
# without building and hashing a new statement for every interaction. It inserts only when
# the party exists, which spares a query to ask first.
_VALUES = [c.name for c in interaction.c if c.name not in ("id", "party_id")]
_INSERT = (
    insert(interaction)
    .from_select(
        ["party_id", *_VALUES],
        select(party.c.id, *(bindparam(n, type_=interaction.c[n].type) for n in _VALUES)).where(
            party.c.id == bindparam("party_id")
        ),
    )
    .returning(interaction.c.id)
)


_EXISTING_PARTIES = select(party.c.id).where(party.c.id.in_(bindparam("ids", expanding=True)))


def _checked_row(tx: Transaction, item: Interaction) -> dict[str, Any]:
    """The row of ``item`` to store, once its custom fields, owner and ``entity_validate`` agree."""
    fields = getattr(tx.app, "custom_fields", None)
    if fields is not None:
        item.custom = fields.validate("interaction", item.custom)
    elif item.custom:
        raise ValidationError("custom", "no custom fields are declared")
    if item.owner_id is not None:
        read_reference(tx.conn, "owner_id", item.owner_id, user, "user")
    row = row_of(item)
    tx.hooks.call("entity_validate", tx=tx, entity_type="interaction", entity=item, changes=row)
    return row


def _logged(item: Interaction) -> tuple[str, str, Any, dict[str, Any]]:
    payload = {"id": item.id, "party_id": item.party_id, "channel": item.channel}
    return "interaction.logged", "interaction", item.id, {**payload, "source": item.source}


def log_interaction(tx: Transaction, item: Interaction) -> Interaction:
    """Store an interaction on its party's timeline; emits ``interaction.logged``."""
    row = _checked_row(tx, item)
    item.created_at = utcnow()
    item.id = tx.conn.execute(_INSERT, {**row, "created_at": item.created_at}).scalar()
    if item.id is None:
        raise ValidationError("party_id", f"party {item.party_id} does not exist")
    tx.hooks.call("entity_saved", tx=tx, entity_type="interaction", entity=item, change="created")
    audit.record(tx, "interaction", item.id, "created", audit.diff({}, row))
    tx.emit(*_logged(item))
    return item


def log_interactions(tx: Transaction, items: Sequence[Interaction]) -> list[Interaction]:
    """:func:`log_interaction` for each of ``items``, in order, for a batch: they, their audit
    entries and their events are written in bulk, with ids reserved up front; every hook runs
    for each.

    Every item is checked (``entity_validate`` included) before the first is stored, so
    one refused stores none of them.
    """
    if not items:
        return []
    rows = [_checked_row(tx, item) for item in items]
    existing = set(
        tx.conn.execute(_EXISTING_PARTIES, {"ids": list({i.party_id for i in items})}).scalars()
    )
    for item in items:
        if item.party_id not in existing:
            raise ValidationError("party_id", f"party {item.party_id} does not exist")
    now = utcnow()
    ids = allocate_ids(tx.conn, interaction, len(items))
    bulk_insert(
        tx.conn,
        interaction,
        [{**row, "id": i, "created_at": now} for i, row in zip(ids, rows, strict=True)],
    )
    for item, item_id in zip(items, ids, strict=True):
        item.id, item.created_at = item_id, now
        tx.hooks.call(
            "entity_saved", tx=tx, entity_type="interaction", entity=item, change="created"
        )
    changes = [(item.id, audit.diff({}, row)) for item, row in zip(items, rows, strict=True)]
    audit.record_each(tx, "interaction", "created", changes)
    tx.events.extend(write_events(tx, [_logged(item) for item in items]))
    return list(items)


def row_of(item: Interaction) -> dict[str, Any]:
    return {
        "party_id": item.party_id,
        "channel": item.channel,
        "direction": item.direction,
        "occurred_at": item.occurred_at,
        "subject": item.subject,
        "summary": item.summary,
        "outcome": item.outcome,
        "owner_id": item.owner_id,
        "source": item.source,
        "refs": [{"kind": r.kind, "id": r.id} for r in item.refs],
        "custom": item.custom,
    }


def from_row(row: Any) -> Interaction:
    return Interaction(
        id=row.id,
        party_id=row.party_id,
        channel=row.channel,
        direction=row.direction,
        occurred_at=row.occurred_at,
        subject=row.subject,
        summary=row.summary,
        outcome=row.outcome,
        owner_id=row.owner_id,
        source=row.source,
        refs=tuple(RecordRef(r["kind"], r["id"]) for r in row.refs),
        custom=dict(row.custom or {}),
        created_at=row.created_at,
    )


def timeline(
    conn: Connection, party_id: int, *, cursor: str | None = None, limit: int = 50
) -> Page[Interaction]:
    """Every interaction of the party from every plugin, newest first, in one SQL query."""
    check_limit(limit)
    query = select(interaction).where(interaction.c.party_id == party_id)
    if cursor is not None:
        raw_time, raw_id = decode_cursor(cursor, 2)
        last_time, last_id = cursor_datetime(raw_time), cursor_id(raw_id)
        query = query.where(
            or_(
                interaction.c.occurred_at < last_time,
                and_(interaction.c.occurred_at == last_time, interaction.c.id < last_id),
            )
        )
    rows = conn.execute(
        query.order_by(interaction.c.occurred_at.desc(), interaction.c.id.desc()).limit(limit + 1)
    ).all()
    missing = not rows and cursor is None
    if missing and conn.execute(select(party.c.id).where(party.c.id == party_id)).first() is None:
        raise NotFound(f"party {party_id} does not exist")
    more = len(rows) > limit
    items = [from_row(r) for r in rows[:limit]]
    last = items[-1] if more else None
    next_cursor = encode_cursor([last.occurred_at.isoformat(), last.id]) if last else None
    return Page(items, next_cursor)


def get_interaction(conn: Connection, interaction_id: int) -> Interaction:
    """One interaction; :class:`NotFound` if it does not exist."""
    row = conn.execute(select(interaction).where(interaction.c.id == interaction_id)).first()
    if row is None:
        raise NotFound(f"interaction {interaction_id} does not exist")
    return from_row(row)

"""Saved segments: create, change (with ``version``), delete, list, and preview a definition."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from crmkit import (
    ConflictError,
    Transaction,
    ValidationError,
    check_storable_text,
    contact_point_table,
    require,
    user_table,
    utcnow,
)
from crmkit_campaigns.campaigns.tables import campaign
from crmkit_campaigns.segments import records
from crmkit_campaigns.segments.access import SEGMENT_READ, SEGMENT_WRITE
from crmkit_campaigns.segments.criteria import (
    BUILTINS,
    CUSTOM_OPS,
    PARTY_ENTITIES,
    PLUGIN_OPS,
    plugin_criteria,
)
from crmkit_campaigns.segments.event_types import SEGMENT_ENTITY
from crmkit_campaigns.segments.model import Criterion, Preview, SampleParty, Segment
from crmkit_campaigns.segments.tables import segment
from crmkit_campaigns.segments.targets import compile_segment, matching

FIELDS = ("name", "description", "definition", "owner_id")
MAX_NAME = 200
MAX_DESCRIPTION = 2000


def to_segment(row: Any) -> Segment:
    return Segment(
        id=row.id,
        name=row.name,
        description=row.description,
        definition=row.definition,
        owner_id=row.owner_id,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def read_text(data: Mapping[str, Any], name: str, limit: int, *, required: bool) -> str | None:
    """The text field ``name`` of ``data`` (trimmed), at most ``limit`` characters."""
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(name, "is required")
        return None
    if not isinstance(value, str):
        raise ValidationError(name, "expected a text")
    if len(value.strip()) > limit:
        raise ValidationError(name, f"longer than {limit} characters")
    check_storable_text(name, value)
    return value.strip()


def read_owner(tx: Transaction, data: Mapping[str, Any]) -> int | None:
    """``owner_id``: an active user; the actor when not given."""
    if "owner_id" not in data:
        return tx.actor.user_id
    owner_id = data["owner_id"]
    if owner_id is None:
        return None
    if isinstance(owner_id, bool) or not isinstance(owner_id, int):
        raise ValidationError("owner_id", "expected a user id")
    found = tx.conn.execute(
        select(user_table.c.id).where(user_table.c.id == owner_id, user_table.c.active)
    ).first()
    if found is None:
        raise ValidationError("owner_id", f"user {owner_id} does not exist")
    return owner_id


def check_fields(data: Mapping[str, Any]) -> None:
    for name in data:
        if name not in (*FIELDS, "version"):
            raise ValidationError(name, "unknown field")


def read_definition(
    tx: Transaction, data: Mapping[str, Any], segment_id: int | None = None
) -> dict[str, Any]:
    """The ``definition`` of ``data``, compiled once so that a segment is saved only valid."""
    definition = data.get("definition")
    if not isinstance(definition, dict):
        raise ValidationError("definition", "expected an object: all, any, not or a criterion")
    matching(tx, definition, segment_id)
    return definition


def create_segment(tx: Transaction, data: Mapping[str, Any]) -> Segment:
    """Save a new segment, its definition checked."""
    require(tx.hooks, tx.actor, SEGMENT_WRITE)
    check_fields(data)
    now = utcnow()
    values = {
        "name": read_text(data, "name", MAX_NAME, required=True),
        "description": read_text(data, "description", MAX_DESCRIPTION, required=False),
        "definition": read_definition(tx, data),
        "owner_id": read_owner(tx, data),
    }
    segment_id = tx.conn.execute(
        insert(segment)
        .values(**values, created_by=tx.actor.user_id, created_at=now, updated_at=now, version=1)
        .returning(segment.c.id)
    ).scalar_one()
    found = get_segment(tx, segment_id)
    tx.emit("campaigns.segment_created", SEGMENT_ENTITY, segment_id, {"name": found.name})
    return found


def get_segment(tx: Transaction, segment_id: int) -> Segment:
    """The saved segment; NotFound when unknown or unreadable."""
    return to_segment(records.segment_row(tx, segment_id))


def list_segments(tx: Transaction) -> list[Segment]:
    """Every saved segment, by name."""
    require(tx.hooks, tx.actor, SEGMENT_READ)
    rows = tx.conn.execute(select(segment).order_by(segment.c.name, segment.c.id))
    return [to_segment(row) for row in rows]


def update_segment(
    tx: Transaction, segment_id: int, data: Mapping[str, Any], version: int | None
) -> Segment:
    """Change the given fields; ConflictError when ``version`` is not the stored one."""
    require(tx.hooks, tx.actor, SEGMENT_WRITE)
    check_fields(data)
    current = get_segment(tx, segment_id)
    if version is None:
        raise ValidationError("version", "is required: the version you last read")
    changes: dict[str, Any] = {}
    if "name" in data:
        changes["name"] = read_text(data, "name", MAX_NAME, required=True)
    if "description" in data:
        changes["description"] = read_text(data, "description", MAX_DESCRIPTION, required=False)
    if "definition" in data:
        changes["definition"] = read_definition(tx, data, segment_id)
    if "owner_id" in data:
        changes["owner_id"] = read_owner(tx, data)
    if not changes:
        # Nothing to change: no new version, no event; a stale version is still told.
        if version != current.version:
            raise ConflictError(f"segment {segment_id} was changed meanwhile: reload it")
        return current
    done = tx.conn.execute(
        update(segment)
        .where(segment.c.id == segment_id, segment.c.version == version)
        .values(**changes, updated_at=utcnow(), version=segment.c.version + 1)
    )
    if done.rowcount != 1:
        raise ConflictError(
            f"segment {segment_id} was changed meanwhile (version {current.version}, "
            f"you sent {version}): reload it"
        )
    tx.emit("campaigns.segment_changed", SEGMENT_ENTITY, segment_id, {"fields": sorted(changes)})
    return get_segment(tx, segment_id)


def delete_segment(tx: Transaction, segment_id: int, version: int | None) -> None:
    """Delete a segment no campaign targets and no other saved segment refers to."""
    require(tx.hooks, tx.actor, SEGMENT_WRITE)
    current = get_segment(tx, segment_id)
    if version is None:
        raise ValidationError("version", "is required: the version you last read")
    used = tx.conn.execute(
        select(campaign.c.id).where(campaign.c.segment_id == segment_id).limit(1)
    ).scalar()
    if used is not None:
        raise ConflictError(f"segment {segment_id} is the target of campaign {used}")
    records.refuse_if_referred_to(tx, "segment", segment_id, "segment")
    if version != current.version:
        raise ConflictError(f"segment {segment_id} was changed meanwhile: reload it")
    tx.conn.execute(delete(segment).where(segment.c.id == segment_id))
    tx.emit("campaigns.segment_deleted", SEGMENT_ENTITY, segment_id, {})


def preview(tx: Transaction, definition: Any, size: int | None = None) -> Preview:
    """How many parties ``definition`` targets for ``tx.actor`` and the first of them (by name)."""
    require(tx.hooks, tx.actor, SEGMENT_READ)
    if not isinstance(definition, dict):
        raise ValidationError("definition", "expected an object: all, any, not or a criterion")
    wanted = compile_segment(tx, definition).subquery("wanted")
    count = tx.conn.execute(select(func.count()).select_from(wanted)).scalar_one()
    limit = size or tx.app.settings_of["campaigns"].segments.preview_size
    return Preview(count=count, sample=sample(tx, select(wanted.c.party_id), limit))


def sample(tx: Transaction, party_ids: Any, limit: int) -> list[SampleParty]:
    """The first ``limit`` of ``party_ids`` (a subquery the actor may see) by name, with their
    first address's city and country."""
    from crmkit import party_table as party

    cp = contact_point_table
    address = (
        select(cp.c.party_id, cp.c.data)
        .where(cp.c.kind == "address", cp.c.position == 0)
        .subquery("address")
    )
    rows = tx.conn.execute(
        select(party.c.id, party.c.display_name, party.c.role, address.c.data)
        .outerjoin(address, address.c.party_id == party.c.id)
        .where(party.c.id.in_(party_ids))
        .order_by(party.c.display_name, party.c.id)
        .limit(limit)
    )
    return [
        SampleParty(
            id=row.id,
            name=row.display_name,
            role=row.role,
            city=(row.data or {}).get("city"),
            country=(row.data or {}).get("country"),
        )
        for row in rows
    ]


def catalogue(tx: Transaction) -> list[Criterion]:
    """Every criterion a definition may use here: built-in, custom fields, plugins'."""
    found = [
        Criterion(b.name, b.label, list(b.operators), b.value, dict(b.options))
        for b in BUILTINS.values()
        if b.name != "orders" or "sfa" in tx.hooks.loaded
    ]
    fields = tx.app.custom_fields
    names = sorted({name for role in PARTY_ENTITIES for name in fields.of(role)})
    for name in names:
        spec = next(fields.of(role)[name] for role in PARTY_ENTITIES if name in fields.of(role))
        kind = f"choice:{'|'.join(spec.choices)}" if spec.type == "choice" else spec.type
        found.append(Criterion(f"custom.{name}", spec.label or name, list(CUSTOM_OPS), kind, {}))
    for criterion in plugin_criteria(tx).values():
        found.append(
            Criterion(
                criterion.name,
                criterion.label,
                list(PLUGIN_OPS),
                "none",
                dict(criterion.parameters),
            )
        )
    return found

"""Static lists and suppression lists: create, change, delete, and their members and addresses.

A list's members are parties; only those the reader sees are counted or shown, and only
those the writer sees can be added. A suppression list also holds email addresses, which
need not belong to any party yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from crmkit import (
    ConflictError,
    EmailAddress,
    Transaction,
    ValidationError,
    party_table,
    require,
    seen_parties,
    utcnow,
)
from crmkit_campaigns.campaigns.tables import campaign
from crmkit_campaigns.segments import records
from crmkit_campaigns.segments.access import SEGMENT_READ, SEGMENT_WRITE
from crmkit_campaigns.segments.event_types import LIST_ENTITY
from crmkit_campaigns.segments.model import PartyList, SampleParty
from crmkit_campaigns.segments.service import (
    MAX_DESCRIPTION,
    MAX_NAME,
    read_owner,
    read_text,
    sample,
)
from crmkit_campaigns.segments.tables import LIST_KINDS, list_address, list_member, party_list

FIELDS = ("name", "description", "owner_id")
MAX_BATCH = 10_000
"""The most party ids or addresses one request adds or removes."""


def visible_members(tx: Transaction, list_id: int) -> Any:
    """A SELECT of the ids of the list's parties ``tx.actor`` sees."""
    query = select(list_member.c.party_id).where(list_member.c.list_id == list_id)
    return query.join(party_table, party_table.c.id == list_member.c.party_id).where(
        seen_parties(tx.hooks, tx.actor)
    )


def counts(tx: Transaction, list_ids: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Per list: how many of its parties ``tx.actor`` sees, and how many addresses it holds."""
    if not list_ids:
        return {}, {}
    members = tx.conn.execute(
        select(list_member.c.list_id, func.count())
        .join(party_table, party_table.c.id == list_member.c.party_id)
        .where(list_member.c.list_id.in_(list_ids), seen_parties(tx.hooks, tx.actor))
        .group_by(list_member.c.list_id)
    )
    addresses = tx.conn.execute(
        select(list_address.c.list_id, func.count())
        .where(list_address.c.list_id.in_(list_ids))
        .group_by(list_address.c.list_id)
    )
    return {r[0]: r[1] for r in members}, {r[0]: r[1] for r in addresses}


def to_lists(tx: Transaction, rows: list[Any]) -> list[PartyList]:
    members, addresses = counts(tx, [row.id for row in rows])
    return [
        PartyList(
            id=row.id,
            kind=row.kind,
            name=row.name,
            description=row.description,
            owner_id=row.owner_id,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
            members=members.get(row.id, 0),
            addresses=addresses.get(row.id, 0),
        )
        for row in rows
    ]


def get_list(tx: Transaction, list_id: int, kind: str) -> PartyList:
    """The list of ``kind``; NotFound when unknown, of the other kind, or unreadable."""
    return to_lists(tx, [records.list_row(tx, list_id, kind)])[0]


def list_lists(tx: Transaction, kind: str) -> list[PartyList]:
    """Every list of ``kind``, by name."""
    require(tx.hooks, tx.actor, SEGMENT_READ)
    rows = tx.conn.execute(
        select(party_list)
        .where(party_list.c.kind == kind)
        .order_by(party_list.c.name, party_list.c.id)
    ).all()
    return to_lists(tx, list(rows))


def check_fields(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    for name in data:
        if name not in allowed:
            raise ValidationError(name, "unknown field")


def create_list(tx: Transaction, kind: str, data: Mapping[str, Any]) -> PartyList:
    """A new, empty list of ``kind`` (static or suppression)."""
    assert kind in LIST_KINDS
    require(tx.hooks, tx.actor, SEGMENT_WRITE)
    check_fields(data, FIELDS)
    now = utcnow()
    list_id = tx.conn.execute(
        insert(party_list)
        .values(
            kind=kind,
            name=read_text(data, "name", MAX_NAME, required=True),
            description=read_text(data, "description", MAX_DESCRIPTION, required=False),
            owner_id=read_owner(tx, data),
            created_by=tx.actor.user_id,
            created_at=now,
            updated_at=now,
            version=1,
        )
        .returning(party_list.c.id)
    ).scalar_one()
    tx.emit("campaigns.list_created", LIST_ENTITY, list_id, {"kind": kind})
    return get_list(tx, list_id, kind)


def touch(tx: Transaction, list_id: int, version: int | None, changes: Mapping[str, Any]) -> None:
    """Record a change of the list (a new version); ConflictError when ``version`` is stale."""
    query = update(party_list).where(party_list.c.id == list_id)
    if version is not None:
        query = query.where(party_list.c.version == version)
    done = tx.conn.execute(
        query.values(**changes, updated_at=utcnow(), version=party_list.c.version + 1)
    )
    if done.rowcount != 1:
        raise ConflictError(f"list {list_id} was changed meanwhile: reload it")
    tx.emit("campaigns.list_changed", LIST_ENTITY, list_id, {"fields": sorted(changes)})


def update_list(
    tx: Transaction, list_id: int, kind: str, data: Mapping[str, Any], version: int | None
) -> PartyList:
    """Change the list's name, description or owner; ConflictError on a stale ``version``."""
    require(tx.hooks, tx.actor, SEGMENT_WRITE)
    check_fields(data, FIELDS)
    current = records.list_row(tx, list_id, kind)
    if version is None:
        raise ValidationError("version", "is required: the version you last read")
    changes: dict[str, Any] = {}
    if "name" in data:
        changes["name"] = read_text(data, "name", MAX_NAME, required=True)
    if "description" in data:
        changes["description"] = read_text(data, "description", MAX_DESCRIPTION, required=False)
    if "owner_id" in data:
        changes["owner_id"] = read_owner(tx, data)
    if not changes:
        # Nothing to change: no new version, no event; a stale version is still told.
        if version != current.version:
            raise ConflictError(f"list {list_id} was changed meanwhile: reload it")
        return get_list(tx, list_id, kind)
    touch(tx, list_id, version, changes)
    return get_list(tx, list_id, kind)


def delete_list(tx: Transaction, list_id: int, kind: str, version: int | None) -> None:
    """Delete a list (its members and addresses with it) that no campaign targets and no saved
    segment refers to."""
    require(tx.hooks, tx.actor, SEGMENT_WRITE)
    current = records.list_row(tx, list_id, kind)
    if version is None:
        raise ValidationError("version", "is required: the version you last read")
    used = tx.conn.execute(
        select(campaign.c.id).where(campaign.c.list_id == list_id).limit(1)
    ).scalar()
    if used is not None:
        raise ConflictError(f"list {list_id} is the target of campaign {used}")
    records.refuse_if_referred_to(tx, "list", list_id, "list")
    if version != current.version:
        raise ConflictError(f"list {list_id} was changed meanwhile: reload it")
    tx.conn.execute(delete(list_member).where(list_member.c.list_id == list_id))
    tx.conn.execute(delete(list_address).where(list_address.c.list_id == list_id))
    tx.conn.execute(delete(party_list).where(party_list.c.id == list_id))
    tx.emit("campaigns.list_deleted", LIST_ENTITY, list_id, {"kind": kind})


def read_batch(data: Any, name: str) -> list[Any]:
    if not isinstance(data, list) or not data:
        raise ValidationError(name, "expected a list of at least one item")
    if len(data) > MAX_BATCH:
        raise ValidationError(name, f"more than {MAX_BATCH} items")
    return data


def seen_ids(tx: Transaction, ids: Iterable[int]) -> set[int]:
    """Those of ``ids`` that are parties ``tx.actor`` sees (one query)."""
    wanted = set(ids)
    if not wanted:
        return set()
    rows = tx.conn.execute(
        select(party_table.c.id).where(
            party_table.c.id.in_(wanted), seen_parties(tx.hooks, tx.actor)
        )
    )
    return {row.id for row in rows}


def add_parties(tx: Transaction, list_id: int, party_ids: Iterable[int]) -> int:
    """Add the parties (seen by the actor: the caller checked) not on the list yet; how many."""
    wanted = set(party_ids)
    if not wanted:
        return 0
    present = {
        row.party_id
        for row in tx.conn.execute(
            select(list_member.c.party_id).where(
                list_member.c.list_id == list_id, list_member.c.party_id.in_(wanted)
            )
        )
    }
    new = sorted(wanted - present)
    if new:
        now = utcnow()
        tx.conn.execute(
            insert(list_member), [{"list_id": list_id, "party_id": p, "added_at": now} for p in new]
        )
    return len(new)


def add_members(tx: Transaction, list_id: int, kind: str, data: Any) -> PartyList:
    """Add ``party_ids`` to the list; a party the actor does not see is refused, naming it."""
    require(tx.hooks, tx.actor, SEGMENT_WRITE)
    records.list_row(tx, list_id, kind)
    ids = read_party_ids(data)
    seen = seen_ids(tx, ids)
    for i, party_id in enumerate(ids):
        if party_id not in seen:
            raise ValidationError(f"party_ids[{i}]", f"party {party_id} does not exist")
    if add_parties(tx, list_id, ids):
        touch(tx, list_id, None, {})
    return get_list(tx, list_id, kind)


def remove_members(tx: Transaction, list_id: int, kind: str, data: Any) -> PartyList:
    """Take ``party_ids`` off the list (those the actor sees; others stay as they are)."""
    require(tx.hooks, tx.actor, SEGMENT_WRITE)
    records.list_row(tx, list_id, kind)
    seen = seen_ids(tx, read_party_ids(data))
    if seen:
        tx.conn.execute(
            delete(list_member).where(
                list_member.c.list_id == list_id, list_member.c.party_id.in_(seen)
            )
        )
        touch(tx, list_id, None, {})
    return get_list(tx, list_id, kind)


def read_party_ids(data: Any) -> list[int]:
    if not isinstance(data, Mapping):
        raise ValidationError("party_ids", "expected an object with party_ids")
    check_fields(data, ("party_ids",))
    ids = read_batch(data.get("party_ids"), "party_ids")
    for i, value in enumerate(ids):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValidationError(f"party_ids[{i}]", "expected a party id")
    return ids


def read_addresses(data: Any) -> list[str]:
    if not isinstance(data, Mapping):
        raise ValidationError("emails", "expected an object with emails")
    check_fields(data, ("emails",))
    raw = read_batch(data.get("emails"), "emails")
    found = []
    for i, value in enumerate(raw):
        if not isinstance(value, str):
            raise ValidationError(f"emails[{i}]", "expected an email address")
        found.append(EmailAddress.parse(value, field_name=f"emails[{i}]").normalised)
    return found


def add_address_keys(tx: Transaction, list_id: int, addresses: Iterable[str]) -> int:
    """Add normalised addresses not on the suppression list yet; how many."""
    wanted = set(addresses)
    if not wanted:
        return 0
    present = {
        row.address
        for row in tx.conn.execute(
            select(list_address.c.address).where(
                list_address.c.list_id == list_id, list_address.c.address.in_(wanted)
            )
        )
    }
    new = sorted(wanted - present)
    if new:
        now = utcnow()
        tx.conn.execute(
            insert(list_address), [{"list_id": list_id, "address": a, "added_at": now} for a in new]
        )
    return len(new)


def add_addresses(tx: Transaction, list_id: int, data: Any) -> PartyList:
    """Add email addresses to a suppression list."""
    require(tx.hooks, tx.actor, SEGMENT_WRITE)
    records.list_row(tx, list_id, "suppression")
    if add_address_keys(tx, list_id, read_addresses(data)):
        touch(tx, list_id, None, {})
    return get_list(tx, list_id, "suppression")


def remove_addresses(tx: Transaction, list_id: int, data: Any) -> PartyList:
    """Take email addresses off a suppression list."""
    require(tx.hooks, tx.actor, SEGMENT_WRITE)
    records.list_row(tx, list_id, "suppression")
    addresses = read_addresses(data)
    tx.conn.execute(
        delete(list_address).where(
            list_address.c.list_id == list_id, list_address.c.address.in_(addresses)
        )
    )
    touch(tx, list_id, None, {})
    return get_list(tx, list_id, "suppression")


def list_addresses(tx: Transaction, list_id: int, limit: int, after: str | None) -> list[str]:
    """A suppression list's addresses in order, ``limit`` of them after ``after``."""
    records.list_row(tx, list_id, "suppression")
    query = select(list_address.c.address).where(list_address.c.list_id == list_id)
    if after is not None:
        query = query.where(list_address.c.address > after)
    rows = tx.conn.execute(query.order_by(list_address.c.address).limit(limit))
    return [row.address for row in rows]


def members_page(tx: Transaction, list_id: int, kind: str, limit: int) -> list[SampleParty]:
    """The first ``limit`` parties of the list the reader sees, by name."""
    records.list_row(tx, list_id, kind)
    return sample(tx, visible_members(tx, list_id), limit)

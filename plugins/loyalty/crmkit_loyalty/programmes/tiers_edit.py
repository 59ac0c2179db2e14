"""Creating, changing and deleting a programme's tiers.

The tiers of a programme form a ladder: ranks unique, thresholds rising strictly with rank,
rank 0 (the entry tier every member starts in) at threshold 0 and never deleted. Each
change is checked against the whole ladder as it would be after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, exists, insert, or_, select, update

from crmkit import (
    ConflictError,
    NotFound,
    Transaction,
    ValidationError,
    check_fields,
    read_decimal,
    read_text,
    read_whole_number,
)
from crmkit_loyalty.ledger.tables import member, tier_change
from crmkit_loyalty.programmes.model import Tier
from crmkit_loyalty.programmes.records import (
    audit,
    changed,
    conflict,
    created,
    differences,
    locked_programme,
    required_version,
)
from crmkit_loyalty.programmes.service import get_tier, tiers_of
from crmkit_loyalty.programmes.tables import reward, tier

FIELDS = ("name", "rank", "threshold", "multiplier", "benefits")
NAME_LENGTH = 100
BENEFITS_LENGTH = 2000
MAX_RANK = 100
MAX_THRESHOLD = 1_000_000_000
MAX_MULTIPLIER = Decimal(10)


def _read(data: Mapping[str, Any], current: Tier | None) -> dict[str, Any]:
    check_fields(data, FIELDS)
    row: dict[str, Any] = {}
    if "name" in data or current is None:
        row["name"] = read_text("name", data.get("name"), limit=NAME_LENGTH, required=True)
    entry = current is not None and current.rank == 0
    for field, name in (("rank", "rank 0"), ("threshold", "threshold 0")):
        if field not in data and current is not None:
            continue
        if entry:
            if data[field] != 0 or isinstance(data[field], bool):
                raise ValidationError(field, f"the entry tier keeps {name}")
            row[field] = 0
        else:
            row[field] = read_whole_number(
                field,
                data.get(field),
                minimum=1,
                maximum=MAX_RANK if field == "rank" else MAX_THRESHOLD,
            )
    if "multiplier" in data:
        row["multiplier"] = read_decimal(
            "multiplier",
            data["multiplier"],
            places=3,
            minimum=Decimal(1),
            maximum=MAX_MULTIPLIER,
        )
    elif current is None:
        row["multiplier"] = Decimal(1)
    if "benefits" in data:
        row["benefits"] = read_text("benefits", data["benefits"], limit=BENEFITS_LENGTH)
    return row


def _check_ladder(tiers: list[Tier], tier_id: int | None, row: Mapping[str, Any]) -> None:
    """Refuse a name or rank another tier has, and a threshold out of the order of ranks."""
    name = row.get("name")
    rank = row.get("rank")
    others = [t for t in tiers if t.id != tier_id]
    current = next((t for t in tiers if t.id == tier_id), None)
    if name is not None and any(t.name.casefold() == name.casefold() for t in others):
        raise ValidationError("name", f"the programme has a tier named {name!r} already")
    if rank is not None and any(t.rank == rank for t in others):
        raise ValidationError("rank", f"the programme has a tier of rank {rank} already")
    rank = rank if rank is not None else current.rank if current else 0
    threshold = row.get("threshold", current.threshold if current else 0)
    below = [t for t in others if t.rank < rank]
    above = [t for t in others if t.rank > rank]
    if below and threshold <= max(t.threshold for t in below):
        highest = max(below, key=lambda t: t.rank)
        raise ValidationError(
            "threshold", f"must be above {highest.threshold}, the threshold of {highest.name!r}"
        )
    if above and threshold >= min(t.threshold for t in above):
        lowest = min(above, key=lambda t: t.rank)
        raise ValidationError(
            "threshold", f"must be below {lowest.threshold}, the threshold of {lowest.name!r}"
        )


def _rewards_need(tx: Transaction, programme_id: int, rank: int) -> bool:
    return bool(
        tx.conn.execute(
            select(
                exists(
                    select(reward.c.id).where(
                        reward.c.programme_id == programme_id, reward.c.min_tier_rank == rank
                    )
                )
            )
        ).scalar()
    )


def _tier_of_programme(tx: Transaction, programme_id: int, tier_id: int) -> Tier:
    found = get_tier(tx.conn, tier_id)
    if found.programme_id != programme_id:
        raise NotFound(f"tier {tier_id} of programme {programme_id} does not exist")
    return found


def create_tier(tx: Transaction, programme_id: int, data: Mapping[str, Any]) -> Tier:
    """A new tier of the programme: ``name``, ``rank`` (1 or more) and ``threshold`` required."""
    locked_programme(tx, programme_id)
    row = _read(data, None)
    _check_ladder(tiers_of(tx.conn, programme_id), None, row)
    tier_id = tx.conn.execute(
        insert(tier).values(**row, programme_id=programme_id, version=1).returning(tier.c.id)
    ).scalar_one()
    audit(tx, "tier", tier_id, "created", created(row))
    changed(tx, programme_id, "tier", data)
    return get_tier(tx.conn, tier_id)


def update_tier(
    tx: Transaction, programme_id: int, tier_id: int, data: Mapping[str, Any], version: int | None
) -> Tier:
    """Change the tier's fields given, if it is still at ``version``. Members move to the
    tiers the new thresholds give them as they earn (up) and at their reviews (down)."""
    locked_programme(tx, programme_id)
    current = _tier_of_programme(tx, programme_id, tier_id)
    expected = required_version(version)
    row = _read(data, current)
    differing = differences(current, row)
    if not differing:
        return current
    _check_ladder(tiers_of(tx.conn, programme_id), tier_id, row)
    if row.get("rank", current.rank) != current.rank and _rewards_need(
        tx, programme_id, current.rank
    ):
        raise ValidationError(
            "rank", f"rewards are for rank {current.rank} and higher: change them first"
        )
    done = tx.conn.execute(
        update(tier)
        .where(tier.c.id == tier_id, tier.c.version == expected)
        .values(**row, version=tier.c.version + 1)
    ).rowcount
    if done != 1:
        raise conflict(f"tier {tier_id}", current.version)
    audit(tx, "tier", tier_id, "updated", differing)
    changed(tx, programme_id, "tier", data)
    return get_tier(tx.conn, tier_id)


def delete_tier(tx: Transaction, programme_id: int, tier_id: int, version: int | None) -> None:
    """Delete a tier nobody is or was in (their history names it), other than the entry tier."""
    locked_programme(tx, programme_id)
    current = _tier_of_programme(tx, programme_id, tier_id)
    expected = required_version(version)
    if current.rank == 0:
        raise ConflictError("the entry tier (rank 0) cannot be deleted")
    if tx.conn.execute(
        select(exists(select(member.c.id).where(member.c.tier_id == tier_id)))
    ).scalar():
        raise ConflictError(f"tier {tier_id} has members")
    in_history = select(tier_change.c.id).where(
        or_(tier_change.c.to_tier_id == tier_id, tier_change.c.from_tier_id == tier_id)
    )
    if tx.conn.execute(select(exists(in_history))).scalar():
        raise ConflictError(f"members have been in tier {tier_id}: their history keeps it")
    if _rewards_need(tx, programme_id, current.rank):
        raise ConflictError(f"rewards are for rank {current.rank} and higher: change them first")
    gone = tx.conn.execute(
        delete(tier).where(tier.c.id == tier_id, tier.c.version == expected)
    ).rowcount
    if gone != 1:
        raise conflict(f"tier {tier_id}", current.version)
    audit(tx, "tier", tier_id, "deleted", {"name": [current.name, None]})
    changed(tx, programme_id, "tier", {})

"""Creating, changing and deleting a programme's rewards.

A reward is for members of tier ``min_tier_rank`` or higher, which must be a rank of the
programme. A reward ever redeemed is kept, for its redemptions name it: retire it with
``active: false``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, exists, insert, select, update

from crmkit import (
    ConflictError,
    NotFound,
    Transaction,
    ValidationError,
    check_fields,
    read_text,
    read_whole_number,
    utcnow,
)
from crmkit_loyalty.ledger.tables import redemption
from crmkit_loyalty.programmes.inputs import read_flag, read_optional_number
from crmkit_loyalty.programmes.model import Reward
from crmkit_loyalty.programmes.records import (
    audit,
    changed,
    conflict,
    created,
    differences,
    locked_programme,
    required_version,
)
from crmkit_loyalty.programmes.service import get_reward, tiers_of
from crmkit_loyalty.programmes.tables import reward

FIELDS = ("name", "description", "points", "min_tier_rank", "stock", "active")
NAME_LENGTH = 200
DESCRIPTION_LENGTH = 5000
MAX_POINTS = 1_000_000_000
MAX_STOCK = 1_000_000_000


def _read(
    tx: Transaction, programme_id: int, data: Mapping[str, Any], creating: bool
) -> dict[str, Any]:
    check_fields(data, FIELDS)
    row: dict[str, Any] = {}
    if "name" in data or creating:
        row["name"] = read_text("name", data.get("name"), limit=NAME_LENGTH, required=True)
    if "description" in data:
        row["description"] = read_text("description", data["description"], limit=DESCRIPTION_LENGTH)
    if "points" in data or creating:
        row["points"] = read_whole_number(
            "points", data.get("points"), minimum=1, maximum=MAX_POINTS
        )
    if "min_tier_rank" in data:
        rank = read_whole_number("min_tier_rank", data["min_tier_rank"], maximum=100)
        if rank not in {t.rank for t in tiers_of(tx.conn, programme_id)}:
            raise ValidationError("min_tier_rank", f"the programme has no tier of rank {rank}")
        row["min_tier_rank"] = rank
    if "stock" in data:
        row["stock"] = read_optional_number("stock", data["stock"], minimum=0, maximum=MAX_STOCK)
    if "active" in data:
        row["active"] = int(read_flag("active", data["active"]))
    return row


def _reward_of_programme(tx: Transaction, programme_id: int, reward_id: int) -> Reward:
    found = get_reward(tx.conn, reward_id)
    if found.programme_id != programme_id:
        raise NotFound(f"reward {reward_id} of programme {programme_id} does not exist")
    return found


def create_reward(tx: Transaction, programme_id: int, data: Mapping[str, Any]) -> Reward:
    """A new reward: ``name`` and ``points`` required; for every tier, unlimited and active
    unless ``min_tier_rank``, ``stock`` or ``active`` say otherwise."""
    locked_programme(tx, programme_id)
    row = {
        "description": None,
        "min_tier_rank": 0,
        "stock": None,
        "active": 1,
        **_read(tx, programme_id, data, creating=True),
    }
    now = utcnow()
    reward_id = tx.conn.execute(
        insert(reward)
        .values(**row, programme_id=programme_id, created_at=now, updated_at=now, version=1)
        .returning(reward.c.id)
    ).scalar_one()
    audit(tx, "reward", reward_id, "created", created(row))
    changed(tx, programme_id, "reward", data)
    return get_reward(tx.conn, reward_id)


def update_reward(
    tx: Transaction,
    programme_id: int,
    reward_id: int,
    data: Mapping[str, Any],
    version: int | None,
) -> Reward:
    """Change the reward's fields given, if it is still at ``version``."""
    locked_programme(tx, programme_id)
    current = _reward_of_programme(tx, programme_id, reward_id)
    expected = required_version(version)
    row = _read(tx, programme_id, data, creating=False)
    differing = differences(current, row)
    if not differing:
        return current
    done = tx.conn.execute(
        update(reward)
        .where(reward.c.id == reward_id, reward.c.version == expected)
        .values(**row, updated_at=utcnow(), version=reward.c.version + 1)
    ).rowcount
    if done != 1:
        raise conflict(f"reward {reward_id}", current.version)
    audit(tx, "reward", reward_id, "updated", differing)
    changed(tx, programme_id, "reward", data)
    return get_reward(tx.conn, reward_id)


def delete_reward(tx: Transaction, programme_id: int, reward_id: int, version: int | None) -> None:
    """Delete a reward never redeemed."""
    locked_programme(tx, programme_id)
    current = _reward_of_programme(tx, programme_id, reward_id)
    expected = required_version(version)
    redeemed = select(redemption.c.id).where(redemption.c.reward_id == reward_id)
    if tx.conn.execute(select(exists(redeemed))).scalar():
        raise ConflictError(f"reward {reward_id} was redeemed: retire it (active false) instead")
    gone = tx.conn.execute(
        delete(reward).where(reward.c.id == reward_id, reward.c.version == expected)
    ).rowcount
    if gone != 1:
        raise conflict(f"reward {reward_id}", current.version)
    audit(tx, "reward", reward_id, "deleted", {"name": [current.name, None]})
    changed(tx, programme_id, "reward", {})

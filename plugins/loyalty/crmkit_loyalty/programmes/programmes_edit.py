"""Creating, changing and deleting programmes.

A new programme gets its entry tier (rank 0, "Member", threshold 0, multiplier 1) in the
same transaction, so that every programme can enrol from the start. A change names the
version last read; a change made meanwhile is a conflict and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, exists, func, insert, select, update

from crmkit import (
    ConflictError,
    Transaction,
    ValidationError,
    check_fields,
    read_choice,
    read_currency,
    read_text,
    read_whole_number,
    record_audit,
    utcnow,
)
from crmkit_loyalty.ledger.tables import member
from crmkit_loyalty.programmes.event_types import PROGRAMME
from crmkit_loyalty.programmes.inputs import read_flag, read_optional_number
from crmkit_loyalty.programmes.model import Programme
from crmkit_loyalty.programmes.records import (
    changed,
    conflict,
    differences,
    locked_programme,
    required_version,
)
from crmkit_loyalty.programmes.service import get_programme
from crmkit_loyalty.programmes.tables import DOWNGRADES, STATUSES, programme, tier

FIELDS = (
    "name",
    "description",
    "status",
    "currency",
    "points_expire_months",
    "qualification_months",
    "downgrade",
    "auto_enrol",
)
NAME_LENGTH = 200
DESCRIPTION_LENGTH = 5000
MAX_EXPIRY_MONTHS = 120
MAX_QUALIFICATION_MONTHS = 60
ENTRY_TIER = "Member"


def _read(data: Mapping[str, Any], creating: bool) -> dict[str, Any]:
    check_fields(data, FIELDS)
    row: dict[str, Any] = {}
    if "name" in data or creating:
        row["name"] = read_text("name", data.get("name"), limit=NAME_LENGTH, required=True)
    if "description" in data:
        row["description"] = read_text("description", data["description"], limit=DESCRIPTION_LENGTH)
    if "status" in data:
        row["status"] = read_choice("status", data["status"], STATUSES)
    if "currency" in data or creating:
        row["currency"] = read_currency("currency", data.get("currency"))
    if "points_expire_months" in data:
        row["points_expire_months"] = read_optional_number(
            "points_expire_months",
            data["points_expire_months"],
            minimum=1,
            maximum=MAX_EXPIRY_MONTHS,
        )
    if "qualification_months" in data:
        row["qualification_months"] = read_whole_number(
            "qualification_months",
            data["qualification_months"],
            minimum=1,
            maximum=MAX_QUALIFICATION_MONTHS,
        )
    if "downgrade" in data:
        row["downgrade"] = read_choice("downgrade", data["downgrade"], DOWNGRADES)
    if "auto_enrol" in data:
        row["auto_enrol"] = int(read_flag("auto_enrol", data["auto_enrol"]))
    return row


def _check_name_free(tx: Transaction, name: str, programme_id: int | None) -> None:
    # Two writers giving one name at once take turns: the second finds the first's programme
    # (a 422 naming the field) instead of running into the unique index (a 500). Names differ
    # by more than case: "Gold Club" and "gold club" would be one programme to a member.
    tx.hold(f"loyalty.programme.name.{name.casefold()}")
    taken = select(programme.c.id).where(func.lower(programme.c.name) == func.lower(name))
    if programme_id is not None:
        taken = taken.where(programme.c.id != programme_id)
    if tx.conn.execute(select(exists(taken))).scalar():
        raise ValidationError("name", f"a programme named {name!r} exists already")


def create_programme(tx: Transaction, data: Mapping[str, Any]) -> Programme:
    """A new active programme from ``data`` (``name`` and ``currency`` required), with its
    entry tier."""
    row = {
        "status": "active",
        "description": None,
        "points_expire_months": None,
        "qualification_months": 12,
        "downgrade": "one_step",
        "auto_enrol": 0,
        **_read(data, creating=True),
    }
    _check_name_free(tx, row["name"], None)
    now = utcnow()
    programme_id = tx.conn.execute(
        insert(programme)
        .values(**row, created_by=tx.actor.user_id, created_at=now, updated_at=now, version=1)
        .returning(programme.c.id)
    ).scalar_one()
    tx.conn.execute(
        insert(tier).values(
            programme_id=programme_id,
            name=ENTRY_TIER,
            rank=0,
            threshold=0,
            multiplier=Decimal(1),
            version=1,
        )
    )
    record_audit(tx, PROGRAMME, programme_id, "created", {"name": [None, row["name"]]})
    tx.emit("loyalty.programme_created", PROGRAMME, programme_id, {"programme_id": programme_id})
    return get_programme(tx.conn, programme_id)


def update_programme(
    tx: Transaction, programme_id: int, data: Mapping[str, Any], version: int | None
) -> Programme:
    """Change the fields given, if the programme is still at ``version``."""
    current = locked_programme(tx, programme_id)
    expected = required_version(version)
    row = _read(data, creating=False)
    differing = differences(current, row)
    if not differing:
        return current
    if "name" in row:
        _check_name_free(tx, row["name"], programme_id)
    done = tx.conn.execute(
        update(programme)
        .where(programme.c.id == programme_id, programme.c.version == expected)
        .values(**row, updated_at=utcnow(), version=programme.c.version + 1)
    ).rowcount
    if done != 1:
        raise conflict(f"programme {programme_id}", current.version)
    record_audit(tx, PROGRAMME, programme_id, "updated", differing)
    changed(tx, programme_id, "programme", row)
    return get_programme(tx.conn, programme_id)


def delete_programme(tx: Transaction, programme_id: int, version: int | None) -> None:
    """Delete a programme nobody is a member of (with its rules, tiers and rewards); one with
    members is closed instead, so that their ledgers stay."""
    current = locked_programme(tx, programme_id)
    expected = required_version(version)
    if tx.conn.execute(
        select(exists(select(member.c.id).where(member.c.programme_id == programme_id)))
    ).scalar():
        raise ConflictError(
            f"programme {programme_id} has members: close it (status closed) instead"
        )
    gone = tx.conn.execute(
        delete(programme).where(programme.c.id == programme_id, programme.c.version == expected)
    ).rowcount
    if gone != 1:
        raise conflict(f"programme {programme_id}", current.version)
    record_audit(tx, PROGRAMME, programme_id, "deleted", {"name": [current.name, None]})
    tx.emit("loyalty.programme_deleted", PROGRAMME, programme_id, {"programme_id": programme_id})

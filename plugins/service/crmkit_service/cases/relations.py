"""Linked and merged cases.

A link is stored once (the lower id first) and read from both ends. A merge moves
the duplicate's events and links to the case it is merged into, then closes the
duplicate with a pointer to it; both must be the same party's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, and_, delete, insert, or_, select, update
from sqlalchemy import case as case_when

from crmkit import (
    Actor,
    NotFound,
    Transaction,
    ValidationError,
    read_choice,
    seen_party_ids,
    sees_every_party,
    utcnow,
)
from crmkit_service import fields
from crmkit_service.cases.events import ENTITY
from crmkit_service.cases.model import LINK_KINDS, Case, case_number
from crmkit_service.cases.service import (
    check_version,
    get_case,
    live_case,
    load_case,
    not_merged,
    payload,
    record_event,
    store,
)
from crmkit_service.cases.tables import case as case_table
from crmkit_service.cases.tables import case_event, case_link
from crmkit_service.sla.clocks import case_changed


@frozen
class CaseLink:
    """A case linked to the one it is read from."""

    case_id: int
    number: str
    kind: str
    created_at: datetime


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def link_cases(tx: Transaction, case_id: int, other_id: Any, kind: Any = "related") -> CaseLink:
    """Link two cases the actor sees (``kind``: related, duplicate, caused_by, blocks)."""
    kind = read_choice("kind", kind, LINK_KINDS)
    other_id = fields.optional_id("other_id", other_id)
    if other_id is None:
        raise ValidationError("other_id", "is required")
    current = live_case(tx, case_id)
    not_merged(current)
    other = _other(tx, other_id)
    if other.id == current.id:
        raise ValidationError("other_id", "a case cannot be linked to itself")
    if other.merged_into_id is not None:
        raise ValidationError(
            "other_id",
            f"case {other.number} was merged into {case_number(other.merged_into_id)}; "
            "link that one",
        )
    low, high = _pair(current.id, other.id)
    known = tx.conn.execute(
        select(case_link.c.id).where(case_link.c.case_id == low, case_link.c.other_id == high)
    ).first()
    if known is not None:
        raise ValidationError("other_id", f"{current.number} and {other.number} are linked already")
    now = utcnow()
    tx.conn.execute(
        insert(case_link).values(
            case_id=low, other_id=high, kind=kind, created_by=tx.actor.user_id, created_at=now
        )
    )
    for this, that in ((current, other), (other, current)):
        record_event(
            tx,
            this,
            "linked",
            public=False,
            data={"case_id": that.id, "number": that.number, "kind": kind},
        )
    tx.emit(
        "service.case_linked", ENTITY, current.id, payload(current, other_id=other.id, kind=kind)
    )
    return CaseLink(other.id, other.number, kind, now)


def _other(tx: Transaction, other_id: int) -> Case:
    """The other case of a link or merge: one the actor may not see is an unknown ``other_id``."""
    try:
        return get_case(tx.conn, tx.actor, other_id, host=tx.hooks)
    except NotFound:
        raise ValidationError("other_id", f"case {other_id} does not exist") from None


def links_of(conn: Connection, actor: Actor, case_id: int, *, host: Any) -> list[CaseLink]:
    """The cases linked to ``case_id`` whose party ``actor`` sees, oldest link first; the caller
    has checked that ``case_id`` is visible."""
    other = case_table.alias("other")
    other_id = case_when(
        (case_link.c.case_id == case_id, case_link.c.other_id), else_=case_link.c.case_id
    )
    query = (
        select(case_link, other.c.id.label("linked_id"))
        .join(other, other.c.id == other_id)
        .where(or_(case_link.c.case_id == case_id, case_link.c.other_id == case_id))
        .order_by(case_link.c.id)
    )
    if not sees_every_party(host, actor):
        query = query.where(other.c.party_id.in_(seen_party_ids(host, actor)))
    return [
        CaseLink(row.linked_id, case_number(row.linked_id), row.kind, row.created_at)
        for row in conn.execute(query).all()
    ]


def merge_cases(tx: Transaction, case_id: int, into_id: Any, *, version: int | None = None) -> Case:
    """Merge case ``case_id`` (a duplicate) into ``into_id``: its events and links move there,
    and it is closed pointing at it. Returns the case merged into."""
    into_id = fields.optional_id("other_id", into_id)
    if into_id is None:
        raise ValidationError("other_id", "is required")
    # Two merges of the same cases (A into B, B into A) take turns, and the second one reads
    # what the first did: it never makes a loop.
    tx.hold(_merge_lock(case_id), _merge_lock(into_id))
    duplicate = live_case(tx, case_id)
    check_version(duplicate, version)
    not_merged(duplicate)
    target = _other(tx, into_id)
    if target.id == duplicate.id:
        raise ValidationError("other_id", "a case cannot be merged into itself")
    if target.merged_into_id is not None or target.status == "closed":
        raise ValidationError(
            "other_id", f"case {target.number} is closed; merge into an open case"
        )
    if target.party_id != duplicate.party_id:
        raise ValidationError("other_id", f"case {target.number} is another customer's")
    tx.conn.execute(
        update(case_event).where(case_event.c.case_id == duplicate.id).values(case_id=target.id)
    )
    _move_links(tx, duplicate.id, target.id)
    closed = store(
        tx,
        duplicate,
        {
            "status": "closed",
            "closed_at": utcnow(),
            "merged_into_id": target.id,
            "resolution": f"Merged into {target.number}",
        },
    )
    record_event(
        tx, closed, "merged", public=True, data={"into_id": target.id, "into": target.number}
    )
    record_event(
        tx, target, "merged", public=True, data={"from_id": closed.id, "from": closed.number}
    )
    tx.emit("service.case_merged", ENTITY, closed.id, payload(closed, merged_into_id=target.id))
    case_changed(tx, closed, "status")
    return load_case(tx.conn, target.id)


def _merge_lock(case_id: int) -> str:
    return f"service.case_merge.{case_id}"


def _move_links(tx: Transaction, from_id: int, to_id: int) -> None:
    """The duplicate's links become the target's; one the target has already, or one between
    the two, goes."""
    rows = tx.conn.execute(
        select(case_link).where(
            or_(case_link.c.case_id == from_id, case_link.c.other_id == from_id)
        )
    ).all()
    for row in rows:
        other = row.other_id if row.case_id == from_id else row.case_id
        tx.conn.execute(delete(case_link).where(case_link.c.id == row.id))
        if other == to_id:
            continue
        low, high = _pair(to_id, other)
        exists = tx.conn.execute(
            select(case_link.c.id).where(
                and_(case_link.c.case_id == low, case_link.c.other_id == high)
            )
        ).first()
        if exists is None:
            tx.conn.execute(
                insert(case_link).values(
                    case_id=low,
                    other_id=high,
                    kind=row.kind,
                    created_by=row.created_by,
                    created_at=row.created_at,
                )
            )

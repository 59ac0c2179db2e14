"""The merge log: what a merge took from the merged party, and carrying intake data over."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, insert, select, update

from crmkit.core.db import Transaction
from crmkit.core.entities import Party
from crmkit.core.intake.summary import INTAKE_COLUMNS
from crmkit.core.stand_in import names_after_merge, real_name
from crmkit.core.tables import match_review, merge_log, party, utcnow

FILLABLE = ("first_name", "last_name", "organisation_name", "birth_date", "owner_id")


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def describe(survivor: Party, merged: Party, moved: dict[str, int]) -> dict[str, Any]:
    """What came from where: ``survivor`` as it was before the merge, ``merged`` as it was.

    ``filled``: the merged party's values of fields the survivor lacked;
    ``kept``: the merged party's values that differed and gave way to the survivor's;
    ``contact_points``: the merged party's emails, phones and addresses the survivor lacked;
    ``custom``: custom fields taken over; ``moved``: rows re-pointed (interactions ...).
    """
    filled: dict[str, Any] = {}
    kept: dict[str, Any] = {}
    names = names_after_merge(survivor, merged)
    for name in FILLABLE:
        mine, theirs = getattr(survivor, name), getattr(merged, name)
        if name in names:
            if names[name] not in (None, mine):
                filled[name] = names[name]  # lacking, or a stand-in the real name replaced
                continue
            theirs = real_name(merged, name)
        if theirs is None or mine == theirs:
            continue
        (filled if mine is None else kept)[name] = _plain(theirs)
    emails = {e.normalised for e in survivor.emails}
    phones = {p.e164 for p in survivor.phones}
    contact_points = [
        *(
            {"kind": "email", "value": e.original}
            for e in merged.emails
            if e.normalised not in emails
        ),
        *({"kind": "phone", "value": p.e164} for p in merged.phones if p.e164 not in phones),
        *(
            {"kind": "address", "value": a.one_line()}
            for a in merged.addresses
            if a not in survivor.addresses
        ),
    ]
    return {
        "filled": filled,
        "kept": kept,
        "contact_points": contact_points,
        "custom": sorted(k for k in merged.custom if k not in survivor.custom),
        "moved": moved,
    }


def record_merge(tx: Transaction, survivor_id: int, merged: Party, details: dict[str, Any]) -> None:
    """Log the merge of ``merged`` into ``survivor_id``; ``merged.id`` is None for a party never stored."""
    tx.conn.execute(
        insert(merge_log).values(
            survivor_id=survivor_id,
            merged_id=merged.id,
            merged_name=merged.display_name,
            merged_by=tx.actor.username,
            merged_at=utcnow(),
            details=details,
        )
    )


def carry_intake(conn: Connection, survivor_id: int, merged_id: int) -> None:
    """The survivor keeps its intake data; what it lacks (never taken in) comes from the merged.

    Open reviews of the merged party now concern the survivor; one that paired
    the two is settled by the merge.
    """
    columns = [party.c[name] for name in INTAKE_COLUMNS]
    merged = conn.execute(select(*columns).where(party.c.id == merged_id)).one()
    fill_intake(conn, survivor_id, merged._asdict())
    _repoint_reviews(conn, survivor_id, merged_id)


def fill_intake(conn: Connection, survivor_id: int, values: Mapping[str, Any]) -> None:
    """Set the intake columns (:data:`INTAKE_COLUMNS`) of ``values`` the survivor has none of."""
    survivor = conn.execute(
        select(*(party.c[name] for name in INTAKE_COLUMNS)).where(party.c.id == survivor_id)
    ).one()
    missing = {
        name: values[name]
        for name in INTAKE_COLUMNS
        if getattr(survivor, name) is None and values.get(name) is not None
    }
    if missing:
        conn.execute(update(party).where(party.c.id == survivor_id).values(missing))


def _repoint_reviews(conn: Connection, survivor_id: int, merged_id: int) -> None:
    pair = {survivor_id, merged_id}
    conn.execute(
        update(match_review)
        .where(
            match_review.c.status == "open",
            match_review.c.candidate_id.in_(pair),
            match_review.c.existing_id.in_(pair),
        )
        .values(status="merged", decided_at=utcnow(), merged_id=merged_id)
    )
    for column in (match_review.c.candidate_id, match_review.c.existing_id):
        conn.execute(update(match_review).where(column == merged_id).values({column: survivor_id}))


@frozen
class MergeLogEntry:
    """One merge into a party: who merged which party when, and what it brought (see :func:`describe`)."""

    id: int
    survivor_id: int
    merged_id: int | None
    """None when the merged party was never stored: a prospect merged as it was taken in."""
    merged_name: str
    merged_by: str
    merged_at: datetime
    filled: dict[str, Any]
    kept: dict[str, Any]
    contact_points: list[dict[str, str]]
    custom: list[str]
    moved: dict[str, int]


def merges_of(conn: Connection, survivor_id: int) -> list[MergeLogEntry]:
    """The merge log of a party, oldest first."""
    rows = conn.execute(
        select(merge_log).where(merge_log.c.survivor_id == survivor_id).order_by(merge_log.c.id)
    )
    return [
        MergeLogEntry(
            id=r.id,
            survivor_id=r.survivor_id,
            merged_id=r.merged_id,
            merged_name=r.merged_name,
            merged_by=r.merged_by,
            merged_at=r.merged_at,
            **r.details,
        )
        for r in rows
    ]

"""Order pushes: queued once per sfa order, read as the party's record rules allow, retried by hand.

A push moves ``queued`` -> ``sending`` -> ``created``; an order SAP refused (or that
cannot be sent as it is) is ``failed``, one SAP did not answer for ``max_attempts``
sends in a row ``gave_up``. Both wait for someone to fix the cause and retry; a retried push
is read back from SAP first, like every push that was sent before (``sent_at`` is set).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, insert, select, update

from crmkit import (
    Actor,
    ConflictError,
    NotFound,
    Page,
    Transaction,
    ValidationError,
    build_interaction,
    log_interaction,
    newest_first,
    seen_party_ids,
    sees_every_party,
    utcnow,
)
from crmkit_erp_sap.orders.tables import PUSH_STATES, order_push

RETRIED_STATES = ("failed", "gave_up")


@frozen
class OrderPush:
    """One sfa order on its way to SAP, and what SAP made of it."""

    id: int
    order_id: int
    party_id: int | None
    system: str
    state: str
    reference: str
    sap_order: str | None
    sap_status: dict[str, str] | None
    erp_status: str | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    status_checked_at: datetime | None


def push_of(row: Any) -> OrderPush:
    return OrderPush(
        id=row.id,
        order_id=row.order_id,
        party_id=row.party_id,
        system=row.system,
        state=row.state,
        reference=row.reference,
        sap_order=row.sap_order,
        sap_status=row.sap_status,
        erp_status=row.erp_status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        sent_at=row.sent_at,
        status_checked_at=row.status_checked_at,
    )


def queue_push(tx: Transaction, order_id: int, party_id: int, reference: str, system: str) -> bool:
    """Queue the order's push unless it has one already (an event delivered twice); whether
    it was queued now."""
    exists = tx.conn.execute(
        select(order_push.c.id).where(order_push.c.order_id == order_id)
    ).scalar_one_or_none()
    if exists is not None:
        return False
    now = utcnow()
    tx.conn.execute(
        insert(order_push).values(
            order_id=order_id,
            party_id=party_id,
            system=system,
            state="queued",
            reference=reference,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    return True


def _seen(tx: Transaction, actor: Actor) -> Any:
    query = select(order_push)
    if not sees_every_party(tx.hooks, actor):
        query = query.where(order_push.c.party_id.in_(seen_party_ids(tx.hooks, actor)))
    return query


def list_pushes(
    tx: Transaction, *, state: str | None = None, cursor: str | None = None, limit: int = 50
) -> Page[OrderPush]:
    """The pushes of orders whose party the actor sees, newest first."""
    query = _seen(tx, tx.actor)
    if state is not None:
        if state not in PUSH_STATES:
            raise ValidationError("state", f"expected one of {', '.join(PUSH_STATES)}")
        query = query.where(order_push.c.state == state)
    return newest_first(tx.conn, query, order_push.c.id, push_of, cursor=cursor, limit=limit)


def get_push(tx: Transaction, push_id: int) -> OrderPush:
    """One push, if the actor sees its order's party; else :class:`NotFound`."""
    row = tx.conn.execute(_seen(tx, tx.actor).where(order_push.c.id == push_id)).first()
    if row is None:
        raise NotFound(f"no order push {push_id}")
    return push_of(row)


def load_push(conn: Connection, push_id: int) -> OrderPush:
    """One push, without record rules (the jobs)."""
    row = conn.execute(select(order_push).where(order_push.c.id == push_id)).first()
    if row is None:
        raise NotFound(f"no order push {push_id}")
    return push_of(row)


def retry_push(tx: Transaction, push_id: int) -> OrderPush:
    """Queue a failed or given-up push again, due now; SAP is read back before it is resent."""
    found = get_push(tx, push_id)
    if found.state not in RETRIED_STATES:
        raise ConflictError(
            f"order push {push_id} is {found.state}: only failed or given-up pushes are retried"
        )
    now = utcnow()
    tx.conn.execute(
        update(order_push)
        .where(order_push.c.id == push_id)
        .values(state="queued", attempts=0, next_attempt_at=now, updated_at=now)
    )
    return load_push(tx.conn, push_id)


def report_to_order(tx: Transaction, order_id: int, sap_order: str, status: str) -> None:
    """Record SAP's word on the sfa order (``erp_status``, ``erp_reference``) and, when its
    status changes, on the party's timeline, linked to the order and its opportunity. An
    order further along already (an IDoc told us first) keeps its status: sfa's never goes
    back."""
    from crmkit_sfa.erp import ERP_STATUSES, get_order, update_erp_status

    before = get_order(tx.conn, order_id)
    rank: dict[str, int] = {name: place for place, name in enumerate(ERP_STATUSES)}
    if before.erp_status is not None and rank[before.erp_status] > rank[status]:
        status = before.erp_status  # SAP's number is kept all the same
    after = update_erp_status(tx, order_id, {"erp_status": status, "erp_reference": sap_order})
    if after.erp_status == before.erp_status:
        return
    subject = (
        f"Order {after.number} sent to SAP as sales order {sap_order}"
        if status == "sent"
        else f"SAP sales order {sap_order} ({after.number}) {status}"
    )
    entry = build_interaction(
        {
            "party_id": after.party_id,
            "channel": "erp",
            "direction": "internal",
            "subject": subject,
            "refs": [
                {"kind": "sfa.order", "id": str(order_id)},
                {"kind": "sfa.opportunity", "id": str(after.opportunity_id)},
            ],
        },
        source="erp_sap",
    )
    log_interaction(tx, entry)

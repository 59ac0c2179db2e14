"""Sales orders: placed by accepting a quotation, announced to ERP connectors, tracked by their status.

Accepting is idempotent: the quotation row is locked, and a quotation that is
already accepted answers with the order it made (the unique ``quotation_id``
of ``sfa_order`` settles any race the lock does not). The order copies the
quotation's lines with product codes and groups, so it stays as placed when
the catalogue changes, and emits ``sfa.order_placed`` carrying everything an
ERP connector needs (see :func:`order_placed_payload`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import attrs
from attrs import frozen
from sqlalchemy import Connection, insert, select, update

from crmkit import (
    Actor,
    ConflictError,
    Crm,
    NotFound,
    Page,
    Transaction,
    ValidationError,
    get_party,
    newest_first,
    require,
    user_table,
    utcnow,
)
from crmkit_sfa.pipeline import fields as common
from crmkit_sfa.pipeline.service import get_opportunity, mark_won
from crmkit_sfa.quotes import fields
from crmkit_sfa.quotes.money import round_money
from crmkit_sfa.quotes.quotations import (
    Line,
    Quotation,
    get_quotation,
    line_of,
    mark_accepted,
    require_visible,
    visible_opportunities,
)
from crmkit_sfa.quotes.tables import order, order_line

ErpStatus = Literal["sent", "confirmed", "delivered", "invoiced"]
ERP_STATUSES: tuple[ErpStatus, ...] = ("sent", "confirmed", "delivered", "invoiced")
"""In the order an order goes through them; a connector may skip some, never go back."""
ERP_FIELDS = ("erp_status", "erp_reference")


@frozen
class Order:
    """A sales order placed by accepting a quotation; ``erp_*`` report what the ERP made of it."""

    id: int
    number: str
    quotation_id: int
    opportunity_id: int
    party_id: int
    owner_id: int | None
    currency: str
    total_net: Decimal
    total_tax: Decimal
    total_gross: Decimal
    placed_at: datetime
    erp_status: ErpStatus | None
    erp_reference: str | None
    erp_updated_at: datetime | None
    lines: tuple[Line, ...]


def get_order(conn: Connection, order_id: int) -> Order:
    """One order with its lines (no permission check: see :func:`visible_order`)."""
    row = conn.execute(select(order).where(order.c.id == order_id)).first()
    if row is None:
        raise NotFound(f"no order {order_id}")
    lines = conn.execute(
        select(order_line).where(order_line.c.order_id == row.id).order_by(order_line.c.position)
    )
    return Order(
        id=row.id,
        number=row.number,
        quotation_id=row.quotation_id,
        opportunity_id=row.opportunity_id,
        party_id=row.party_id,
        owner_id=row.owner_id,
        currency=row.currency,
        total_net=round_money(row.total_net, row.currency),
        total_tax=round_money(row.total_tax, row.currency),
        total_gross=round_money(row.total_gross, row.currency),
        placed_at=row.placed_at,
        erp_status=row.erp_status,
        erp_reference=row.erp_reference,
        erp_updated_at=row.erp_updated_at,
        lines=tuple(line_of(line, line.product_code, row.currency) for line in lines),
    )


def visible_order(crm: Crm, conn: Connection, actor: Actor, order_id: int) -> Order:
    """The order, if ``actor`` may see its opportunity; hidden ones are "not found"."""
    found = get_order(conn, order_id)
    require_visible(
        crm, conn, actor, found.opportunity_id, "sfa:order.read", f"no order {order_id}"
    )
    return found


def order_of_quotation(conn: Connection, quotation_id: int) -> Order | None:
    """The order placed by accepting the quotation, if it was."""
    order_id = conn.execute(
        select(order.c.id).where(order.c.quotation_id == quotation_id)
    ).scalar_one_or_none()
    return None if order_id is None else get_order(conn, order_id)


def accept_quotation(tx: Transaction, quotation_id: int) -> Order:
    """Accept a sent, unexpired quotation: place its order and mark the opportunity won.

    Accepting an accepted quotation again answers with the order already placed.
    """
    found = get_quotation(tx.conn, quotation_id, for_update=True)
    missing = f"no quotation {quotation_id}"
    require_visible(tx.app, tx.conn, tx.actor, found.opportunity_id, "sfa:quote.accept", missing)
    deal = get_opportunity(tx.conn, found.opportunity_id)
    if found.status == "accepted":
        placed = order_of_quotation(tx.conn, found.id)
        if placed is not None:
            return placed
    if found.status != "sent":
        raise ConflictError(
            f"quotation {found.number} v{found.version} is {found.status}: only sent ones are accepted"
        )
    today = utcnow().date()
    if found.is_expired(today):
        raise ConflictError(
            f"quotation {found.number} v{found.version} expired on {found.valid_until}: revise it"
        )
    mark_accepted(tx, found)
    if deal.status != "won":
        # A second quotation of an opportunity already won (an add-on order) leaves it won.
        mark_won(tx, deal.id)
    # The order is credited to whoever owns the opportunity now (targets count it for them).
    placed = _place(tx, found, deal.owner_id)
    tx.emit("sfa.order_placed", "sfa.order", placed.id, order_placed_payload(tx, placed, found))
    return placed


def _place(tx: Transaction, accepted: Quotation, owner_id: int | None) -> Order:
    order_id = tx.conn.execute(
        insert(order)
        .values(
            number=accepted.number.replace("Q-", "SO-", 1),
            quotation_id=accepted.id,
            opportunity_id=accepted.opportunity_id,
            party_id=accepted.party_id,
            owner_id=owner_id,
            currency=accepted.currency,
            total_net=accepted.total_net,
            total_tax=accepted.total_tax,
            total_gross=accepted.total_gross,
            placed_at=utcnow(),
        )
        .returning(order.c.id)
    ).scalar_one()
    tx.conn.execute(
        insert(order_line),
        # A quotation line has exactly the fields of an order line.
        [{"order_id": order_id, **attrs.asdict(line)} for line in accepted.lines],
    )
    return get_order(tx.conn, order_id)


def order_placed_payload(tx: Transaction, placed: Order, accepted: Quotation) -> dict[str, Any]:
    """What ``sfa.order_placed`` carries: the order, its customer and lines, amounts as strings.

    The customer is read after the opportunity was won, so a prospect appears
    converted, with its customer number; addresses, emails and phones come
    as the kernel's API renders a party.
    """
    customer = tx.app.converter.unstructure(get_party(tx.conn, placed.party_id))
    owner = None
    if placed.owner_id is not None:
        row = tx.conn.execute(
            select(user_table.c.username, user_table.c.display_name, user_table.c.email).where(
                user_table.c.id == placed.owner_id
            )
        ).one()
        owner = {"user_id": placed.owner_id, **row._asdict()}
    plain = tx.app.converter.unstructure
    return {
        "order": {
            "id": placed.id,
            "number": placed.number,
            "placed_at": placed.placed_at.isoformat(),
            "currency": placed.currency,
            "total_net": str(placed.total_net),
            "total_tax": str(placed.total_tax),
            "total_gross": str(placed.total_gross),
            "quotation_id": accepted.id,
            "quotation_number": accepted.number,
            "quotation_version": accepted.version,
            "opportunity_id": placed.opportunity_id,
            "terms": accepted.terms,
        },
        "customer": customer,
        "owner": owner,
        "lines": [plain(line) for line in placed.lines],
    }


def update_erp_status(tx: Transaction, order_id: int, data: Mapping[str, Any]) -> Order:
    """Record what an ERP reports: ``{"erp_status": "confirmed", "erp_reference": "4711"}``.

    The status moves forward only (sent, confirmed, delivered, invoiced; steps
    may be skipped); reporting the current status again changes nothing, so a
    connector may repeat a report it is unsure was received.
    """
    require(tx.hooks, tx.actor, "sfa:order.erp")
    fields.only(data, ERP_FIELDS)
    status = data.get("erp_status")
    if status not in ERP_STATUSES:
        raise ValidationError("erp_status", f"expected one of {', '.join(ERP_STATUSES)}")
    reference = common.text("erp_reference", data.get("erp_reference"), limit=100)
    row = tx.conn.execute(select(order).where(order.c.id == order_id).with_for_update()).first()
    if row is None:
        raise NotFound(f"no order {order_id}")
    current = row.erp_status
    reference = reference or row.erp_reference
    if current == status and reference == row.erp_reference:
        return get_order(tx.conn, order_id)
    if current is not None and ERP_STATUSES.index(status) < ERP_STATUSES.index(current):
        raise ConflictError(
            f"order {row.number} is already {current}; it cannot go back to {status}"
        )
    now = utcnow()
    tx.conn.execute(
        update(order)
        .where(order.c.id == order_id)
        .values(erp_status=status, erp_reference=reference, erp_updated_at=now)
    )
    tx.emit(
        "sfa.order_erp_status",
        "sfa.order",
        order_id,
        {
            "number": row.number,
            "party_id": row.party_id,
            "erp_status": status,
            "erp_reference": reference,
            "previous": current,
        },
    )
    return get_order(tx.conn, order_id)


@frozen
class OrderSummary:
    """An order in a list: number, customer, total and ERP status."""

    id: int
    number: str
    quotation_id: int
    opportunity_id: int
    party_id: int
    currency: str
    total_gross: Decimal
    placed_at: datetime
    erp_status: ErpStatus | None
    erp_reference: str | None


def _summary(row: Any) -> OrderSummary:
    return OrderSummary(
        id=row.id,
        number=row.number,
        quotation_id=row.quotation_id,
        opportunity_id=row.opportunity_id,
        party_id=row.party_id,
        currency=row.currency,
        total_gross=round_money(row.total_gross, row.currency),
        placed_at=row.placed_at,
        erp_status=row.erp_status,
        erp_reference=row.erp_reference,
    )


def list_orders(
    crm: Crm,
    conn: Connection,
    actor: Actor,
    *,
    party_id: int | None = None,
    erp_status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[OrderSummary]:
    """The orders ``actor`` may see, newest first; ``erp_status="none"``: not yet reported by an ERP."""
    require(crm.host, actor, "sfa:order.read")
    query = select(order).where(order.c.opportunity_id.in_(visible_opportunities(crm, actor)))
    if party_id is not None:
        query = query.where(order.c.party_id == party_id)
    if erp_status == "none":
        query = query.where(order.c.erp_status.is_(None))
    elif erp_status is not None:
        if erp_status not in ERP_STATUSES:
            raise ValidationError(
                "erp_status", f"expected none or one of {', '.join(ERP_STATUSES)}"
            )
        query = query.where(order.c.erp_status == erp_status)
    return newest_first(conn, query, order.c.id, _summary, cursor=cursor, limit=limit)

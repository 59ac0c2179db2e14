"""Quotations: drafted with lines, sent, revised into new versions, rejected, expired or accepted.

A quotation belongs to an opportunity and is seen by whoever may see that
opportunity. Its lifecycle::

    draft --send--> sent --accept--> accepted (an order is placed: see orders.py)
                         --reject--> rejected
                         --(valid_until passes)--> expired
    sent/rejected/expired --revise--> a new draft version; the revised one is superseded

A draft is edited in place; once sent, a change is a new version with the same
number, so what the customer saw stays on record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from attrs import asdict, frozen
from sqlalchemy import Connection, Select, delete, insert, select, update

from crmkit import (
    Actor,
    ConflictError,
    Crm,
    NotFound,
    Page,
    Transaction,
    ValidationError,
    newest_first,
    require,
    utcnow,
    visible,
)
from crmkit_sfa.pipeline import fields as common
from crmkit_sfa.pipeline.service import get_opportunity
from crmkit_sfa.pipeline.tables import opportunity
from crmkit_sfa.quotes import catalogue, fields
from crmkit_sfa.quotes.money import (
    MAX_AMOUNT,
    LineAmounts,
    line_amounts,
    minor_places,
    round_money,
    totals,
    trimmed,
)
from crmkit_sfa.quotes.tables import product, quotation, quotation_line

Status = Literal["draft", "sent", "accepted", "rejected", "superseded", "expired"]
STATUSES: tuple[Status, ...] = ("draft", "sent", "accepted", "rejected", "superseded", "expired")
REVISABLE = ("sent", "rejected", "expired")
QUOTATION_FIELDS = ("opportunity_id", "currency", "price_list_id", "valid_until", "terms", "lines")
EDITABLE_FIELDS = ("price_list_id", "valid_until", "terms", "lines")
LINE_FIELDS = (
    "product_code",
    "description",
    "quantity",
    "unit_price",
    "discount",
    "tax_rate",
    "requested_date",
)
MAX_LINES = 500
OPPORTUNITY_ENTITY = "sfa.opportunity"
"""The entity type whose ``permission_filter`` decides which quotations an actor sees."""


@frozen
class Line:
    """One position of a quotation, or of the order it became: a quantity of a product at a unit
    price, less a discount, plus tax (percent)."""

    position: int
    product_id: int
    product_code: str
    product_group: str | None
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount: Decimal
    tax_rate: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal
    requested_date: date | None


@frozen
class Quotation:
    """A quotation version (versions share the number); lines rounded to the minor unit, totals their sums.

    See :mod:`crmkit_sfa.quotes.money` for the rounding rule.
    """

    id: int
    number: str
    version: int
    supersedes_id: int | None
    opportunity_id: int
    party_id: int
    owner_id: int | None
    price_list_id: int | None
    status: Status
    valid_until: date
    currency: str
    total_net: Decimal
    total_tax: Decimal
    total_gross: Decimal
    terms: str | None
    lines: tuple[Line, ...]
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    decided_at: datetime | None

    def is_expired(self, today: date) -> bool:
        return self.valid_until < today


@frozen
class QuotationSummary:
    """A quotation in a list: its number, version, status, validity and totals."""

    id: int
    number: str
    version: int
    opportunity_id: int
    party_id: int
    status: Status
    valid_until: date
    currency: str
    total_net: Decimal
    total_gross: Decimal
    updated_at: datetime


# --- Reading.


def line_of(row: Any, product_code: str, currency: str) -> Line:
    """A stored line, its amounts shown to the currency's minor unit."""
    return Line(
        position=row.position,
        product_id=row.product_id,
        product_code=product_code,
        product_group=row.product_group,
        description=row.description,
        quantity=trimmed(row.quantity),
        unit=row.unit,
        unit_price=trimmed(row.unit_price, minor_places(currency)),
        discount=row.discount,
        tax_rate=row.tax_rate,
        net=round_money(row.net, currency),
        tax=round_money(row.tax, currency),
        gross=round_money(row.gross, currency),
        requested_date=row.requested_date,
    )


def _lines(conn: Connection, quotation_id: int, currency: str) -> tuple[Line, ...]:
    rows = conn.execute(
        select(quotation_line, product.c.code, product.c.product_group, product.c.unit)
        .join(product, product.c.id == quotation_line.c.product_id)
        .where(quotation_line.c.quotation_id == quotation_id)
        .order_by(quotation_line.c.position)
    )
    return tuple(line_of(row, row.code, currency) for row in rows)


def get_quotation(conn: Connection, quotation_id: int, *, for_update: bool = False) -> Quotation:
    """One quotation version with its lines (no permission check: see :func:`visible_quotation`)."""
    query = select(quotation).where(quotation.c.id == quotation_id)
    if for_update:
        # Accepting, sending and revising race with each other; the row lock orders them.
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no quotation {quotation_id}")
    return Quotation(
        id=row.id,
        number=row.number,
        version=row.version,
        supersedes_id=row.supersedes_id,
        opportunity_id=row.opportunity_id,
        party_id=row.party_id,
        owner_id=row.owner_id,
        price_list_id=row.price_list_id,
        status=row.status,
        valid_until=row.valid_until,
        currency=row.currency,
        total_net=round_money(row.total_net, row.currency),
        total_tax=round_money(row.total_tax, row.currency),
        total_gross=round_money(row.total_gross, row.currency),
        terms=row.terms,
        lines=_lines(conn, row.id, row.currency),
        created_at=row.created_at,
        updated_at=row.updated_at,
        sent_at=row.sent_at,
        decided_at=row.decided_at,
    )


def require_visible(
    crm: Crm, conn: Connection, actor: Actor, opportunity_id: int, action: str, missing: str
) -> None:
    """Refuse ``action`` on the opportunity's quotations or orders; a hidden one's are "not found"."""
    seen = visible_opportunities(crm, actor).where(opportunity.c.id == opportunity_id)
    if conn.execute(seen).first() is None:
        raise NotFound(missing)
    require(crm.host, actor, action, get_opportunity(conn, opportunity_id), conn=conn)


def visible_quotation(crm: Crm, conn: Connection, actor: Actor, quotation_id: int) -> Quotation:
    """The quotation, if ``actor`` may see its opportunity; hidden ones are "not found"."""
    found = get_quotation(conn, quotation_id)
    require_visible(
        crm, conn, actor, found.opportunity_id, "sfa:quote.read", f"no quotation {quotation_id}"
    )
    return found


def visible_opportunities(crm: Crm, actor: Actor) -> Select[Any]:
    """The ids of the opportunities ``actor`` sees: their quotations and orders are the ones seen."""
    return select(opportunity.c.id).where(visible(crm.host, actor, OPPORTUNITY_ENTITY, opportunity))


def list_quotations(
    crm: Crm,
    conn: Connection,
    actor: Actor,
    *,
    opportunity_id: int | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[QuotationSummary]:
    """The quotations ``actor`` may see, newest first, every version; or one opportunity's."""
    require(crm.host, actor, "sfa:quote.read")
    query = select(quotation).where(
        quotation.c.opportunity_id.in_(visible_opportunities(crm, actor))
    )
    if opportunity_id is not None:
        query = query.where(quotation.c.opportunity_id == opportunity_id)
    if status is not None:
        if status not in STATUSES:
            raise ValidationError("status", f"expected one of {', '.join(STATUSES)}")
        query = query.where(quotation.c.status == status)
    return newest_first(conn, query, quotation.c.id, _summary, cursor=cursor, limit=limit)


def _summary(row: Any) -> QuotationSummary:
    return QuotationSummary(
        id=row.id,
        number=row.number,
        version=row.version,
        opportunity_id=row.opportunity_id,
        party_id=row.party_id,
        status=row.status,
        valid_until=row.valid_until,
        currency=row.currency,
        total_net=round_money(row.total_net, row.currency),
        total_gross=round_money(row.total_gross, row.currency),
        updated_at=row.updated_at,
    )


def versions_of(conn: Connection, number: str) -> list[QuotationSummary]:
    """Every version of the quotation ``number``, the first one first."""
    rows = conn.execute(
        select(quotation).where(quotation.c.number == number).order_by(quotation.c.version)
    )
    return [_summary(row) for row in rows]


# --- Writing.


@frozen
class _Terms:
    """What a body says about a quotation besides its lines, checked."""

    price_list_id: int | None
    valid_until: date
    terms: str | None


def _parse_lines(
    tx: Transaction, given: Any, currency: str, price_list: catalogue.PriceList | None
) -> list[dict[str, Any]]:
    """Each line priced and computed: the row values of ``sfa_quotation_line`` but the quotation id."""
    if not isinstance(given, list):
        raise ValidationError("lines", "expected a list")
    if len(given) > MAX_LINES:
        raise ValidationError("lines", f"at most {MAX_LINES} lines")
    codes = [line.get("product_code") for line in given if isinstance(line, dict)]
    known = catalogue.products_by_code(tx.conn, [c for c in codes if isinstance(c, str)])
    rows = []
    for position, line in enumerate(given, start=1):
        where = f"lines[{position - 1}]."
        if not isinstance(line, dict):
            raise ValidationError(f"lines[{position - 1}]", "expected an object")
        fields.only(line, LINE_FIELDS, where)
        code = common.text(
            f"{where}product_code", line.get("product_code"), limit=64, required=True
        )
        item = known.get(code or "")
        if item is None:
            raise ValidationError(f"{where}product_code", f"no product with the code {code!r}")
        if not item.active:
            raise ValidationError(f"{where}product_code", f"{code} is no longer sold")
        quantity = fields.decimal(
            line,
            "quantity",
            places=3,
            minimum=Decimal(0),
            maximum=MAX_AMOUNT,
            where=where,
            exclusive_minimum=True,
        )
        if quantity is None:
            raise ValidationError(f"{where}quantity", "required")
        unit_price = fields.decimal(
            line, "unit_price", places=4, minimum=Decimal(0), maximum=MAX_AMOUNT, where=where
        )
        if unit_price is None and price_list is not None:
            unit_price = catalogue.unit_price(tx.conn, price_list.id, item.id, quantity)
        if unit_price is None:
            raise ValidationError(
                f"{where}unit_price",
                "required: no price list gives a price for this product and quantity",
            )
        discount = fields.decimal(
            line, "discount", places=2, minimum=Decimal(0), maximum=Decimal(100), where=where
        )
        tax_rate = fields.decimal(
            line, "tax_rate", places=2, minimum=Decimal(0), maximum=Decimal(100), where=where
        )
        discount = Decimal(0) if discount is None else discount
        tax_rate = item.tax_rate if tax_rate is None else tax_rate
        amounts = line_amounts(quantity, unit_price, discount, tax_rate, currency)
        if amounts.gross > MAX_AMOUNT:
            raise ValidationError(f"{where}quantity", f"the line comes to more than {MAX_AMOUNT}")
        rows.append(
            {
                "position": position,
                "product_id": item.id,
                "description": common.text(
                    f"{where}description", line.get("description"), limit=500
                )
                or item.name,
                "quantity": quantity,
                "unit_price": unit_price,
                "discount": discount,
                "tax_rate": tax_rate,
                "net": amounts.net,
                "tax": amounts.tax,
                "gross": amounts.gross,
                "requested_date": common.day(f"{where}requested_date", line.get("requested_date")),
            }
        )
    return rows


def _price_list(
    tx: Transaction, price_list_id: int | None, currency: str | None, today: date
) -> catalogue.PriceList | None:
    if price_list_id is None:
        return None
    try:
        found = catalogue.get_price_list(tx.conn, price_list_id)
    except NotFound:
        raise ValidationError("price_list_id", f"no price list {price_list_id}") from None
    if not found.is_valid_on(today):
        raise ValidationError("price_list_id", f"{found.name} is not valid on {today}")
    if currency is not None and currency != found.currency:
        raise ValidationError("currency", f"{found.name} is in {found.currency}, not {currency}")
    return found


def _terms(data: Mapping[str, Any], today: date, default_until: date) -> _Terms:
    valid_until = common.day("valid_until", data.get("valid_until")) or default_until
    if valid_until < today:
        raise ValidationError("valid_until", "in the past")
    return _Terms(
        price_list_id=common.identifier("price_list_id", data.get("price_list_id")),
        valid_until=valid_until,
        terms=common.text("terms", data.get("terms"), limit=10_000),
    )


def _write_lines(
    tx: Transaction, quotation_id: int, rows: Sequence[dict[str, Any]], currency: str
) -> dict[str, Decimal]:
    """Replace the quotation's lines with ``rows``; the totals to store with it."""
    tx.conn.execute(delete(quotation_line).where(quotation_line.c.quotation_id == quotation_id))
    if rows:
        tx.conn.execute(insert(quotation_line), [{"quotation_id": quotation_id, **r} for r in rows])
    summed = totals((LineAmounts(r["net"], r["tax"], r["gross"]) for r in rows), currency)
    if summed.gross > MAX_AMOUNT:
        raise ValidationError("lines", f"the quotation comes to more than {MAX_AMOUNT}")
    return {"total_net": summed.net, "total_tax": summed.tax, "total_gross": summed.gross}


def _validity_days(tx: Transaction) -> int:
    return int(tx.app.settings_of["sfa"].quotes.validity_days)


def create_quotation(tx: Transaction, data: Mapping[str, Any]) -> Quotation:
    """Draft a quotation for an opportunity ``data`` names (untrusted: an API body); version 1."""
    fields.only(data, QUOTATION_FIELDS)
    opportunity_id = common.identifier("opportunity_id", data.get("opportunity_id"))
    if opportunity_id is None:
        raise ValidationError("opportunity_id", "required")
    missing = f"no opportunity {opportunity_id}"
    try:
        # One the actor may not see is, to them, one that does not exist.
        require_visible(tx.app, tx.conn, tx.actor, opportunity_id, "sfa:quote.write", missing)
    except NotFound:
        raise ValidationError("opportunity_id", missing) from None
    deal = get_opportunity(tx.conn, opportunity_id)
    if deal.status != "open":
        raise ConflictError(f"opportunity {opportunity_id} is {deal.status}: quote open ones")
    now = utcnow()
    today = now.date()
    given = _terms(data, today, today + timedelta(days=_validity_days(tx)))
    given_currency = data.get("currency")
    requested_currency = None if given_currency is None else common.currency(given_currency)
    prices = _price_list(tx, given.price_list_id, requested_currency, today)
    currency = requested_currency or (prices.currency if prices else deal.currency)
    lines = _parse_lines(tx, data.get("lines", []), currency, prices)
    new_id = _store_draft(
        tx,
        given,
        currency,
        lines,
        now,
        version=1,
        opportunity_id=deal.id,
        party_id=deal.party_id,
        owner_id=deal.owner_id,
    )
    return get_quotation(tx.conn, new_id)


def _store_draft(
    tx: Transaction,
    given: _Terms,
    currency: str,
    lines: Sequence[dict[str, Any]],
    now: datetime,
    **of: Any,
) -> int:
    """Insert a draft (``of``: whose, which number and version) with its lines and totals; its id."""
    new_id: int = tx.conn.execute(
        insert(quotation)
        .values(
            **of,
            price_list_id=given.price_list_id,
            status="draft",
            valid_until=given.valid_until,
            currency=currency,
            total_net=0,
            total_tax=0,
            total_gross=0,
            terms=given.terms,
            created_at=now,
            updated_at=now,
        )
        .returning(quotation.c.id)
    ).scalar_one()
    amounts = _write_lines(tx, new_id, lines, currency)
    # A first version is numbered after its own id; revisions keep the number.
    number = of.get("number") or f"Q-{new_id:06d}"
    tx.conn.execute(
        update(quotation).where(quotation.c.id == new_id).values(number=number, **amounts)
    )
    return new_id


def _writable(tx: Transaction, quotation_id: int) -> Quotation:
    found = get_quotation(tx.conn, quotation_id, for_update=True)
    missing = f"no quotation {quotation_id}"
    require_visible(tx.app, tx.conn, tx.actor, found.opportunity_id, "sfa:quote.write", missing)
    return found


def update_quotation(tx: Transaction, quotation_id: int, data: Mapping[str, Any]) -> Quotation:
    """Change a draft: the fields given are replaced, ``lines`` as a whole. Sent ones are revised instead.

    Values the draft has already change nothing: it comes back as it is.
    """
    fields.only(data, EDITABLE_FIELDS)
    found = _writable(tx, quotation_id)
    if found.status != "draft":
        raise ConflictError(
            f"quotation {found.number} v{found.version} is {found.status}: revise it"
        )
    today = utcnow().date()
    given = _terms({**_current_terms(found), **data}, today, found.valid_until)
    prices = _repricing(tx, data, given, found.currency, today)
    values = common.changes(found, asdict(given))
    if "lines" in data:
        rows = _parse_lines(tx, data["lines"], found.currency, prices)
        if not _has_lines(tx.conn, found.id, rows):
            values.update(_write_lines(tx, found.id, rows, found.currency))
    if not values:
        return found
    tx.conn.execute(
        update(quotation).where(quotation.c.id == found.id).values(updated_at=utcnow(), **values)
    )
    return get_quotation(tx.conn, found.id)


def _has_lines(conn: Connection, quotation_id: int, rows: Sequence[dict[str, Any]]) -> bool:
    """Whether the quotation's stored lines are ``rows``, value for value."""
    stored = conn.execute(
        select(quotation_line)
        .where(quotation_line.c.quotation_id == quotation_id)
        .order_by(quotation_line.c.position)
    ).all()
    return len(stored) == len(rows) and not any(
        common.changes(line, row) for line, row in zip(stored, rows, strict=True)
    )


def _repricing(
    tx: Transaction, data: Mapping[str, Any], given: _Terms, currency: str, today: date
) -> catalogue.PriceList | None:
    """The price list new lines are priced from; None when neither it nor the lines change.

    Kept lines keep the prices they were quoted at, so a price list that has
    since expired does not stand in the way of, say, extending the validity.
    """
    if "price_list_id" not in data and "lines" not in data:
        return None
    return _price_list(tx, given.price_list_id, currency, today)


def _current_terms(found: Quotation) -> dict[str, Any]:
    return {
        "price_list_id": found.price_list_id,
        "valid_until": found.valid_until,
        "terms": found.terms,
    }


def _line_input(line: Line) -> dict[str, Any]:
    """A stored line as the input that reproduces it (its prices fixed as they were quoted)."""
    return {
        "product_code": line.product_code,
        "description": line.description,
        "quantity": str(line.quantity),
        "unit_price": str(line.unit_price),
        "discount": str(line.discount),
        "tax_rate": str(line.tax_rate),
        "requested_date": line.requested_date,
    }


def revise_quotation(tx: Transaction, quotation_id: int, data: Mapping[str, Any]) -> Quotation:
    """A new draft version of a sent, rejected or expired quotation, with ``data``'s changes.

    The revised version is kept, marked superseded. Lines not given are copied
    at the prices they were quoted at.
    """
    fields.only(data, EDITABLE_FIELDS)
    found = _writable(tx, quotation_id)
    if found.status not in REVISABLE:
        raise ConflictError(
            f"quotation {found.number} v{found.version} is {found.status}: "
            f"only {', '.join(REVISABLE)} ones are revised"
        )
    now = utcnow()
    today = now.date()
    default_until = max(found.valid_until, today + timedelta(days=_validity_days(tx)))
    merged = {**_current_terms(found), "valid_until": default_until, **data}
    given = _terms(merged, today, default_until)
    prices = _repricing(tx, data, given, found.currency, today)
    given_lines = data["lines"] if "lines" in data else [_line_input(x) for x in found.lines]
    rows = _parse_lines(tx, given_lines, found.currency, prices)
    new_id = _store_draft(
        tx,
        given,
        found.currency,
        rows,
        now,
        number=found.number,
        version=found.version + 1,
        supersedes_id=found.id,
        opportunity_id=found.opportunity_id,
        party_id=found.party_id,
        owner_id=found.owner_id,
    )
    tx.conn.execute(
        update(quotation)
        .where(quotation.c.id == found.id)
        .values(status="superseded", updated_at=now)
    )
    return get_quotation(tx.conn, new_id)


def send_quotation(tx: Transaction, quotation_id: int) -> Quotation:
    """Mark a draft as sent to the customer; from now on it changes only by revision."""
    found = _writable(tx, quotation_id)
    if found.status == "sent":
        return found
    if found.status != "draft":
        raise ConflictError(f"quotation {found.number} v{found.version} is {found.status}")
    if not found.lines:
        raise ValidationError("lines", "a quotation without lines cannot be sent")
    now = utcnow()
    if found.is_expired(now.date()):
        raise ValidationError("valid_until", f"passed on {found.valid_until}: change it first")
    tx.conn.execute(
        update(quotation)
        .where(quotation.c.id == found.id)
        .values(status="sent", sent_at=now, updated_at=now)
    )
    return get_quotation(tx.conn, found.id)


def reject_quotation(tx: Transaction, quotation_id: int) -> Quotation:
    """Record that the customer turned a sent quotation down (it may still be revised)."""
    found = _writable(tx, quotation_id)
    if found.status == "rejected":
        return found
    if found.status != "sent":
        raise ConflictError(f"quotation {found.number} v{found.version} is {found.status}")
    now = utcnow()
    tx.conn.execute(
        update(quotation)
        .where(quotation.c.id == found.id)
        .values(status="rejected", decided_at=now, updated_at=now)
    )
    return get_quotation(tx.conn, found.id)


def mark_accepted(tx: Transaction, found: Quotation) -> None:
    """Record the acceptance of a sent quotation (the order is placed by :mod:`orders`)."""
    now = utcnow()
    tx.conn.execute(
        update(quotation)
        .where(quotation.c.id == found.id)
        .values(status="accepted", decided_at=now, updated_at=now)
    )


def expire_quotations(app: Crm) -> int:
    """Mark sent quotations whose ``valid_until`` has passed as expired; return how many."""
    now = utcnow()
    with app.transaction() as tx:
        result = tx.conn.execute(
            update(quotation)
            .where(quotation.c.status == "sent", quotation.c.valid_until < now.date())
            .values(status="expired", updated_at=now)
        )
    return int(result.rowcount)

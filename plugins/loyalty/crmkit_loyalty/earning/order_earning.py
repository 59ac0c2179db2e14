"""Points for an sfa order: spend and product-group rules on the net line amounts, times the
member's tier multiplier, rounded down once per order (docs/earning.md#orders).

The order is read from the sfa plugin's tables (``crmkit_sfa`` is imported only when the
plugin is loaded): lines keep the product group they had when the order was placed, so a
catalogue change later does not change what an order is worth.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from attrs import frozen
from sqlalchemy import select

from crmkit import Transaction
from crmkit_loyalty.earning.members import earning_member, is_customer, multiplier_of
from crmkit_loyalty.ledger import service as ledger
from crmkit_loyalty.programmes.model import Rule
from crmkit_loyalty.programmes.service import active_programmes, active_rules

SOURCE = "sfa.order"


def _plain(value: Decimal) -> str:
    """The number without trailing zeros, never in exponent form: ``1000``, ``39.95``."""
    return f"{value.normalize():f}"


@frozen
class OrderLine:
    product_group: str | None
    net: Decimal


@frozen
class RulePoints:
    """What one rule made of the order: the net amount it applied to and its points (before the
    tier multiplier, unrounded)."""

    rule_id: int
    name: str
    kind: str
    amount: Decimal
    points: Decimal


@frozen
class OrderPoints:
    points: int
    """What the order earns: at most the ledger's ``MAX_POINTS``."""
    multiplier: Decimal
    rules: tuple[RulePoints, ...]
    uncapped: int
    """What the rules made of it before the cap: more than ``points`` only when capped."""

    def details(self, number: str, currency: str) -> dict[str, Any]:
        capped = {"capped_from": self.uncapped} if self.uncapped > self.points else {}
        return {
            "order": number,
            "currency": currency,
            **capped,
            "multiplier": _plain(self.multiplier),
            "rules": [
                {
                    "rule_id": r.rule_id,
                    "name": r.name,
                    "kind": r.kind,
                    "amount": _plain(r.amount),
                    "points": _plain(r.points),
                }
                for r in self.rules
            ],
        }


def order_points(
    lines: Sequence[OrderLine],
    spend: Sequence[Rule],
    groups: Sequence[Rule],
    multiplier: Decimal,
) -> OrderPoints:
    """Each line earns under the product-group rules of its group, or else the spend rules;
    the sum, times ``multiplier``, is rounded down once, so that no line's fraction is lost.
    An order worth more than one ledger entry may hold earns that maximum (``MAX_POINTS``):
    refusing it would fail the event, and with it the order's points in every programme, on
    every retry."""
    amounts: dict[int, Decimal] = {}
    rules = {r.id: r for r in (*spend, *groups)}
    for line in lines:
        applying = [
            g for g in groups if line.product_group and g.product_group == line.product_group
        ]
        for rule in applying or spend:
            amounts[rule.id] = amounts.get(rule.id, Decimal(0)) + line.net
    earned = tuple(
        RulePoints(
            rule_id=rule_id,
            name=rules[rule_id].name,
            kind=rules[rule_id].kind,
            amount=amount,
            points=amount * (rules[rule_id].points_per_unit or Decimal(0)),
        )
        for rule_id, amount in sorted(amounts.items())
    )
    total = sum((r.points for r in earned), Decimal(0)) * multiplier
    uncapped = int(total.to_integral_value(rounding=ROUND_FLOOR))
    return OrderPoints(min(uncapped, ledger.MAX_POINTS), multiplier, earned, uncapped)


def earn_for_order(tx: Transaction, order_id: int) -> int:
    """Earn for the order in every active programme of its currency; the entries made (none
    when it earned already: an event delivered twice)."""
    from crmkit_sfa import order_line_table as order_line
    from crmkit_sfa import order_table as order

    placed = tx.conn.execute(
        select(order.c.number, order.c.party_id, order.c.currency, order.c.placed_at).where(
            order.c.id == order_id
        )
    ).first()
    if placed is None:
        return 0
    lines = [
        OrderLine(row.product_group, Decimal(row.net))
        for row in tx.conn.execute(
            select(order_line.c.product_group, order_line.c.net)
            .where(order_line.c.order_id == order_id)
            .order_by(order_line.c.position)
        )
    ]
    on = placed.placed_at.date()
    # Placing an order makes its party a customer; one erased meanwhile is enrolled nowhere.
    enrol = is_customer(tx, placed.party_id)
    made = 0
    for programme in active_programmes(tx.conn):
        if programme.currency != placed.currency:
            continue
        spend = active_rules(tx.conn, programme.id, "spend", on)
        groups = active_rules(tx.conn, programme.id, "product_group", on)
        if not spend and not groups:
            continue
        found = earning_member(tx, programme, placed.party_id, enrol=enrol)
        if found is None:
            continue
        computed = order_points(lines, spend, groups, multiplier_of(tx, found.tier_id))
        if computed.points <= 0:
            continue
        entry = ledger.earn(
            tx,
            found.id,
            computed.points,
            source=SOURCE,
            reference=str(order_id),
            rule_id=computed.rules[0].rule_id if len(computed.rules) == 1 else None,
            description=f"Order {placed.number}",
            details=computed.details(placed.number, placed.currency),
        )
        made += entry is not None
    return made

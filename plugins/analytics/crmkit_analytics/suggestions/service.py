"""Computing the rules from purchases, and what they suggest for a party.

A suggestion is never a product the party already bought (any purchase on record, any time).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, Select, delete, insert, select

from crmkit import Actor, Crm, seen_party_ids, utcnow
from crmkit_analytics.suggestions.rules import Rule, Thresholds, association_rules
from crmkit_analytics.suggestions.settings import SuggestionsSettings
from crmkit_analytics.suggestions.tables import rule
from crmkit_analytics.transactions.reading import purchase_arrays
from crmkit_analytics.transactions.tables import purchase

INSERT_BATCH = 5_000


@frozen
class Suggestion:
    """A product to offer a party, and the rule that speaks for it."""

    product: str
    because_of: str
    """A product the party bought."""
    support: float
    confidence: float
    lift: float
    score: float
    """lift times confidence: suggestions are ranked by it."""
    reason: str


def settings_of(app: Crm) -> SuggestionsSettings:
    found: SuggestionsSettings = app.settings_of["analytics"].suggestions
    return found


def thresholds_of(settings: SuggestionsSettings) -> Thresholds:
    return Thresholds(
        min_support=settings.min_support,
        min_customers=settings.min_customers,
        min_confidence=settings.min_confidence,
        min_lift=settings.min_lift,
        max_rules_per_product=settings.max_rules_per_product,
    )


def compute_rules(conn: Connection, settings: SuggestionsSettings) -> list[Rule]:
    """The rules the purchases on record support now."""
    bought = purchase_arrays(conn)
    return association_rules(
        bought.party_id, bought.product, bought.products, thresholds_of(settings)
    )


def recompute(app: Crm) -> int:
    """Replace the stored rules by those the purchases support now; how many there are.

    Reading and replacing happen in one transaction: a crash leaves the old rules, and
    running it twice stores the same rules."""
    with app.transaction() as tx:
        return store_rules(tx.conn, settings_of(app))


def store_rules(conn: Connection, settings: SuggestionsSettings) -> int:
    """:func:`recompute` on the caller's connection (and transaction)."""
    rules = compute_rules(conn, settings)
    now = utcnow()
    conn.execute(delete(rule))
    rows = [
        {
            "antecedent": found.antecedent,
            "consequent": found.consequent,
            "support": found.support,
            "confidence": found.confidence,
            "lift": found.lift,
            "customers": found.customers,
            "computed_at": now,
        }
        for found in rules
    ]
    for start in range(0, len(rows), INSERT_BATCH):
        conn.execute(insert(rule), rows[start : start + INSERT_BATCH])
    return len(rules)


def stored_rules(conn: Connection, *, antecedent: str | None = None) -> list[Rule]:
    """The stored rules (of one antecedent when given), best first."""
    query = select(rule).order_by((rule.c.lift * rule.c.confidence).desc(), rule.c.id)
    if antecedent is not None:
        query = query.where(rule.c.antecedent == antecedent)
    return [
        Rule(
            antecedent=row.antecedent,
            consequent=row.consequent,
            support=row.support,
            confidence=row.confidence,
            lift=row.lift,
            customers=row.customers,
        )
        for row in conn.execute(query)
    ]


def owned_products(conn: Connection, party_id: int) -> set[str]:
    """Every product the party ever bought."""
    return set(
        conn.execute(
            select(purchase.c.product)
            .where(purchase.c.party_id == party_id, purchase.c.product.is_not(None))
            .distinct()
        ).scalars()
    )


def suggestions_for(conn: Connection, party_id: int, limit: int = 5) -> list[Suggestion]:
    """What to offer the party, best first; the caller has checked that the actor sees it.

    Each product is suggested once, for the best rule leading to it from something the party
    bought; nothing the party bought is suggested."""
    owned = owned_products(conn, party_id)
    if not owned:
        return []
    best: dict[str, Any] = {}
    rows = conn.execute(
        select(rule)
        .where(rule.c.antecedent.in_(sorted(owned)), rule.c.consequent.not_in(sorted(owned)))
        .order_by((rule.c.lift * rule.c.confidence).desc(), rule.c.consequent, rule.c.antecedent)
    )
    for row in rows:
        if row.consequent not in best:
            best[row.consequent] = row
            if len(best) >= limit:
                break
    return [
        Suggestion(
            product=row.consequent,
            because_of=row.antecedent,
            support=row.support,
            confidence=row.confidence,
            lift=row.lift,
            score=row.lift * row.confidence,
            reason=(
                f"bought {row.antecedent}; customers who bought {row.antecedent} "
                f"also bought {row.consequent}, lift {row.lift:.1f}"
            ),
        )
        for row in best.values()
    ]


def suggested_parties(product: str) -> Select[Any]:
    """The query of :func:`parties_with_suggestion` (one ``party_id`` column, distinct, no
    order), for a SQL condition such as a campaign segment's ``party_id IN (...)``: evaluated
    when the condition runs, so it follows the stored rules and purchases of that moment."""
    owners = select(purchase.c.party_id).where(purchase.c.product == product)
    antecedents = select(rule.c.antecedent).where(rule.c.consequent == product)
    return (
        select(purchase.c.party_id)
        .where(purchase.c.product.in_(antecedents), purchase.c.party_id.not_in(owners))
        .distinct()
    )


def parties_with_suggestion(
    conn: Connection,
    product: str,
    *,
    host: Any = None,
    actor: Actor | None = None,
    among: Collection[int] | None = None,
) -> list[int]:
    """The parties a stored rule would suggest ``product`` to, in id order: they bought an
    antecedent of a rule leading to ``product`` and never bought ``product`` itself.

    For a campaign segment. With ``host`` and ``actor``, only the parties the actor sees;
    with ``among``, only those ids."""
    query = suggested_parties(product).order_by(purchase.c.party_id)
    if actor is not None:
        if host is None:
            raise TypeError("parties_with_suggestion: an actor needs the host it is checked on")
        query = query.where(purchase.c.party_id.in_(seen_party_ids(host, actor)))
    if among is not None:
        query = query.where(purchase.c.party_id.in_(list(among)))
    return list(conn.execute(query).scalars())

"""A campaign's results: its members by status and the funnel per channel and variant,
costs against the budget, attributed revenue and ROI by model. Only members and
conversions of parties the reader sees count."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select

from crmkit import Actor, Crm, Transaction, party_table, require, seen_parties, sees_every_party
from crmkit_campaigns.campaigns.definition import get_campaign
from crmkit_campaigns.campaigns.tables import member, variant
from crmkit_campaigns.results.attribution import CENT, MODELS, Attributed, attributed
from crmkit_campaigns.results.costs import Cost, costs_of
from crmkit_campaigns.results.tables import response

FUNNEL = {
    "sent": member.c.sent_at,
    "delivered": member.c.delivered_at,
    "opened": member.c.opened_at,
    "clicked": member.c.clicked_at,
    "responded": member.c.responded_at,
    "converted": member.c.converted_at,
    "bounced": member.c.bounced_at,
    "unsubscribed": member.c.unsubscribed_at,
}
"""Each step after ``targeted`` and the milestone that says a member reached it."""
RATIO = Decimal("0.0001")
NO_CHANNEL = "none"


def campaign_results(tx: Transaction, campaign_id: int) -> dict[str, Any]:
    """The campaign's results as JSON values (``campaigns:results.read``); NotFound if none."""
    require(tx.hooks, tx.actor, "campaigns:results.read", conn=tx.conn)
    found = get_campaign(tx.conn, campaign_id)
    costs = costs_of(tx.conn, campaign_id)
    credit = attributed(tx, [campaign_id])
    spent = sum((c.money.amount for c in costs if c.money.currency == found.currency), Decimal(0))
    return {
        "campaign": {
            "id": found.id,
            "name": found.name,
            "status": found.status,
            "currency": found.currency,
        },
        "members": _by_status(tx, campaign_id),
        "funnel": _funnel(tx, campaign_id),
        "responses": _responses(tx, campaign_id),
        "budget": None if found.budget is None else str(found.budget),
        "spent": str(spent.quantize(CENT)),
        "over_budget": found.budget is not None and spent > found.budget,
        "costs": [c.as_json() for c in costs],
        "conversions": sum(a.conversions for a in credit),
        "revenue": _revenue(credit, costs),
        "by_channel": _by_channel(credit, costs),
    }


def read_results(crm: Crm, actor: Actor, campaign_id: int) -> dict[str, Any]:
    """:func:`campaign_results` on a read connection, for the API and the page."""
    with crm.read() as conn:
        # Nothing is written: no write transaction, so that reading results never waits for
        # the send and tracking jobs' writes (SQLite has one writer).
        return campaign_results(
            Transaction(conn=conn, hooks=crm.host, actor=actor, app=crm), campaign_id
        )


def _seen(tx: Transaction, query: Any) -> Any:
    if sees_every_party(tx.hooks, tx.actor):
        return query
    return query.join(party_table, party_table.c.id == member.c.party_id).where(
        seen_parties(tx.hooks, tx.actor)
    )


def _by_status(tx: Transaction, campaign_id: int) -> dict[str, Any]:
    query = _seen(
        tx,
        select(member.c.status, func.count().label("n")).where(member.c.campaign_id == campaign_id),
    ).group_by(member.c.status)
    by_status = {r.status: r.n for r in tx.conn.execute(query)}
    return {"total": sum(by_status.values()), "by_status": by_status}


def _funnel(tx: Transaction, campaign_id: int) -> list[dict[str, Any]]:
    """One row per channel and variant, then the whole campaign (channel and variant null)."""
    counts = [func.count().label("targeted")] + [
        func.sum(case((milestone.is_not(None), 1), else_=0)).label(step)
        for step, milestone in FUNNEL.items()
    ]
    query = _seen(
        tx,
        select(member.c.channel, member.c.variant_id, variant.c.label, *counts)
        .select_from(member)
        .outerjoin(variant, variant.c.id == member.c.variant_id)
        .where(member.c.campaign_id == campaign_id),
    ).group_by(member.c.channel, member.c.variant_id, variant.c.label)
    rows = [
        {
            "channel": r.channel,
            "variant_id": r.variant_id,
            "variant": r.label,
            **_steps({"targeted": r.targeted, **{s: int(getattr(r, s) or 0) for s in FUNNEL}}),
        }
        for r in tx.conn.execute(query.order_by(member.c.channel, member.c.variant_id))
    ]
    total = {s: sum(r[s] for r in rows) for s in ("targeted", *FUNNEL)}
    return [*rows, {"channel": None, "variant_id": None, "variant": None, **_steps(total)}]


def _steps(counts: dict[str, int]) -> dict[str, Any]:
    """The counts with their rates: ``sent`` of the targeted members, the rest of the sent ones."""
    sent = counts["sent"]
    rates = {"sent": _ratio(sent, counts["targeted"])}
    rates.update({s: _ratio(counts[s], sent) for s in FUNNEL if s != "sent"})
    return {**counts, "rates": rates}


def _ratio(part: int | Decimal, whole: int | Decimal) -> str | None:
    if not whole:
        return None
    return str((Decimal(part) / Decimal(whole)).quantize(RATIO))


def _responses(tx: Transaction, campaign_id: int) -> int:
    query = select(func.count()).select_from(response).where(response.c.campaign_id == campaign_id)
    if not sees_every_party(tx.hooks, tx.actor):
        query = query.join(party_table, party_table.c.id == response.c.party_id).where(
            seen_parties(tx.hooks, tx.actor)
        )
    return int(tx.conn.execute(query).scalar_one())


def _revenue(credit: Iterable[Attributed], costs: Iterable[Cost]) -> list[dict[str, Any]]:
    """Per currency: the costs, revenue by model and ROI by model."""
    revenue: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(MODELS, Decimal(0)))
    spent: dict[str, Decimal] = defaultdict(Decimal)
    for a in credit:
        if a.currency is not None:
            for model in MODELS:
                revenue[a.currency][model] += a.revenue[model]
    for c in costs:
        spent[c.money.currency] += c.money.amount
    return [
        {
            "currency": currency,
            "cost": str(spent[currency].quantize(CENT)),
            "revenue": {m: str(revenue[currency][m].quantize(CENT)) for m in MODELS},
            "roi": {m: _roi(revenue[currency][m], spent[currency]) for m in MODELS},
        }
        for currency in sorted(set(revenue) | set(spent))
    ]


def _by_channel(credit: list[Attributed], costs: list[Cost]) -> list[dict[str, Any]]:
    """:func:`_revenue` per channel; a cost of the whole campaign belongs to no channel."""
    channels = {a.channel or NO_CHANNEL for a in credit} | {c.channel or NO_CHANNEL for c in costs}
    return [
        {
            "channel": channel,
            "currencies": _revenue(
                [a for a in credit if (a.channel or NO_CHANNEL) == channel],
                [c for c in costs if (c.channel or NO_CHANNEL) == channel],
            ),
        }
        for channel in sorted(channels)
    ]


def _roi(revenue: Decimal, cost: Decimal) -> str | None:
    """(revenue - cost) / cost; None without a cost."""
    return _ratio(revenue - cost, cost)

"""The plugin's part of ``crmkit demo``: a catalogue, deals in every stage, quotes, orders, targets.

Written in bulk by ``seed_demo`` for the parties and users the kernel seeded:
opportunities of customers and of prospects being worked on, owned by the
party's owner, with that owner's team and the party's territory; their stage
history; done activities on the party's timeline and planned ones, some
overdue; quotations (some revised) of the later stages, orders with ERP
statuses for the won deals; and targets of every salesperson and team for the
current quarter.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from attrs import define, frozen
from sqlalchemy import Connection, and_, bindparam, insert, select, update

from crmkit import (
    Crm,
    contact_point_table,
    interaction_table,
    party_table,
    user_table,
)
from crmkit_sfa.pipeline.activities import CHANNELS
from crmkit_sfa.pipeline.pipelines import configured
from crmkit_sfa.pipeline.settings import Pipeline
from crmkit_sfa.pipeline.tables import activity, opportunity, stage_change
from crmkit_sfa.planning.periods import period_of
from crmkit_sfa.planning.tables import target
from crmkit_sfa.quotes.money import LineAmounts, line_amounts, totals
from crmkit_sfa.quotes.tables import (
    order,
    order_line,
    price_list,
    price_list_item,
    product,
    quotation,
    quotation_line,
)

CUSTOMER_SHARE = 0.35
"""Customers with an opportunity."""
PROSPECT_SHARE = 0.4
"""Prospects being worked on (contacted, not closed) with an opportunity."""
TAX_RATE = Decimal("19.00")
VOLUME_TIER = (Decimal(10), Decimal("0.95"))
"""From this quantity on, this share of the list price."""
LOST_REASONS = ("Price too high", "Went with a competitor", "Project postponed", "No budget")
DONE_ACTIVITIES = (
    ("call", "Needs analysis call"),
    ("meeting", "Presentation of the offer"),
    ("visit", "Visit on site"),
    ("call", "Clarified the technical questions"),
)
MEETING_LENGTH = timedelta(hours=1)
OUTCOMES = ("positive", "follow-up agreed", "waiting for their decision")
PLANNED_ACTIVITIES = (
    ("call", "Check the decision timeline"),
    ("meeting", "Meeting with the buying team"),
    ("task", "Prepare the reference list"),
)

# code, name, group, unit, list price (EUR)
PRODUCTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("PMP-100", "Circulation pump CP 100", "pumps", "pc", "420.00"),
    ("PMP-250", "Circulation pump CP 250", "pumps", "pc", "780.00"),
    ("PMP-HE", "High-efficiency pump HE 40", "pumps", "pc", "1350.00"),
    ("VLV-DN25", "Ball valve DN 25", "valves", "pc", "38.50"),
    ("VLV-DN50", "Ball valve DN 50", "valves", "pc", "96.00"),
    ("VLV-CTRL", "Control valve with actuator", "valves", "pc", "640.00"),
    ("CTL-BASIC", "Controller Basic", "controls", "pc", "290.00"),
    ("CTL-PRO", "Controller Pro with remote access", "controls", "pc", "890.00"),
    ("SNS-TEMP", "Temperature sensor", "controls", "pc", "45.00"),
    ("SRV-INST", "Installation (per hour)", "services", "h", "95.00"),
    ("SRV-MAINT", "Maintenance contract (per year)", "services", "yr", "1200.00"),
    ("SRV-TRAIN", "Operator training (per day)", "services", "d", "850.00"),
)


@frozen
class CatalogueItem:
    """A demo product with its list price."""

    id: int
    code: str
    name: str
    group: str
    unit: str
    price: Decimal


@frozen
class Line:
    """A product in a deal: how many, at what price, with what discount (percent)."""

    item: CatalogueItem
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal


@frozen
class Account:
    """A party a deal is made with: its owner, the owner's team, the party's territory."""

    id: int
    role: str
    owner_id: int
    team: str | None
    territory: str | None
    source: str | None


@define
class Deal:
    """An opportunity being planned: where it stands and how it got there."""

    party: Account
    status: str
    stages: list[tuple[str, datetime]]
    """The stages entered, with when, in order."""
    created_at: datetime
    lines: list[Line]
    closed_at: datetime | None = None
    id: int = 0

    @property
    def stage(self) -> str:
        return self.stages[-1][0]


def seed_demo(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    """Fill the plugin's tables for the demo (the ``seed_demo`` hook)."""
    pipeline = configured(app)[0]
    currency = app.settings_of["sfa"].pipeline.default_currency
    validity = timedelta(days=app.settings_of["sfa"].quotes.validity_days)
    catalogue, list_id = _catalogue(conn, now, currency)
    _store_targets(conn, rng, now, currency)
    deals = [
        _deal(rng, now, pipeline, p, catalogue)
        for p in _parties(conn)
        if rng.random() < (CUSTOMER_SHARE if p.role == "customer" else PROSPECT_SHARE)
    ]
    if not deals:
        return
    _store_deals(conn, rng, pipeline, deals, currency)
    _store_activities(conn, rng, now, pipeline, deals)
    _store_quotes(conn, rng, now, pipeline, deals, currency, list_id, validity)


def _catalogue(conn: Connection, now: datetime, currency: str) -> tuple[list[CatalogueItem], int]:
    """The products and this year's price list (with a volume tier); the items and the list's id."""
    ids = conn.scalars(
        insert(product).returning(product.c.id, sort_by_parameter_order=True),
        [
            {
                "code": code,
                "name": name,
                "product_group": group,
                "unit": unit,
                "tax_rate": TAX_RATE,
                "active": True,
                "created_at": now - timedelta(days=400),
                "updated_at": now - timedelta(days=400),
            }
            for code, name, group, unit, _ in PRODUCTS
        ],
    ).all()
    items = [
        CatalogueItem(pid, code, name, group, unit, Decimal(price))
        for pid, (code, name, group, unit, price) in zip(ids, PRODUCTS, strict=True)
    ]
    list_id = conn.execute(
        insert(price_list)
        .values(
            name=f"List prices {now.year}",
            currency=currency,
            valid_from=date(now.year, 1, 1),
            valid_to=date(now.year, 12, 31),
            created_at=now - timedelta(days=400),
        )
        .returning(price_list.c.id)
    ).scalar_one()
    minimum, share = VOLUME_TIER
    conn.execute(
        insert(price_list_item),
        [
            {"price_list_id": list_id, "product_id": i.id, "min_quantity": q, "unit_price": p}
            for i in items
            for q, p in ((Decimal(1), i.price), (minimum, (i.price * share).quantize(i.price)))
        ],
    )
    return items, list_id


def _parties(conn: Connection) -> list[Account]:
    """Customers, and prospects contacted and still worked on, with their owner's team and territory."""
    address = contact_point_table.c
    rows = conn.execute(
        select(
            party_table.c.id,
            party_table.c.role,
            party_table.c.owner_id,
            party_table.c.source,
            user_table.c.team,
            address.key,
        )
        .join(user_table, user_table.c.id == party_table.c.owner_id)
        .outerjoin(
            contact_point_table,
            and_(
                address.party_id == party_table.c.id,
                address.kind == "address",
                address.position == 0,
            ),
        )
        .where(
            (party_table.c.role == "customer")
            | (
                party_table.c.status.in_(("working", "qualified"))
                & party_table.c.first_contacted_at.is_not(None)
            ),
            user_table.c.role.in_(("sales", "manager")),
        )
        .order_by(party_table.c.id)
    )
    return [Account(r.id, r.role, r.owner_id, r.team, r.key, r.source) for r in rows]


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = max((end - start).total_seconds(), 0)
    return (start + timedelta(seconds=rng.uniform(0, seconds))).replace(microsecond=0)


def _deal(
    rng: random.Random,
    now: datetime,
    pipeline: Pipeline,
    party: Account,
    catalogue: Sequence[CatalogueItem],
) -> Deal:
    keys = [s.key for s in pipeline.stages]
    roll = rng.random()
    status = "open"
    if party.role == "customer" and roll < 0.35:
        status = "won"
    elif roll > 0.85:
        status = "lost"
    if status == "open":
        # Early stages hold more deals than late ones.
        reached = rng.choices(range(len(keys)), weights=range(len(keys) + 3, 3, -1))[0]
        created = now - timedelta(days=rng.uniform(3, 150))
        end = now
    else:
        reached = len(keys) - 1 if status == "won" else rng.randrange(len(keys))
        created = now - timedelta(days=rng.uniform(30, 420))
        end = min(created + timedelta(days=rng.uniform(14, 120)), now - timedelta(hours=4))
    moments = sorted(_moment(rng, created, end) for _ in range(reached))
    stages = list(zip(keys, [created.replace(microsecond=0), *moments], strict=False))
    lines = [
        Line(
            item,
            Decimal(rng.choice((1, 2, 4, 10, 20, 50) if item.unit == "pc" else (4, 8, 16, 1))),
            item.price,
            Decimal(rng.choice((0, 0, 5, 10))),
        )
        for item in rng.sample(list(catalogue), rng.randint(1, 3))
    ]
    closed = end if status != "open" else None
    return Deal(party, status, stages, created.replace(microsecond=0), lines, closed)


def _net(lines: Sequence[Line], currency: str) -> Decimal:
    return totals(
        (line_amounts(x.quantity, x.unit_price, x.discount, TAX_RATE, currency) for x in lines),
        currency,
    ).net


def _store_deals(
    conn: Connection, rng: random.Random, pipeline: Pipeline, deals: list[Deal], currency: str
) -> None:
    probability = {s.key: s.probability for s in pipeline.stages}
    rows = []
    for deal in deals:
        entered = deal.stages[-1][1]
        close_on = (
            deal.closed_at.date()
            if deal.closed_at
            else (entered + timedelta(days=rng.uniform(-10, 90))).date()
        )
        rows.append(
            {
                "party_id": deal.party.id,
                "pipeline": pipeline.key,
                "stage": deal.stage,
                "status": deal.status,
                "title": f"{deal.lines[0].item.name} and more"
                if len(deal.lines) > 1
                else deal.lines[0].item.name,
                "amount": _net(deal.lines, currency),
                "currency": currency,
                "probability": {"won": 100, "lost": 0}.get(deal.status, probability[deal.stage]),
                "expected_close": close_on,
                "owner_id": deal.party.owner_id,
                "territory": deal.party.territory,
                "team": deal.party.team,
                "source": deal.party.source or "existing customer",
                "lost_reason": rng.choice(LOST_REASONS) if deal.status == "lost" else None,
                "products": [x.item.code for x in deal.lines],
                "contacts": [],
                "milestones": [],
                "stage_entered_at": entered,
                "closed_at": deal.closed_at,
                "custom": {},
                "version": len(deal.stages) + (deal.status != "open"),
                "created_at": deal.created_at,
                "updated_at": deal.closed_at or entered,
            }
        )
    ids = conn.scalars(
        insert(opportunity).returning(opportunity.c.id, sort_by_parameter_order=True), rows
    ).all()
    for deal, deal_id in zip(deals, ids, strict=True):
        deal.id = deal_id
    conn.execute(
        insert(stage_change),
        [
            {
                "opportunity_id": deal.id,
                "from_stage": deal.stages[i - 1][0] if i else None,
                "to_stage": key,
                "changed_by": deal.party.owner_id,
                "changed_at": moment,
            }
            for deal in deals
            for i, (key, moment) in enumerate(deal.stages)
        ],
    )


def _activity_row(deal: Deal, kind: str, subject: str, **values: Any) -> dict[str, Any]:
    if kind == "meeting":  # a meeting has a start (as the service requires): its due time
        values.setdefault("starts_at", values["due_at"])
        values.setdefault("ends_at", values["due_at"] + MEETING_LENGTH)
    return {
        "party_id": deal.party.id,
        "opportunity_id": deal.id,
        "kind": kind,
        "subject": subject,
        "details": None,
        "owner_id": deal.party.owner_id,
        "due_at": None,
        "starts_at": None,
        "ends_at": None,
        "location": None,
        "outcome": None,
        "completed_at": None,
        "playbook_step": None,
        "ical_uid": None,
        "interaction_id": None,
        **values,
        "version": 1 if values["status"] == "planned" else 2,
    }


def _done(rng: random.Random, deal: Deal, now: datetime) -> Iterator[dict[str, Any]]:
    end = deal.closed_at or now
    for _ in range(rng.randint(1, 3)):
        kind, subject = rng.choice(DONE_ACTIVITIES)
        done_at = _moment(rng, deal.created_at, end)
        yield _activity_row(
            deal,
            kind,
            subject,
            status="done",
            due_at=done_at,
            outcome=rng.choice(OUTCOMES),
            completed_at=done_at,
            created_at=deal.created_at,
            updated_at=done_at,
        )


def _planned(
    rng: random.Random, deal: Deal, now: datetime, pipeline: Pipeline
) -> Iterator[dict[str, Any]]:
    """The current stage's playbook (due from entering it), else one planned step; some overdue."""
    stage = pipeline.stage(deal.stage)
    assert stage is not None
    entered = deal.stages[-1][1]
    steps: list[tuple[str, str, datetime, str | None]] = [
        (s.kind, s.subject, entered + timedelta(days=s.due_days), f"{stage.key}.{s.key}")
        for s in stage.playbook
    ]
    if not steps:
        kind, subject = rng.choice(PLANNED_ACTIVITIES)
        due = (now + timedelta(days=rng.uniform(-5, 14))).replace(microsecond=0)
        steps = [(kind, subject, due, None)]
    for kind, subject, due, step in steps:
        yield _activity_row(
            deal,
            kind,
            subject,
            status="planned",
            due_at=due,
            playbook_step=step,
            created_at=entered,
            updated_at=entered,
        )


def _store_activities(
    conn: Connection, rng: random.Random, now: datetime, pipeline: Pipeline, deals: list[Deal]
) -> None:
    """Done activities with their timeline entries (source ``sfa``), and the open deals' planned ones."""
    done = [row for deal in deals for row in _done(rng, deal, now)]
    entries = [
        {
            "party_id": row["party_id"],
            "channel": CHANNELS[row["kind"]],
            "direction": "internal" if row["kind"] in ("task", "note") else "outbound",
            "occurred_at": row["completed_at"],
            "subject": row["subject"],
            "summary": None,
            "outcome": row["outcome"],
            "owner_id": row["owner_id"],
            "source": "sfa",
            "refs": [],
            "custom": {},
            "created_at": row["completed_at"],
        }
        for row in done
    ]
    entry_ids = conn.scalars(
        insert(interaction_table).returning(interaction_table.c.id, sort_by_parameter_order=True),
        entries,
    ).all()
    for row, entry_id in zip(done, entry_ids, strict=True):
        row["interaction_id"] = entry_id
    planned = [
        row for deal in deals if deal.status == "open" for row in _planned(rng, deal, now, pipeline)
    ]
    activity_ids = conn.scalars(
        insert(activity).returning(activity.c.id, sort_by_parameter_order=True), done + planned
    ).all()
    # The timeline entries point back at their activity and opportunity, as completing one does.
    conn.execute(
        update(interaction_table)
        .where(interaction_table.c.id == bindparam("entry_id"))
        .values(refs=bindparam("entry_refs", type_=interaction_table.c.refs.type)),
        [
            {
                "entry_id": row["interaction_id"],
                "entry_refs": [
                    {"kind": "sfa.activity", "id": str(activity_id)},
                    {"kind": "sfa.opportunity", "id": str(row["opportunity_id"])},
                ],
            }
            for row, activity_id in zip(done, activity_ids[: len(done)], strict=True)
        ],
    )


def _quote_lines(deal: Deal, currency: str, discount: Decimal) -> list[dict[str, Any]]:
    lines = []
    for position, x in enumerate(deal.lines, start=1):
        given = max(x.discount, discount)
        amounts = line_amounts(x.quantity, x.unit_price, given, TAX_RATE, currency)
        lines.append(
            {
                "position": position,
                "product_id": x.item.id,
                "description": x.item.name,
                "quantity": x.quantity,
                "unit_price": x.unit_price,
                "discount": given,
                "tax_rate": TAX_RATE,
                "net": amounts.net,
                "tax": amounts.tax,
                "gross": amounts.gross,
                "requested_date": None,
            }
        )
    return lines


def _quote_row(
    deal: Deal, lines: list[dict[str, Any]], currency: str, list_id: int, **values: Any
) -> dict[str, Any]:
    summed = totals((LineAmounts(x["net"], x["tax"], x["gross"]) for x in lines), currency)
    return {
        "opportunity_id": deal.id,
        "party_id": deal.party.id,
        "owner_id": deal.party.owner_id,
        "price_list_id": list_id,
        "currency": currency,
        "total_net": summed.net,
        "total_tax": summed.tax,
        "total_gross": summed.gross,
        "terms": "Payable within 30 days of the invoice date.",
        "decided_at": None,
        **values,
    }


def _quote_status(deal: Deal, valid_until: datetime, now: datetime) -> str:
    """Accepted when the deal was won, rejected when lost, else sent until it expires."""
    if deal.status == "won":
        return "accepted"
    if deal.status == "lost":
        return "rejected"
    return "sent" if valid_until.date() >= now.date() else "expired"


def _store_quotes(
    conn: Connection,
    rng: random.Random,
    now: datetime,
    pipeline: Pipeline,
    deals: list[Deal],
    currency: str,
    list_id: int,
    validity: timedelta,
) -> None:
    """Quotations of the deals that reached "quotation sent" (some revised), orders of the won ones."""
    quoted_from = pipeline.position("quotation_sent") if pipeline.stage("quotation_sent") else 0
    quoted = [d for d in deals if len(d.stages) > quoted_from]
    if not quoted:
        return
    firsts, revisions = [], []
    for deal in quoted:
        sent = deal.stages[quoted_from][1]
        # A deal won after its first quotation ran out was won on a revision.
        won_late = deal.status == "won" and (deal.closed_at or now) > sent + validity
        revised = won_late or rng.random() < 0.3
        lines = _quote_lines(deal, currency, Decimal(0))
        firsts.append(
            (
                deal,
                lines,
                _quote_row(
                    deal,
                    lines,
                    currency,
                    list_id,
                    version=1,
                    status="superseded" if revised else _quote_status(deal, sent + validity, now),
                    valid_until=(sent + validity).date(),
                    created_at=sent,
                    updated_at=sent,
                    sent_at=sent,
                    decided_at=None if revised else deal.closed_at,
                ),
            )
        )
        if revised:
            decided = deal.closed_at or now
            again = _moment(rng, max(sent, decided - validity), decided)
            better = _quote_lines(deal, currency, Decimal(rng.choice((5, 8, 12))))
            revisions.append(
                (
                    deal,
                    better,
                    _quote_row(
                        deal,
                        better,
                        currency,
                        list_id,
                        version=2,
                        status=_quote_status(deal, again + validity, now),
                        valid_until=(again + validity).date(),
                        created_at=again,
                        updated_at=again,
                        sent_at=again,
                        decided_at=deal.closed_at,
                    ),
                )
            )
    first_ids = conn.scalars(
        insert(quotation).returning(quotation.c.id, sort_by_parameter_order=True),
        [{**row, "number": None, "supersedes_id": None} for _, _, row in firsts],
    ).all()
    # A quotation's number comes from the id of its first version, as when one is drafted.
    number_of = {
        deal.id: (f"Q-{qid:06d}", qid) for (deal, _, _), qid in zip(firsts, first_ids, strict=True)
    }
    conn.execute(
        update(quotation)
        .where(quotation.c.id == bindparam("quotation_id"))
        .values(number=bindparam("quotation_number")),
        [{"quotation_id": qid, "quotation_number": n} for n, qid in number_of.values()],
    )
    revision_ids = (
        conn.scalars(
            insert(quotation).returning(quotation.c.id, sort_by_parameter_order=True),
            [
                {**row, "number": number_of[deal.id][0], "supersedes_id": number_of[deal.id][1]}
                for deal, _, row in revisions
            ],
        ).all()
        if revisions
        else []
    )
    stored = [
        (qid, deal, lines, row)
        for qid, (deal, lines, row) in [
            *zip(first_ids, firsts, strict=True),
            *zip(revision_ids, revisions, strict=True),
        ]
    ]
    conn.execute(
        insert(quotation_line),
        [{"quotation_id": qid, **line} for qid, _, lines, _ in stored for line in lines],
    )
    _store_orders(
        conn,
        rng,
        now,
        [(qid, d, lines, row) for qid, d, lines, row in stored if row["status"] == "accepted"],
        number_of,
    )


def _erp_status(placed: datetime, now: datetime) -> str:
    """How far the ERP got with an order placed at ``placed``."""
    age = now - placed
    if age < timedelta(days=2):
        return "sent"
    if age < timedelta(days=10):
        return "confirmed"
    if age < timedelta(days=30):
        return "delivered"
    return "invoiced"


def _store_orders(
    conn: Connection,
    rng: random.Random,
    now: datetime,
    accepted: Sequence[tuple[int, Deal, list[dict[str, Any]], dict[str, Any]]],
    number_of: dict[int, tuple[str, int]],
) -> None:
    if not accepted:
        return
    rows = []
    for qid, deal, _, quote in accepted:
        assert deal.closed_at is not None
        rows.append(
            {
                "number": number_of[deal.id][0].replace("Q-", "SO-", 1),
                "quotation_id": qid,
                "opportunity_id": deal.id,
                "party_id": deal.party.id,
                "owner_id": deal.party.owner_id,
                "currency": quote["currency"],
                "total_net": quote["total_net"],
                "total_tax": quote["total_tax"],
                "total_gross": quote["total_gross"],
                "placed_at": deal.closed_at,
                "erp_status": _erp_status(deal.closed_at, now),
                "erp_reference": f"ERP-{rng.randint(4_000_000, 4_999_999)}",
                "erp_updated_at": min(deal.closed_at + timedelta(hours=rng.uniform(1, 72)), now),
            }
        )
    order_ids = conn.scalars(
        insert(order).returning(order.c.id, sort_by_parameter_order=True), rows
    ).all()
    by_id = {x.id: x for _, deal, _, _ in accepted for x in [i.item for i in deal.lines]}
    conn.execute(
        insert(order_line),
        [
            {
                "order_id": oid,
                **line,
                "product_code": by_id[line["product_id"]].code,
                "product_group": by_id[line["product_id"]].group,
                "unit": by_id[line["product_id"]].unit,
            }
            for oid, (_, _, lines, _) in zip(order_ids, accepted, strict=True)
            for line in lines
        ],
    )


def _store_targets(conn: Connection, rng: random.Random, now: datetime, currency: str) -> None:
    """Order-intake targets of the current quarter for every salesperson and sales team."""
    quarter = period_of("quarter", now.date())
    sellers = conn.execute(
        select(user_table.c.id, user_table.c.team, user_table.c.manager_id)
        .where(user_table.c.role == "sales", user_table.c.active.is_(True))
        .order_by(user_table.c.id)
    ).all()
    rows = []
    teams: dict[str, tuple[Decimal, int | None]] = {}
    for seller in sellers:
        value = Decimal(rng.randrange(60, 160) * 1000)
        rows.append(("user", str(seller.id), value, seller.id))
        if seller.team:
            total, _ = teams.get(seller.team, (Decimal(0), None))
            teams[seller.team] = (total + value, seller.manager_id)
    rows += [("team", team, total, manager) for team, (total, manager) in sorted(teams.items())]
    if not rows:
        return
    conn.execute(
        insert(target),
        [
            {
                "scope": scope,
                "scope_key": key,
                "period_kind": quarter.kind,
                "period_start": quarter.start,
                "measure": "amount",
                "value": value,
                "currency": currency,
                "owner_id": owner,
                "version": 1,
                "created_at": quarter.starts_at,
                "updated_at": quarter.starts_at,
            }
            for scope, key, value, owner in rows
        ],
    )

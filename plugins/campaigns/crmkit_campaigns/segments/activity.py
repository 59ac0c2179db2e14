"""Criteria over what happened with a party: its consent, its interactions, its engagement with
campaigns, its orders (sfa)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, not_, select

from crmkit import consent_table, interaction_table, party_table, visible
from crmkit_campaigns.campaigns.tables import campaign, member
from crmkit_campaigns.segments import values
from crmkit_campaigns.segments.language import Builtin, Compilation, Leaf

CHANNELS = ("email", "sms", "phone", "post")
CONSENT_STATUSES = ("granted", "withdrawn", "pending", "none")
"""The consent in force for a purpose on a channel; ``none``: never recorded."""
COUNT_OPS = ("any", "none", "at_least", "at_most")
DIRECTIONS = ("inbound", "outbound")
PERIOD_OPTIONS = {"within_days": "days", "older_than_days": "days"}
INTERACTION_OPTIONS = {
    "channel": "text",
    "outcome": "text",
    "source": "text",
    "direction": "choice:inbound|outbound",
    **PERIOD_OPTIONS,
}
ORDER_OPTIONS = {"product_group": "text", "min_amount": "number", **PERIOD_OPTIONS}
ENGAGEMENT_EVENTS = (
    "sent",
    "delivered",
    "opened",
    "clicked",
    "responded",
    "converted",
    "bounced",
    "unsubscribed",
)
"""The milestones of a campaign member (``<event>_at`` of campaigns_member)."""
ENGAGEMENT_OPTIONS = {
    "event": f"choice:{'|'.join(ENGAGEMENT_EVENTS)}",
    "channel": "choice:email|sms",
    "campaign": "number",
    **PERIOD_OPTIONS,
}


def consent_condition(c: Compilation, leaf: Leaf) -> ColumnElement[bool]:
    """``consent``: the status in force for ``with.purpose`` on ``with.channel`` (email)."""
    op = values.operator(leaf, ("eq", "ne"))
    options = values.options(leaf, {"purpose": "text", "channel": "choice:email|sms|phone|post"})
    purpose = values.text(leaf, options.get("purpose"), "with.purpose")
    channel = values.choice(leaf, CHANNELS, options.get("channel", "email"), "with.channel")
    status = values.choice(leaf, CONSENT_STATUSES)
    row = consent_table.alias("segment_consent")
    later = consent_table.alias("segment_consent_later")
    same = and_(
        row.c.party_id == party_table.c.id, row.c.purpose == purpose, row.c.channel == channel
    )
    if status == "none":
        positive = not_(exists().where(same))
    else:
        # The history is append-only: the row in force is the one no later row follows.
        superseded = exists().where(
            later.c.party_id == row.c.party_id,
            later.c.purpose == row.c.purpose,
            later.c.channel == row.c.channel,
            later.c.id > row.c.id,
        )
        positive = exists().where(same, row.c.status == status, not_(superseded))
    return positive if op == "eq" else not_(positive)


def counted(
    c: Compilation, leaf: Leaf, source: Any, conditions: list[ColumnElement[bool]], key: Any
) -> ColumnElement[bool]:
    """The leaf's count operator over the rows of ``source`` meeting ``conditions``."""
    op = values.operator(leaf, COUNT_OPS)
    if op in ("any", "none"):
        values.no_value(leaf, op)
    if op == "any":
        return exists().select_from(source).where(*conditions)
    if op == "none":
        return not_(exists().select_from(source).where(*conditions))
    minimum = 1 if op == "at_least" else 0
    number = values.whole_number(leaf, leaf.value, "value", minimum=minimum)
    count = select(func.count(func.distinct(key))).select_from(source).where(*conditions)
    found = count.scalar_subquery()
    return found >= number if op == "at_least" else found <= number


def period(
    c: Compilation, leaf: Leaf, options: Any, column: ColumnElement[Any]
) -> list[ColumnElement[bool]]:
    """``within_days`` and ``older_than_days`` of ``options`` as conditions on ``column``."""
    conditions = []
    if "within_days" in options:
        conditions.append(
            column >= values.days_ago(leaf, c.now, options["within_days"], "with.within_days")
        )
    if "older_than_days" in options:
        conditions.append(
            column
            < values.days_ago(leaf, c.now, options["older_than_days"], "with.older_than_days")
        )
    return conditions


def interaction_condition(c: Compilation, leaf: Leaf) -> ColumnElement[bool]:
    """``interactions``: how many of the party's interactions that whoever runs the segment may
    read match (an email open is channel ``email``, outcome ``open``, as the channels plugin
    logs it). Those they may not read count as none, so that no segment reveals them."""
    options = values.options(leaf, INTERACTION_OPTIONS)
    it = interaction_table
    conditions: list[ColumnElement[bool]] = [
        it.c.party_id == party_table.c.id,
        visible(c.tx.hooks, c.tx.actor, "interaction", it),
    ]
    for name in ("channel", "outcome", "source"):
        if name in options:
            conditions.append(it.c[name] == values.text(leaf, options[name], f"with.{name}"))
    if "direction" in options:
        conditions.append(
            it.c.direction
            == values.choice(leaf, DIRECTIONS, options["direction"], "with.direction")
        )
    conditions += period(c, leaf, options, it.c.occurred_at)
    return counted(c, leaf, it, conditions, it.c.id)


def engagement_condition(c: Compilation, leaf: Leaf) -> ColumnElement[bool]:
    """``engagement``: how many campaign memberships of the party reached ``with.event`` (in
    ``with.within_days``, of ``with.campaign``, on ``with.channel``). The campaigns plugin's
    own data, which every reader of segments may use (the runner's party rule still decides
    which parties come out); an email open is ``opened``, as the results part records it."""
    options = values.options(leaf, ENGAGEMENT_OPTIONS)
    if "event" not in options:
        raise leaf.problem("with.event", f"expected one of {', '.join(ENGAGEMENT_EVENTS)}")
    event = values.choice(leaf, ENGAGEMENT_EVENTS, options["event"], "with.event")
    reached = member.c[f"{event}_at"]
    conditions: list[ColumnElement[bool]] = [
        member.c.party_id == party_table.c.id,
        reached.is_not(None),
    ]
    if "channel" in options:
        channel = values.choice(leaf, ("email", "sms"), options["channel"], "with.channel")
        conditions.append(member.c.channel == channel)
    if "campaign" in options:
        campaign_id = values.record_id(leaf, options["campaign"], "with.campaign")
        known = select(campaign.c.id).where(campaign.c.id == campaign_id)
        if c.tx.conn.execute(known).first() is None:
            raise leaf.problem("with.campaign", f"campaign {campaign_id} does not exist")
        conditions.append(member.c.campaign_id == campaign_id)
    conditions += period(c, leaf, options, reached)
    return counted(c, leaf, member, conditions, member.c.id)


def order_condition(c: Compilation, leaf: Leaf) -> ColumnElement[bool]:
    """``orders``: how many of the party's orders (sfa) match; with a product group, orders with
    a line of that group (``min_amount`` then is the line's net amount, else the order's)."""
    if "sfa" not in c.tx.hooks.loaded:
        raise leaf.problem("criterion", "orders need the sfa plugin, which is not installed")
    # Imported here: campaigns works without sfa installed.
    from crmkit_sfa import order_line_table, order_table

    options = values.options(leaf, ORDER_OPTIONS)
    order, line = order_table, order_line_table
    conditions: list[ColumnElement[bool]] = [order.c.party_id == party_table.c.id]
    conditions += period(c, leaf, options, order.c.placed_at)
    source: Any = order
    if "product_group" in options:
        source = order.join(line, line.c.order_id == order.c.id)
        group = values.text(leaf, options["product_group"], "with.product_group")
        conditions.append(line.c.product_group == group)
    if "min_amount" in options:
        minimum = values.amount(leaf, options["min_amount"], "with.min_amount")
        net = line.c.net if "product_group" in options else order.c.total_net
        conditions.append(net >= minimum)
    return counted(c, leaf, source, conditions, order.c.id)


ACTIVITY = [
    Builtin(
        "consent",
        "Consent",
        ("eq", "ne"),
        "choice:granted|withdrawn|pending|none",
        {"purpose": "text", "channel": "choice:email|sms|phone|post"},
        consent_condition,
    ),
    Builtin(
        "interactions",
        "Interactions",
        COUNT_OPS,
        "number",
        INTERACTION_OPTIONS,
        interaction_condition,
    ),
    Builtin(
        "engagement",
        "Campaign engagement",
        COUNT_OPS,
        "number",
        ENGAGEMENT_OPTIONS,
        engagement_condition,
    ),
    Builtin("orders", "Orders (sfa)", COUNT_OPS, "number", ORDER_OPTIONS, order_condition),
]

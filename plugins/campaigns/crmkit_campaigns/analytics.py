"""What campaigns publishes to the analytics plugin (when it is installed): ``campaigns``.

Each campaign is one record ``campaign:<id>`` whose facts, by the campaign (dimension
``#<id> <name>``) and its owner, are:

* ``campaigns.sent``: members reached, on the day their message was sent (or queued);
* ``campaigns.responses``: responses, on the day they came in;
* ``campaigns.conversions``: members converted, on the day they converted;
* ``campaigns.revenue``: revenue attributed to it (last-touch model, as its results page
  shows it), on its start day;
* ``campaigns.cost``: its costs, on the day they were spent.

ROI is (``campaigns.revenue`` - ``campaigns.cost``) / ``campaigns.cost`` over the same cells.
Responses and costs touch the campaign through their events; sends and conversions, which
jobs record without an event, are found by ``changed`` (among campaigns not finished, or
finished within the attribution window). Marketing plans' targets are
:class:`~crmkit_analytics.sources.Target` rows: ``leads`` against ``leads.created``,
``conversions`` against ``campaigns.conversions``, ``revenue`` against ``sfa.orders`` and
``reach`` against ``campaigns.sent``. Amounts are summed as stored, in one currency.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, or_, select, union

from crmkit import SYSTEM, Event, Transaction, shifted_day
from crmkit_campaigns.campaigns.model import FINISHED_STATUSES
from crmkit_campaigns.campaigns.tables import campaign, member
from crmkit_campaigns.plans.periods import read_period
from crmkit_campaigns.plans.tables import plan
from crmkit_campaigns.plans.tables import target as plan_target
from crmkit_campaigns.results.progress import NEVER_LEFT
from crmkit_campaigns.results.tables import cost, response

if TYPE_CHECKING:
    from crmkit_analytics.sources import Fact, FactSource, Measure, Record, Target

NAME = "campaigns"
BATCH = 200
EVENTS = frozenset(
    {
        "campaigns.campaign.created",
        "campaigns.campaign.changed",
        "campaigns.campaign.deleted",
        "campaigns.campaign.started",
        "campaigns.campaign.completed",
        "campaigns.campaign.cancelled",
        "campaigns.response.received",
        "campaigns.cost.added",
        "campaigns.cost.deleted",
    }
)
PLAN_METRICS = {
    "leads": ("leads.created", "count"),
    "conversions": ("campaigns.conversions", "count"),
    "revenue": ("sfa.orders", "amount"),
    "reach": ("campaigns.sent", "count"),
}


def _drill(*, dimension: str = "", **_: Any) -> str:
    # The dimension is "#<id> <name>": the campaign's results page; else the campaign list.
    head = dimension.split(" ", 1)[0]
    if head.startswith("#") and head[1:].isdigit():
        return f"/p/campaigns/campaigns/{head[1:]}/results/page"
    return "/p/campaigns/campaigns/page"


def touched(conn: Connection, event: Event) -> Iterator[str]:
    payload = event.payload or {}
    campaign_id = payload.get("campaign_id")
    if event.type.startswith("campaigns.campaign."):
        campaign_id = event.entity_id
    if campaign_id is not None:
        yield f"campaign:{campaign_id}"


def _window_days() -> int:
    from crmkit_analytics.sources import current_crm

    app = current_crm()
    if app is None:
        return 90
    days: int = app.settings_of["campaigns"].results.attribution_days
    return days


def changed(conn: Connection, since: datetime) -> Iterator[str]:
    """Campaigns edited since ``since``, and those still collecting (not finished, or
    finished within the attribution window) whose members were sent, queued or converted
    since then: the members of older campaigns are not read."""
    collecting = select(campaign.c.id).where(
        or_(
            campaign.c.status.not_in(FINISHED_STATUSES),
            campaign.c.updated_at >= since - timedelta(days=_window_days()),
        )
    )
    moved = union(
        select(campaign.c.id).where(campaign.c.updated_at >= since),
        select(member.c.campaign_id).where(
            member.c.campaign_id.in_(collecting),
            or_(
                member.c.sent_at >= since,
                member.c.queued_at >= since,
                member.c.converted_at >= since,
            ),
        ),
    )
    for (campaign_id,) in conn.execute(moved):
        yield f"campaign:{campaign_id}"


def _per_day(conn: Connection, moment: Any, table: Any, *where: Any) -> list[tuple[date, int]]:
    day = shifted_day(moment)
    rows = conn.execute(
        select(day.label("day"), func.count().label("n"))
        .select_from(table)
        .where(moment.is_not(None), *where)
        .group_by(day)
    )
    return [(_as_date(r.day), int(r.n)) for r in rows]


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _revenue(conn: Connection, campaign_id: int) -> float:
    from crmkit_analytics.sources import current_crm

    app = current_crm()
    if app is None:
        return 0.0
    from crmkit_campaigns.results.attribution import attributed

    # Attribution reads through a transaction; as the system it counts every party's.
    tx = Transaction(conn=conn, hooks=app.host, actor=SYSTEM, app=app)
    credit = attributed(tx, [campaign_id])
    return float(sum((a.revenue["last_touch"] for a in credit), Decimal(0)))


def _campaign_fact(conn: Connection, row: Any) -> Fact:
    from crmkit_analytics.sources import Fact, Measure

    where = {"dimension": f"#{row.id} {row.name}"[:120], "owner_id": row.owner_id}
    measures: list[Measure] = []
    touched_at = func.coalesce(member.c.sent_at, member.c.queued_at)
    for day, n in _per_day(
        conn, touched_at, member, member.c.campaign_id == row.id, member.c.status.not_in(NEVER_LEFT)
    ):
        measures.append(Measure("campaigns.sent", day, n, **where))
    for day, n in _per_day(
        conn, response.c.received_at, response, response.c.campaign_id == row.id
    ):
        measures.append(Measure("campaigns.responses", day, n, **where))
    for day, n in _per_day(conn, member.c.converted_at, member, member.c.campaign_id == row.id):
        measures.append(Measure("campaigns.conversions", day, n, **where))
    for day, amount in conn.execute(
        select(cost.c.spent_on, func.sum(cost.c.amount))
        .where(cost.c.campaign_id == row.id)
        .group_by(cost.c.spent_on)
    ):
        measures.append(Measure("campaigns.cost", _as_date(day), 1, float(amount or 0), **where))
    revenue = _revenue(conn, row.id)
    if revenue:
        start = _as_date(row.starts_at or row.created_at)
        measures.append(Measure("campaigns.revenue", start, 0, revenue, **where))
    return Fact(f"campaign:{row.id}", tuple(measures))


def facts(conn: Connection, keys: Sequence[str] | None) -> Iterator[Fact]:
    query = select(
        campaign.c.id,
        campaign.c.name,
        campaign.c.owner_id,
        campaign.c.starts_at,
        campaign.c.created_at,
    ).order_by(campaign.c.id)
    if keys is None:
        rows = list(conn.execute(query))
    else:
        ids = sorted({int(k[9:]) for k in keys if k.startswith("campaign:") and k[9:].isdigit()})
        rows = []
        for start in range(0, len(ids), BATCH):
            rows += list(conn.execute(query.where(campaign.c.id.in_(ids[start : start + BATCH]))))
    for row in rows:
        yield _campaign_fact(conn, row)


def targets(conn: Connection, start: date, end: date) -> Iterator[Target]:
    """The marketing plans' targets whose period overlaps ``start`` to ``end``."""
    from crmkit_analytics.sources import Target

    rows = conn.execute(
        select(plan_target, plan.c.name.label("plan_name"), plan.c.owner_id)
        .join(plan, plan.c.id == plan_target.c.plan_id)
        .where(plan.c.starts_on <= end, plan.c.ends_on >= start)
        .order_by(plan.c.id, plan_target.c.position)
    )
    for row in rows:
        period = read_period("period", row.period)
        last = period.day_after - timedelta(days=1)
        if last < start or period.first_day > end or row.metric not in PLAN_METRICS:
            continue
        metric, measure = PLAN_METRICS[row.metric]
        label = f"{row.plan_name}: {row.metric} {row.period}"
        if row.product_group:
            label += f" ({row.product_group})"
        yield Target(
            metric=metric,
            starts_on=period.first_day,
            ends_on=last,
            amount=float(row.value),
            label=label,
            territory=(row.region or "")[:40],
            measure=measure,
        )


def describe(conn: Connection, keys: Sequence[str]) -> Iterator[Record]:
    """How the dashboard's drill page shows a campaign: its name, status and page."""
    from crmkit_analytics.sources import Record, ids_of_keys

    ids = ids_of_keys(keys, "campaign:")
    if ids:
        rows = conn.execute(
            select(campaign.c.id, campaign.c.name, campaign.c.status).where(campaign.c.id.in_(ids))
        )
        for row in rows:
            yield Record(
                f"campaign:{row.id}", row.name, f"/p/campaigns/campaigns/{row.id}/page", row.status
            )


def source() -> FactSource:
    from crmkit_analytics.sources import FactSource, Metric

    return FactSource(
        name=NAME,
        metrics=(
            Metric("campaigns.sent", "Campaign members reached", "count", _drill),
            Metric("campaigns.responses", "Campaign responses", "count", _drill),
            Metric("campaigns.conversions", "Campaign conversions", "count", _drill),
            Metric("campaigns.revenue", "Revenue attributed to campaigns", "amount", _drill),
            Metric("campaigns.cost", "Campaign costs", "amount", _drill),
        ),
        event_types=EVENTS,
        touched=touched,
        facts=facts,
        changed=changed,
        describe=describe,
        targets=targets,
    )

"""The member's status on the party's page (owned by the earning part).

One panel, "Loyalty", for whoever holds ``loyalty:member.read`` (the kernel has already decided
that the actor sees the party): each membership's programme, number (a link to the member's
page), tier and since when, balance, the points expiring soon and the latest entries. A
customer in no programme is "Not a member", with a link to enrol them for whoever may. Three
queries: memberships with their expiring points, their latest entries, the programmes open to
enrolment.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from markupsafe import Markup
from sqlalchemy import Connection, func, select

from crmkit import Actor, Crm, Panel, is_allowed, utcnow
from crmkit_loyalty.earning.access import MEMBER_READ, MEMBER_WRITE
from crmkit_loyalty.earning.settings import EarningSettings
from crmkit_loyalty.ledger.tables import entry, lot, member
from crmkit_loyalty.programmes.tables import programme, tier

ORDER = 40


def panels(app: Crm, actor: Actor, party: Any) -> list[Panel]:
    """The party's memberships (number, tier, balance, points expiring soon) for an actor who may read them."""
    if not is_allowed(app.host, actor, MEMBER_READ):
        return []
    settings: EarningSettings = app.settings_of["loyalty"].earning
    may_enrol = party.role == "customer" and is_allowed(app.host, actor, MEMBER_WRITE)

    def render(conn: Connection) -> str:
        return render_loyalty(conn, party.id, settings, may_enrol=may_enrol)

    return [Panel("Loyalty", render, ORDER)]


def _memberships(conn: Connection, party_id: int, within: timedelta) -> list[Any]:
    now = utcnow()
    expiring = (
        select(func.coalesce(func.sum(lot.c.remaining), 0))
        .where(
            lot.c.member_id == member.c.id,
            lot.c.remaining > 0,
            lot.c.expires_at > now,
            lot.c.expires_at <= now + within,
        )
        .scalar_subquery()
    )
    return list(
        conn.execute(
            select(
                member.c.id,
                member.c.number,
                member.c.status,
                member.c.balance,
                member.c.tier_since,
                member.c.programme_id,
                programme.c.name.label("programme"),
                tier.c.name.label("tier"),
                expiring.label("expiring"),
            )
            .join(programme, programme.c.id == member.c.programme_id)
            .join(tier, tier.c.id == member.c.tier_id)
            .where(member.c.party_id == party_id)
            .order_by(programme.c.name, member.c.id)
        )
    )


def _latest_entries(conn: Connection, member_ids: list[int], count: int) -> dict[int, list[Any]]:
    if not member_ids or count == 0:
        return {}
    place = (
        func.row_number()
        .over(
            partition_by=entry.c.member_id, order_by=(entry.c.created_at.desc(), entry.c.id.desc())
        )
        .label("place")
    )
    ranked = (
        select(
            entry.c.member_id,
            entry.c.kind,
            entry.c.points,
            entry.c.description,
            entry.c.source,
            entry.c.created_at,
            place,
        )
        .where(entry.c.member_id.in_(member_ids))
        .subquery()
    )
    found: dict[int, list[Any]] = {}
    for row in conn.execute(
        select(ranked).where(ranked.c.place <= count).order_by(ranked.c.member_id, ranked.c.place)
    ):
        found.setdefault(row.member_id, []).append(row)
    return found


def _open_programmes(conn: Connection, party_id: int) -> list[Any]:
    joined = select(member.c.programme_id).where(member.c.party_id == party_id)
    return list(
        conn.execute(
            select(programme.c.id, programme.c.name)
            .where(programme.c.status == "active", programme.c.id.not_in(joined))
            .order_by(programme.c.name)
        )
    )


def _entry_item(row: Any) -> Markup:
    what = row.description or row.source
    return Markup("<li>{} · {} {:+d} · {}</li>").format(
        row.created_at.date().isoformat(), row.kind, row.points, what
    )


def _membership(row: Any, entries: list[Any], within_days: int) -> Markup:
    items = Markup("").join(_entry_item(e) for e in entries)
    latest = Markup("<ul>{}</ul>").format(items) if entries else Markup("<p>No entries yet.</p>")
    status = Markup("") if row.status == "active" else Markup(" ({})").format(row.status)
    return Markup(
        '<article class="loyalty-member"><h3>{programme}</h3><dl>'
        '<dt>Member</dt><dd><a href="/p/loyalty/page/members/{id}">{number}</a>{status}</dd>'
        "<dt>Tier</dt><dd>{tier} since {since}</dd>"
        "<dt>Balance</dt><dd>{balance} points</dd>"
        "<dt>Expiring within {days} days</dt><dd>{expiring} points</dd>"
        "</dl>{latest}</article>"
    ).format(
        programme=row.programme,
        id=row.id,
        number=row.number,
        status=status,
        tier=row.tier,
        since=row.tier_since.date().isoformat(),
        balance=row.balance,
        days=within_days,
        expiring=int(row.expiring or 0),
        latest=latest,
    )


def render_loyalty(
    conn: Connection, party_id: int, settings: EarningSettings, *, may_enrol: bool
) -> str:
    """The panel's HTML: every membership of the party, then what it may still join."""
    within = settings.expiring_within_days
    rows = _memberships(conn, party_id, timedelta(days=within))
    entries = _latest_entries(conn, [r.id for r in rows], settings.panel_entries)
    parts = [_membership(r, entries.get(r.id, []), within) for r in rows]
    if not rows:
        parts.append(Markup("<p>Not a member.</p>"))
    if may_enrol:
        for open_one in _open_programmes(conn, party_id):
            parts.append(
                Markup(
                    '<p><a class="button" href="/p/loyalty/page/parties/{}/enrol?programme_id={}">'
                    "Enrol in {}</a></p>"
                ).format(party_id, open_one.id, open_one.name)
            )
    return str(Markup("").join(parts))

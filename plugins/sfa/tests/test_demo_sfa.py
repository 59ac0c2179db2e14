"""The plugin's demo data: deals in every stage, quotes and orders, activities, targets, the pages."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from crmkit_sfa.pipeline.settings import CLASSIC
from crmkit_sfa.pipeline.tables import activity, opportunity, stage_change
from crmkit_sfa.planning.periods import period_of
from crmkit_sfa.planning.tables import target
from crmkit_sfa.quotes.tables import order, order_line, quotation, quotation_line
from sqlalchemy import Connection, func, select
from starlette.testclient import TestClient

from crmkit import Crm, contact_point_table, interaction_table, party_table, user_table, utcnow
from crmkit.testing import DEMO_PASSWORD, http_client, seed_demo_data


@pytest.fixture(scope="module")
def now() -> datetime:
    return utcnow().replace(microsecond=0)


@pytest.fixture
def demo(make_crm: Any, now: datetime) -> Crm:
    crm: Crm = make_crm(plugins=["sfa"])
    seed_demo_data(crm, customers=300, prospects=300, now=now)
    return crm


def rows(conn: Connection, query: Any) -> list[Any]:
    return list(conn.execute(query).all())


def test_demo_deals_fill_every_stage_as_their_parties_say(demo: Crm) -> None:
    with demo.engine.connect() as conn:
        deals = rows(
            conn,
            select(
                opportunity,
                party_table.c.owner_id.label("party_owner"),
                party_table.c.role.label("party_role"),
                user_table.c.team.label("owner_team"),
                contact_point_table.c.key.label("address_key"),
            )
            .join(party_table, party_table.c.id == opportunity.c.party_id)
            .join(user_table, user_table.c.id == opportunity.c.owner_id)
            .outerjoin(
                contact_point_table,
                (contact_point_table.c.party_id == party_table.c.id)
                & (contact_point_table.c.kind == "address")
                & (contact_point_table.c.position == 0),
            ),
        )
        history = rows(conn, select(stage_change).order_by(stage_change.c.id))

    open_stages = {d.stage for d in deals if d.status == "open"}
    assert open_stages == {s.key for s in CLASSIC.stages}
    assert {d.status for d in deals} == {"open", "won", "lost"}
    assert all(d.owner_id == d.party_owner and d.team == d.owner_team for d in deals)
    assert all(d.territory == d.address_key for d in deals)
    assert all(d.party_role == "customer" for d in deals if d.status == "won")
    assert all(d.lost_reason for d in deals if d.status == "lost")
    # Each deal entered its stages in the pipeline's order, the last one when it says.
    order_of = [s.key for s in CLASSIC.stages]
    by_deal: dict[int, list[Any]] = {}
    for change in history:
        by_deal.setdefault(change.opportunity_id, []).append(change)
    for deal in deals:
        changes = by_deal[deal.id]
        assert [c.to_stage for c in changes] == order_of[: len(changes)]
        assert changes[-1].to_stage == deal.stage
        assert changes[-1].changed_at == deal.stage_entered_at


def test_demo_activities_are_on_the_timeline_and_some_are_overdue(demo: Crm, now: datetime) -> None:
    with demo.engine.connect() as conn:
        done = rows(
            conn,
            select(activity, interaction_table.c.refs, interaction_table.c.source)
            .join(interaction_table, interaction_table.c.id == activity.c.interaction_id)
            .where(activity.c.status == "done"),
        )
        planned = rows(conn, select(activity).where(activity.c.status == "planned"))
        undone = conn.execute(
            select(func.count()).where(
                activity.c.status == "done", activity.c.interaction_id.is_(None)
            )
        ).scalar_one()

    assert done and undone == 0
    for entry in done:
        assert entry.source == "sfa"
        assert {"kind": "sfa.activity", "id": str(entry.id)} in entry.refs
        assert {"kind": "sfa.opportunity", "id": str(entry.opportunity_id)} in entry.refs
    assert any(a.due_at < now for a in planned) and any(a.due_at > now for a in planned)
    assert any(a.playbook_step == "rfp_received.send_proposal" for a in planned)
    # Meetings keep the service's rule: each has a start, so every calendar can hold it.
    meetings = [a for a in [*done, *planned] if a.kind == "meeting"]
    assert meetings and all(m.starts_at is not None and m.ends_at > m.starts_at for m in meetings)


def test_demo_quotes_have_revisions_lines_and_orders(demo: Crm) -> None:
    with demo.engine.connect() as conn:
        quotes = rows(conn, select(quotation))
        lines = rows(conn, select(quotation_line))
        orders = rows(conn, select(order))
        order_lines = rows(conn, select(order_line))
        won = set(conn.scalars(select(opportunity.c.id).where(opportunity.c.status == "won")))

    by_id = {q.id: q for q in quotes}
    revisions = [q for q in quotes if q.version == 2]
    assert revisions
    for revision in revisions:
        first = by_id[revision.supersedes_id]
        assert first.status == "superseded" and first.number == revision.number
    net: Counter[int] = Counter()
    for line in lines:
        net[line.quotation_id] += line.net
    assert all(
        q.total_net == net[q.id] and q.total_gross == q.total_net + q.total_tax for q in quotes
    )
    assert {q.status for q in quotes} >= {"sent", "accepted", "superseded", "rejected"}
    accepted = {q.id: q for q in quotes if q.status == "accepted"}
    assert all(q.decided_at.date() <= q.valid_until for q in accepted.values())
    assert {o.quotation_id for o in orders} == set(accepted)
    assert {o.opportunity_id for o in orders} == won
    for placed in orders:
        quote = accepted[placed.quotation_id]
        assert placed.number == quote.number.replace("Q-", "SO-")
        assert placed.total_gross == quote.total_gross
    assert {o.erp_status for o in orders} <= {"sent", "confirmed", "delivered", "invoiced"}
    assert len(order_lines) == sum(1 for x in lines if x.quotation_id in accepted)


def test_demo_targets_cover_every_seller_and_team_this_quarter(demo: Crm, now: datetime) -> None:
    with demo.engine.connect() as conn:
        targets = rows(conn, select(target))
        sellers = rows(conn, select(user_table).where(user_table.c.role == "sales"))

    quarter = period_of("quarter", now.date())
    assert all(t.period_kind == "quarter" and t.period_start == quarter.start for t in targets)
    users = {t.scope_key: t for t in targets if t.scope == "user"}
    teams = {t.scope_key: t for t in targets if t.scope == "team"}
    assert set(users) == {str(s.id) for s in sellers}
    assert set(teams) == {s.team for s in sellers}
    for team, team_target in teams.items():
        members = [users[str(s.id)].value for s in sellers if s.team == team]
        assert team_target.value == sum(members, Decimal(0))


def log_in(client: TestClient, username: str) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    data = {"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=data).status_code == 200


def test_demo_dashboard_tiles_and_board_show_the_deals(demo: Crm) -> None:
    client = http_client(demo)
    log_in(client, "m.keller")

    home = client.get("/")
    board = client.get("/p/sfa/board")

    assert home.status_code == 200 and board.status_code == 200
    tiles = re.findall(r'<article class="tile( failed)?" data-widget="(sfa\.[a-z_]+)"', home.text)
    assert {name for _, name in tiles} == {
        "sfa.pipeline_by_stage",
        "sfa.forecast_vs_target",
        "sfa.overdue_activities",
    }
    assert all(not failed for failed, _ in tiles)
    for stage in CLASSIC.stages:
        assert stage.label in board.text
    assert len(set(re.findall(r"/p/sfa/opportunities/(\d+)/page", board.text))) > 10

"""Demo SLAs: a calendar per service team, policies by tier and priority, and the clocks and
breaches of the demo's cases as their histories make them."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from crmkit import party_table, user_table
from crmkit_service.cases.tables import case
from crmkit_service.sla.calendar_store import read_calendar
from crmkit_service.sla.calendars import (
    Calendar,
    add_business_seconds,
    business_seconds_between,
    read_holidays,
    read_hours,
)
from crmkit_service.sla.clocks import FINISHED_STATUSES
from crmkit_service.sla.policies import Policy, choose, list_policies
from crmkit_service.sla.tables import breach, calendar, clock, policy

GOLD_SHARE = 0.15
HOURS = {day: ["08:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
POLICIES = [
    {"name": "Standard", "first_response_minutes": 240, "resolution_minutes": 2400},
    {
        "name": "High priority",
        "priority": "high",
        "first_response_minutes": 120,
        "resolution_minutes": 960,
    },
    {
        "name": "Urgent priority",
        "priority": "urgent",
        "first_response_minutes": 30,
        "resolution_minutes": 480,
        "penalty": "2 % credit on the monthly fee",
    },
    {
        "name": "Gold customers",
        "tier": "gold",
        "first_response_minutes": 60,
        "resolution_minutes": 960,
        "warning_percent": 70,
        "penalty": "5 % credit on the monthly fee",
    },
    {
        "name": "Gold, urgent",
        "tier": "gold",
        "priority": "urgent",
        "first_response_minutes": 15,
        "resolution_minutes": 240,
        "penalty": "10 % credit on the monthly fee",
    },
]


def _holidays(year: int) -> list[dict[str, str]]:
    return [
        {"name": f"New Year {year}", "start": f"{year}-01-01"},
        {"name": f"Labour Day {year}", "start": f"{year}-05-01"},
        {"name": f"German Unity Day {year}", "start": f"{year}-10-03"},
        {"name": f"Christmas {year}", "start": f"{year}-12-24", "end": f"{year}-12-26"},
    ]


def seed_sla(conn: Connection, rng: random.Random, now: datetime, tier_field: str) -> None:
    """Calendars, policies, gold customers, and the clocks of the cases already seeded."""
    calendars = _seed_calendars(conn, now)
    for values in POLICIES:
        conn.execute(insert(policy).values(**values, created_at=now, updated_at=now, version=1))
    gold = _seed_tiers(conn, rng, tier_field)
    chosen = list_policies(conn)
    clocks: list[dict[str, Any]] = []
    for row in conn.execute(select(case).order_by(case.c.id)):
        found = choose(chosen, "gold" if row.party_id in gold else None, row.priority, [])
        if found is not None:
            clocks += _clocks(row, found, calendars.get(row.team, calendars[None]), now)
    if not clocks:
        return
    ids = conn.scalars(insert(clock).returning(clock.c.id, sort_by_parameter_order=True), clocks)
    penalties = {p.id: p for p in chosen}
    breaches = [
        _breach(clock_id, row, penalties[row["policy_id"]])
        for clock_id, row in zip(ids, clocks, strict=True)
        if row["breached_at"] is not None
    ]
    if breaches:
        conn.execute(insert(breach), breaches)


def _seed_calendars(conn: Connection, now: datetime) -> dict[str | None, Calendar]:
    teams = conn.scalars(
        select(user_table.c.team)
        .where(user_table.c.team.is_not(None), user_table.c.role.in_(("service", "manager")))
        .distinct()
        .order_by(user_table.c.team)
    ).all()
    holidays = _holidays(now.year - 1) + _holidays(now.year) + _holidays(now.year + 1)
    found: dict[str | None, Calendar] = {
        None: Calendar(name="default", time_zone="Europe/Berlin", hours=read_hours(HOURS))
    }
    for team in teams:
        values = read_calendar(
            {
                "name": f"{team} (Berlin)",
                "team": team,
                "time_zone": "Europe/Berlin",
                "hours": HOURS,
                "holidays": holidays,
            }
        )
        conn.execute(insert(calendar).values(**values, created_at=now, updated_at=now, version=1))
        found[team] = Calendar(
            name=values["name"],
            team=team,
            time_zone="Europe/Berlin",
            hours=read_hours(HOURS),
            holidays=read_holidays(holidays),
        )
    return found


def _seed_tiers(conn: Connection, rng: random.Random, tier_field: str) -> set[int]:
    """Make some customers gold: their tier is the custom field the policies are chosen by."""
    gold: set[int] = set()
    rows = conn.execute(
        select(party_table.c.id, party_table.c.custom).where(party_table.c.role == "customer")
    ).all()
    for row in rows:
        if rng.random() < GOLD_SHARE:
            gold.add(row.id)
            conn.execute(
                update(party_table)
                .where(party_table.c.id == row.id)
                .values(custom={**(row.custom or {}), tier_field: "gold"})
            )
    return gold


def _clocks(
    row: Any, chosen: Policy, team_calendar: Calendar, now: datetime
) -> list[dict[str, Any]]:
    finished = row.status in FINISHED_STATUSES
    paused = row.status == "waiting_on_customer"
    stops = {
        "first_response": row.first_response_at or (row.resolved_at if finished else None),
        "resolution": row.resolved_at or row.closed_at if finished else None,
    }
    targets = {
        "first_response": chosen.first_response_minutes * 60,
        "resolution": chosen.resolution_minutes * 60,
    }
    warning = chosen.warning_percent or 80
    made = []
    for metric, target in targets.items():
        stopped = stops[metric]
        until = stopped or (row.updated_at if paused else now)
        elapsed = business_seconds_between(team_calendar, row.created_at, until)
        due = add_business_seconds(team_calendar, row.created_at, target)
        warn = add_business_seconds(team_calendar, row.created_at, target * warning // 100)
        running = stopped is None and not paused
        late = elapsed > target
        made.append(
            {
                "case_id": row.id,
                "metric": metric,
                "party_id": row.party_id,
                "owner_id": row.owner_id,
                "team": row.team,
                "case_status": row.status,
                "policy_id": chosen.id,
                "target_seconds": target,
                "warning_percent": warning,
                "started_at": row.created_at,
                "elapsed_seconds": elapsed if not running else 0,
                "running_since": row.created_at if running else None,
                "paused_at": row.updated_at if paused and stopped is None else None,
                "due_at": None if paused and stopped is None else due,
                "warn_at": warn if running else None,
                "stopped_at": stopped,
                "met": None if stopped is None else not late,
                "warned_at": warn if warn <= until else None,
                "breached_at": due if late else None,
                "escalation_level": 1 if late else 0,
                "escalated_at": due if late else None,
                "updated_at": until,
            }
        )
    return made


def _breach(clock_id: int, row: dict[str, Any], chosen: Policy) -> dict[str, Any]:
    return {
        "clock_id": clock_id,
        "case_id": row["case_id"],
        "party_id": row["party_id"],
        "metric": row["metric"],
        "team": row["team"],
        "owner_id": row["owner_id"],
        "policy_name": chosen.name,
        "penalty": chosen.penalty,
        "due_at": row["due_at"] or row["breached_at"],
        "breached_at": row["breached_at"],
        "escalations": [
            {
                "level": 1,
                "step": "owner",
                "user_ids": [row["owner_id"]],
                "at": row["breached_at"].isoformat(),
            }
        ]
        if row["owner_id"]
        else [],
    }

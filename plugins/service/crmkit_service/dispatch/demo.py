"""The dispatch part of ``crmkit demo``: a technician for each country the customers live in, and a
partner firm covering them all, working weekdays (the partner Saturdays too); visits for the
cases about customers' assets, as the service writes them."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

from attrs import evolve
from sqlalchemy import Connection, insert, select

from crmkit import contact_point_table, interaction_table, party_table
from crmkit_service.assets.entitlement import entitlement_of
from crmkit_service.assets.tables import contract_visit
from crmkit_service.cases.demo import event_rows
from crmkit_service.cases.model import OPEN_STATUSES
from crmkit_service.cases.tables import case, case_event
from crmkit_service.dispatch.service import (
    ADDRESS_FIELDS,
    booked_text,
    dispatch_of,
    event_data,
    local_time,
    read_address,
    requested_text,
    status_text,
    territory_of,
)
from crmkit_service.dispatch.settings import DispatchSettings
from crmkit_service.dispatch.tables import dispatch, technician, working_window

FIRST_NAMES = ("Jonas", "Lea", "Marco", "Sofia", "Tom", "Ines", "Piet", "Clara")
WEEKDAYS = range(1, 6)
DISPATCH_SHARE = 0.6
"""Of the cases about an asset, those with a visit."""
INSTRUCTIONS = (
    "",
    "Ring at the side entrance.",
    "Customer is home after 10:00.",
    "Parking in the yard.",
)
REPORTS = (
    "Replaced the faulty part and tested the unit with the customer.",
    "Cleaned and recalibrated; working as specified again.",
    "Updated the firmware and showed the customer the new settings.",
)


def seed_technicians(conn: Connection, now: datetime, time_zone: str) -> None:
    """Write the demo's technicians and partner, with their working windows."""
    countries = sorted(
        {
            row.data.get("country")
            for row in conn.execute(
                select(contact_point_table.c.data)
                .join(party_table, party_table.c.id == contact_point_table.c.party_id)
                .where(contact_point_table.c.kind == "address", party_table.c.role == "customer")
            )
            if row.data and row.data.get("country")
        }
    )
    if not countries:
        return
    people = [
        (f"{FIRST_NAMES[i % len(FIRST_NAMES)]} ({country})", "technician", [country], WEEKDAYS)
        for i, country in enumerate(countries)
    ]
    people.append(("Rapid Field Service Ltd", "partner", countries, range(1, 7)))
    for name, kind, territories, days in people:
        technician_id = conn.execute(
            insert(technician)
            .values(
                name=name,
                kind=kind,
                user_id=None,
                phone=None,
                email=None,
                territories=territories,
                time_zone=time_zone,
                active=True,
                created_at=now,
                updated_at=now,
                version=1,
            )
            .returning(technician.c.id)
        ).scalar_one()
        conn.execute(
            insert(working_window),
            [
                {
                    "technician_id": technician_id,
                    "weekday": d,
                    "starts": time(7, 30),
                    "ends": time(17),
                }
                for d in days
            ],
        )


def seed_dispatches(
    conn: Connection, rng: random.Random, now: datetime, settings: DispatchSettings
) -> None:
    """Write visits for the demo's cases about an asset: booked (or still to
    assign) ahead for open cases, done with a report (and the contract visit it used) for
    resolved and closed ones; each with its events on the case and the party's timeline."""
    people = conn.execute(
        select(technician.c.id, technician.c.name, technician.c.kind, technician.c.territories)
    ).all()
    chosen = [
        row
        for row in conn.execute(
            select(case)
            .where(
                case.c.asset_id.is_not(None),
                case.c.status.in_((*OPEN_STATUSES, "resolved", "closed")),
                case.c.status != "new",
            )
            .order_by(case.c.id)
        )
        if rng.random() < DISPATCH_SHARE
    ]
    sites = _sites(conn, {row.party_id for row in chosen})
    events: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for row in chosen:
        site = sites.get(row.party_id)
        if site is None or not people:
            continue
        local = [p for p in people if site.country in p.territories]
        who = rng.choice([p for p in local if p.kind == "technician"] or local or people)
        steps = _steps(rng, row, now, settings.visit_minutes)
        start = steps["scheduled_start"]
        entitled = entitlement_of(conn, row.party_id, row.asset_id, on=start.date())
        values = {
            "case_id": row.id,
            "party_id": row.party_id,
            "asset_id": row.asset_id,
            "technician_id": None if steps["status"] == "requested" else who.id,
            "address": {name: getattr(site, name) for name in ADDRESS_FIELDS},
            "territory": territory_of(site),
            "urgency": rng.choice(("normal", "normal", "high")),
            "instructions": rng.choice(INSTRUCTIONS),
            "report": rng.choice(REPORTS) if steps["status"] == "done" else "",
            "entitlement": entitled.state,
            "contract_id": entitled.contract_id,
            "billable": entitled.billable,
            "created_by": row.owner_id,
            "cancelled_at": None,
            "version": 1
            + sum(steps[f"{s}_at"] is not None for s in ("dispatched", "on_site", "done")),
            **steps,
        }
        item = dispatch_of(
            conn.execute(insert(dispatch).values(**values).returning(*dispatch.c)).one()
        )
        if item.done_at is not None and entitled.contract_id is not None and not item.billable:
            conn.execute(
                insert(contract_visit).values(
                    contract_id=entitled.contract_id,
                    dispatch_id=item.id,
                    visited_at=item.done_at,
                    created_at=item.done_at,
                )
            )
        when = local_time(start, settings.time_zone)
        told = [("requested", item.created_at, requested_text(when, entitled.summary))]
        if item.dispatched_at is not None:
            told.append(
                ("dispatched", item.dispatched_at, booked_text("Visit booked", when, who.name))
            )
        for status in ("on_site", "done"):
            moment = getattr(item, f"{status}_at")
            if moment is not None:
                told.append((status, moment, status_text(evolve(item, status=status), who.name)[1]))
        for status, moment, text in told:
            going = None if status == "requested" else who.name
            event, entry = event_rows(
                row.id,
                {"party_id": row.party_id, "subject": row.subject, "owner_id": row.owner_id},
                ("dispatch", True, text, event_data(evolve(item, status=status), going), moment),
                author_id=row.owner_id,
                outcome=row.status,
            )
            events.append(event)
            entries.append(entry)
    if events:
        conn.execute(insert(case_event), events)
        conn.execute(insert(interaction_table), entries)


def _sites(conn: Connection, party_ids: set[int]) -> dict[int, Any]:
    """The first postal address of each party, as a visit's site."""
    found: dict[int, Any] = {}
    rows = conn.execute(
        select(contact_point_table.c.party_id, contact_point_table.c.data)
        .where(
            contact_point_table.c.kind == "address",
            contact_point_table.c.party_id.in_(party_ids),
        )
        .order_by(contact_point_table.c.party_id, contact_point_table.c.position)
    )
    for row in rows:
        if row.party_id not in found and row.data and row.data.get("postcode"):
            found[row.party_id] = read_address({k: row.data.get(k) for k in ADDRESS_FIELDS})
    return found


def _steps(rng: random.Random, row: Any, now: datetime, visit_minutes: int) -> dict[str, Any]:
    """When the visit of the case ``row`` was requested, booked, on site and done, by its status."""
    length = timedelta(minutes=visit_minutes)
    if row.resolved_at is not None:
        span = row.resolved_at - row.created_at
        start = (row.created_at + span * 0.6).replace(minute=0, second=0, microsecond=0)
        start = max(start, row.created_at + timedelta(hours=1))
        return {
            "status": "done",
            "scheduled_start": start,
            "scheduled_end": start + length,
            "created_at": row.created_at + (start - row.created_at) * 0.2,
            "dispatched_at": row.created_at + (start - row.created_at) * 0.4,
            "on_site_at": start,
            "done_at": start + length,
            "updated_at": start + length,
        }
    day = (now + timedelta(days=rng.randint(1, 4))).replace(minute=0, second=0, microsecond=0)
    start = day.replace(hour=rng.randint(8, 15))
    requested = row.created_at + (now - row.created_at) * 0.5
    booked = row.created_at + (now - row.created_at) * 0.7 if rng.random() < 0.7 else None
    return {
        "status": "requested" if booked is None else "dispatched",
        "scheduled_start": start,
        "scheduled_end": start + length,
        "created_at": requested,
        "dispatched_at": booked,
        "on_site_at": None,
        "done_at": None,
        "updated_at": booked or requested,
    }

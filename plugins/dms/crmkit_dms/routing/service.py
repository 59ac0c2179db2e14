"""Routing leads to partners: what other parts call (owned by the routing part).

Every function works in the caller's transaction and emits its ``dms.lead_*`` event in it,
so that an offer and the event announcing it are stored together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from attrs import frozen
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from crmkit import (
    ConflictError,
    NotFound,
    Transaction,
    ValidationError,
    build_interaction,
    log_interaction,
    party_table,
    read_choice,
    read_text,
    require,
    seen_party,
    utcnow,
)
from crmkit_dms.partners.model import Partner, candidates, get_partner, normal_postcode
from crmkit_dms.routing import deadlines, scoring
from crmkit_dms.routing.access import LEAD_ROUTE
from crmkit_dms.routing.model import OUTCOMES, SOURCES, Assignment
from crmkit_dms.routing.records import answerable, load, open_assignment
from crmkit_dms.routing.settings import RoutingSettings
from crmkit_dms.routing.tables import assignment

REASON_LIMIT = 500
VEHICLE_LIMIT = 4000
"""The vehicle of interest is a few facts (make, model, year, VIN ...), not a document."""
WORKED = ("accepted", "contacted", "appointment")
"""States of a lead a partner has taken and works on."""
PROGRESS = {"offered": 0, "accepted": 1, "contacted": 2, "appointment": 3, "sold": 4, "lost": 4}
"""How far a lead has come: an outcome below the lead's state is old news."""


@frozen
class Lead:
    """What a lead is routed on, checked."""

    brand: str | None
    country: str | None
    postcode: str | None
    vehicle: dict[str, Any] | None
    source: str


def read_lead(brand: Any, country: Any, postcode: Any, vehicle: Any, source: Any) -> Lead:
    """The routing facts of a lead; ValidationError naming the field that is wrong."""
    found_country = read_text("country", country, limit=2)
    if found_country is not None and not (found_country.isascii() and found_country.isalpha()):
        raise ValidationError("country", "expected an ISO 3166 country code such as DE")
    found_postcode = read_text("postcode", postcode, limit=20)
    if vehicle is not None and not isinstance(vehicle, Mapping):
        raise ValidationError("vehicle", "expected an object")
    if vehicle is not None and len(json.dumps(vehicle, default=str)) > VEHICLE_LIMIT:
        raise ValidationError("vehicle", f"at most {VEHICLE_LIMIT} characters as JSON")
    return Lead(
        brand=read_text("brand", brand, limit=60),
        country=None if found_country is None else found_country.upper(),
        postcode=None if found_postcode is None else normal_postcode(found_postcode),
        vehicle=None if vehicle is None else dict(vehicle),
        source=read_choice("source", source, SOURCES),
    )


def settings_of(tx: Transaction) -> RoutingSettings:
    """``[plugins.dms.routing]`` of the CRM ``tx`` runs in."""
    found: RoutingSettings = tx.app.settings_of["dms"].routing
    return found


def payload_of(found: Assignment) -> dict[str, Any]:
    """What the ``dms.lead_*`` events say of an assignment: ids, state, dates."""
    return {
        "assignment_id": found.id,
        "party_id": found.party_id,
        "partner_id": found.partner_id,
        "state": found.state,
        "attempt": found.attempt,
        "source": found.source,
        "accept_by": None if found.accept_by is None else found.accept_by.isoformat(),
    }


def write_change(tx: Transaction, found: Assignment, now: datetime, **values: Any) -> Assignment:
    """Write ``values`` if the assignment is as read (its version); ConflictError if not."""
    changed = tx.conn.execute(
        update(assignment)
        .where(assignment.c.id == found.id, assignment.c.version == found.version)
        .values(**values, updated_at=now, version=found.version + 1)
    )
    if changed.rowcount != 1:
        raise ConflictError(f"assignment {found.id} was changed meanwhile; read it again")
    return load(tx.conn, found.id)


def _tried(tx: Transaction, last: Assignment | None) -> set[int]:
    """The partners this round of routing has offered the lead to (back to its attempt 1)."""
    tried: set[int] = set()
    while last is not None:
        if last.partner_id is not None:
            tried.add(last.partner_id)
        if last.attempt <= 1 or last.previous_id is None:
            break
        last = load(tx.conn, last.previous_id)
    return tried


def _choose(
    tx: Transaction, lead: Lead, tried: set[int], settings: RoutingSettings, now: datetime
) -> tuple[Partner | None, str | None]:
    """The partner to offer the lead to, or None and why it goes to the fallback queue."""
    if lead.country is None or lead.postcode is None:
        return None, "the lead names no country or postcode"
    covering = candidates(
        tx.conn,
        country=lead.country,
        postcode=lead.postcode,
        brand=lead.brand,
        memo=tx.hooks.memo,
    )
    if not covering:
        return None, "no partner covers the lead's region and brand"
    untried = [p for p in covering if p.id not in tried]
    if not untried:
        return None, "every partner covering the lead was tried"
    ranked = scoring.rank(tx.conn, untried, settings, now, tx.hooks.memo)
    if not ranked:
        return None, "no partner covering the lead has capacity left today"
    return ranked[0].partner, None


_INSERT = insert(assignment).returning(assignment.c.id)
_EXISTS = select(party_table.c.id).where(party_table.c.id == bindparam("party_id"))


def _offer(
    tx: Transaction,
    party_id: int,
    lead: Lead,
    *,
    attempt: int,
    previous: Assignment | None,
    partner: Partner | None,
    reason: str | None,
    now: datetime,
) -> Assignment:
    settings = settings_of(tx)
    accept_by = (
        None
        if partner is None
        else deadlines.accept_by(
            now, settings.accept_hours, partner.opening_hours, partner.time_zone
        )
    )
    values = {
        "party_id": party_id,
        "partner_id": None if partner is None else partner.id,
        "state": "unrouted" if partner is None else "offered",
        "reason": reason,
        "brand": lead.brand,
        "country": lead.country,
        "postcode": lead.postcode,
        "vehicle": lead.vehicle,
        "source": lead.source,
        "offered_at": now,
        "accept_by": accept_by,
        "attempt": attempt,
        "previous_id": None if previous is None else previous.id,
        "routed_by": tx.actor.user_id,
        "updated_at": now,
        "version": 1,
    }
    try:
        # A savepoint: a concurrent offer of the same lead (the one-open-per-lead index) is a
        # conflict to report, not a broken transaction.
        with tx.conn.begin_nested():
            made = tx.conn.execute(_INSERT, values).scalar_one()
    except IntegrityError:
        raise ConflictError(f"party {party_id} was routed meanwhile; read it again") from None
    # The row is what was written: no need to read it back.
    offered = Assignment.of(
        SimpleNamespace(**values, id=made, accepted_at=None, first_contact_at=None, closed_at=None)
    )
    tx.emit("dms.lead_routed", "dms.assignment", offered.id, payload_of(offered))
    return offered


def _lead_of(found: Assignment) -> Lead:
    return Lead(found.brand, found.country, found.postcode, found.vehicle, found.source)


def route_on(tx: Transaction, closed: Assignment, now: datetime) -> Assignment:
    """Offer the lead of ``closed`` (declined or expired) to the next best partner not tried
    yet in this round; after ``max_attempts`` partners, to the fallback queue."""
    assert closed.party_id is not None
    settings = settings_of(tx)
    attempt = closed.attempt + 1
    partner: Partner | None
    reason: str | None
    if attempt > settings.max_attempts:
        partner, reason = None, f"no partner took the lead in {settings.max_attempts} tries"
    else:
        partner, reason = _choose(tx, _lead_of(closed), _tried(tx, closed), settings, now)
    return _offer(
        tx,
        closed.party_id,
        _lead_of(closed),
        attempt=attempt,
        previous=closed,
        partner=partner,
        reason=reason,
        now=now,
    )


def route_lead(
    tx: Transaction,
    party_id: int,
    *,
    brand: str | None,
    country: str | None,
    postcode: str | None,
    vehicle: dict[str, Any] | None = None,
    source: str,
    partner_id: int | None = None,
    reroute: bool = False,
) -> Assignment:
    """Offer the lead ``party_id`` to the best partner (``partners.model.candidates`` for the
    region and brand, with capacity left today, ranked by performance), with a deadline
    ``accept_by`` counted in the partner's opening hours; with no candidate the lead goes to
    the fallback queue (state ``unrouted``, partner None) - never lost.

    A lead a partner already has (offered or being worked) is left with it and its open
    assignment returned, unless ``reroute`` (staff moving it by hand: the open assignment is
    closed, keeping its state, with the reason "rerouted"). A lead waiting in the fallback
    queue is routed again. ``partner_id`` offers it to that (active) partner whatever its
    region and capacity. ``source`` is one of adf/star/api/web.

    Needs ``dms:lead.route`` unless ``tx.actor`` is the system (intake). Emits
    ``dms.lead_routed``. NotFound for a party the actor does not see, ValidationError
    naming the bad argument, ConflictError when the lead was routed meanwhile.
    """
    if tx.actor.is_system:
        # The system sees every party: whether the lead exists is all there is to check (the
        # intake's lead was just stored; reading it whole again costs as much as routing it).
        if tx.conn.execute(_EXISTS, {"party_id": party_id}).first() is None:
            raise NotFound(f"party {party_id} does not exist")
    else:
        require(tx.hooks, tx.actor, LEAD_ROUTE)
        seen_party(tx.hooks, tx.conn, tx.actor, party_id)
    lead = read_lead(brand, country, postcode, vehicle, source)
    now = utcnow()
    chosen = None
    if partner_id is not None:
        chosen = get_partner(tx.conn, partner_id)
        if chosen is None or not chosen.active:
            raise ValidationError("partner_id", f"no active partner {partner_id}")
    current = open_assignment(tx.conn, party_id)
    if current is not None:
        if current.partner_id is not None and not reroute:
            return current
        current = write_change(tx, current, now, closed_at=now, reason="rerouted")
    partner: Partner | None
    reason: str | None
    if chosen is not None:
        partner, reason = chosen, None
    else:
        partner, reason = _choose(tx, lead, set(), settings_of(tx), now)
    return _offer(
        tx, party_id, lead, attempt=1, previous=current, partner=partner, reason=reason, now=now
    )


def _offered(found: Assignment, now: datetime) -> None:
    if found.state != "offered" or found.closed_at is not None:
        raise ConflictError(f"assignment {found.id} is {found.state}: it is not open to answer")
    assert found.accept_by is not None
    if found.accept_by <= now:
        raise ConflictError(
            f"the deadline to accept assignment {found.id} has passed; it is being routed on"
        )


def _accepted(tx: Transaction, found: Assignment, now: datetime) -> Assignment:
    _offered(found, now)
    seconds = int((now - found.offered_at).total_seconds())
    accepted = write_change(
        tx, found, now, state="accepted", accepted_at=now, accept_seconds=max(seconds, 0)
    )
    tx.emit("dms.lead_accepted", "dms.assignment", accepted.id, payload_of(accepted))
    return accepted


def accept(tx: Transaction, assignment_id: int) -> Assignment:
    """The assigned partner takes the offered lead. The actor is a user of that partner or
    staff with ``dms:lead.route`` (or the system); anyone else gets NotFound. ConflictError
    when the offer is no longer open (past its deadline, declined, already answered).
    Emits ``dms.lead_accepted``."""
    return _accepted(tx, answerable(tx, assignment_id), utcnow())


def decline(tx: Transaction, assignment_id: int, reason: str) -> Assignment:
    """The assigned partner refuses the offered lead with ``reason``; the lead is routed on at
    once (next best partner, or the fallback queue). Returns the declined assignment.
    Emits ``dms.lead_declined`` and, for the next offer, ``dms.lead_routed``."""
    why = read_text("reason", reason, limit=REASON_LIMIT, required=True)
    found = answerable(tx, assignment_id)
    now = utcnow()
    _offered(found, now)
    declined = write_change(tx, found, now, state="declined", reason=why, closed_at=now)
    tx.emit("dms.lead_declined", "dms.assignment", declined.id, payload_of(declined))
    route_on(tx, declined, now)
    return declined


def _log_first_contact(tx: Transaction, found: Assignment, outcome: str, now: datetime) -> None:
    """The partner's first contact on the lead's timeline: an outbound interaction, which the
    kernel's perishability counts as the prospect's first contact (no escalation follows)."""
    assert found.party_id is not None and found.partner_id is not None
    partner = get_partner(tx.conn, found.partner_id)
    name = f"partner {found.partner_id}" if partner is None else partner.name
    item = build_interaction(
        {
            "party_id": found.party_id,
            "channel": "dms",
            "direction": "outbound",
            "occurred_at": now,
            "subject": f"{name} reported the lead {outcome}",
            "refs": [{"kind": "dms.assignment", "id": str(found.id)}],
        },
        source="dms",
    )
    log_interaction(tx, item)


def report_outcome(
    tx: Transaction, assignment_id: int, outcome: str, reason: str | None = None
) -> Assignment:
    """What came of a lead: ``contacted``, ``appointment``, ``sold`` or ``lost`` (``reason``
    required for lost). An outcome for a lead still offered accepts it first (a partner
    that contacted the customer has taken the lead). Reporting the outcome the lead has,
    or one it is past (contacted after an appointment), changes nothing: a DMS resending
    its message is answered with the assignment as it is. The first outcome sets
    ``first_contact_at`` and logs an outbound ``dms`` interaction on the lead's timeline
    (the kernel then counts the prospect contacted); sold and lost close the assignment.
    Same actor rule as ``accept``; ConflictError for a closed assignment. Emits ``dms.lead_outcome``."""
    chosen = read_choice("outcome", outcome, OUTCOMES)
    why = read_text("reason", reason, limit=REASON_LIMIT, required=chosen == "lost")
    found = answerable(tx, assignment_id)
    now = utcnow()
    if found.state in ("sold", "lost"):
        if chosen == found.state or PROGRESS[chosen] < PROGRESS[found.state]:
            return found
        raise ConflictError(f"assignment {found.id} is {found.state} already")
    if found.closed_at is not None:
        raise ConflictError(f"assignment {found.id} is closed ({found.state})")
    if found.state == "offered":
        found = _accepted(tx, found, now)
    if found.state not in WORKED:
        raise ConflictError(f"assignment {found.id} is {found.state}: it takes no outcome")
    if PROGRESS[chosen] <= PROGRESS[found.state]:
        return found
    values: dict[str, Any] = {"state": chosen, "reason": why}
    if found.first_contact_at is None:
        values["first_contact_at"] = now
        _log_first_contact(tx, found, chosen, now)
    if chosen in ("sold", "lost"):
        values["closed_at"] = now
    reported = write_change(tx, found, now, **values)
    tx.emit(
        "dms.lead_outcome",
        "dms.assignment",
        reported.id,
        {**payload_of(reported), "outcome": chosen},
    )
    return reported

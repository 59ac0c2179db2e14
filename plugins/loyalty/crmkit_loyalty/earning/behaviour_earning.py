"""Points for behaviours other plugins announce (``loyalty_behaviours``): the rule's number,
times the member's tier multiplier, at most ``max_per_party_per_year`` times a year
(docs/earning.md#behaviours)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crmkit import Transaction, utcnow
from crmkit_loyalty.earning.members import (
    earning_member,
    is_customer,
    lock,
    multiplied,
    multiplier_of,
    under_cap,
)
from crmkit_loyalty.extensions import Behaviour
from crmkit_loyalty.ledger import service as ledger
from crmkit_loyalty.programmes.service import active_programmes, active_rules


def source_of(behaviour: Behaviour) -> str:
    return f"behaviour:{behaviour.name}"


def earn_for_behaviours(tx: Transaction, event: Any, behaviours: Sequence[Behaviour]) -> int:
    """Earn for ``event`` under each programme's rule for each behaviour it tells of; the
    entries made. The event's id is the reference: delivered twice, it earns once."""
    now = utcnow()
    on = event.occurred_at.date()
    programmes = active_programmes(tx.conn)
    made = 0
    for behaviour in behaviours:
        party_id = behaviour.party_of(event.payload)
        if party_id is None:
            continue
        enrol = is_customer(tx, party_id)
        for programme in programmes:
            # One rule per behaviour earns (the oldest, should a programme have several), so
            # that one event is one entry and one count against the cap.
            rule = next(
                (
                    r
                    for r in active_rules(tx.conn, programme.id, "behaviour", on)
                    if r.behaviour == behaviour.name and r.points
                ),
                None,
            )
            if rule is None or rule.points is None:
                continue
            found = earning_member(tx, programme, party_id, enrol=enrol)
            if found is None:
                continue
            source = source_of(behaviour)
            lock(tx, found.id)
            if not under_cap(tx, found.id, source, rule.max_per_party_per_year, now):
                continue
            multiplier = multiplier_of(tx, found.tier_id)
            entry = ledger.earn(
                tx,
                found.id,
                multiplied(rule.points, multiplier),
                source=source,
                reference=str(event.id),
                rule_id=rule.id,
                description=behaviour.label,
                details={
                    "event_type": event.type,
                    "event_id": event.id,
                    "rule": rule.name,
                    "points": rule.points,
                    "multiplier": f"{multiplier.normalize():f}",
                },
            )
            made += entry is not None
    return made

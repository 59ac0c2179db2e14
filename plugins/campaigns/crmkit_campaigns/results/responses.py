"""Responses to a campaign: the person (a member by their link, or anyone by a landing page)
taken in through the kernel's intake with the campaign as source, the member marked
``responded``, the answer logged on the party's timeline, consent recorded with evidence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attrs import frozen
from sqlalchemy import func, insert, select, update

from crmkit import (
    NotFound,
    Transaction,
    ValidationError,
    build_interaction,
    log_interaction,
    party_table,
    read_text,
    record_consent,
    seen_party,
    take_in_prospect,
    utcnow,
)
from crmkit_campaigns.campaigns import inputs
from crmkit_campaigns.campaigns.definition import get_campaign
from crmkit_campaigns.campaigns.tables import member
from crmkit_campaigns.results.progress import advanced
from crmkit_campaigns.results.tables import response

VIA = ("api", "page")
MAX_MESSAGE = 4000
MAX_CONSENTS = 10


@frozen
class Response:
    """A stored response. ``party_id`` is None when intake handed the person to a colleague
    (the caller is told nothing of the party it matched)."""

    id: int
    campaign_id: int
    member_id: int | None
    party_id: int | None
    outcome: str


def source_of(campaign_id: int) -> str:
    """The intake source of a campaign's responses."""
    return f"campaign:{campaign_id}"


def record_response(
    tx: Transaction,
    campaign_id: int,
    *,
    via: str,
    member_id: int | None = None,
    person: Mapping[str, Any] | None = None,
    message: str | None = None,
    consents: Sequence[str] = (),
    evidence: str,
) -> Response:
    """Store a response to the campaign: by its member ``member_id`` (from a signed link), or by
    ``person`` (the fields of a prospect) taken in through intake.

    NotFound for an unknown campaign or a member of another campaign; ValidationError
    naming the field for bad input, or for a person intake rejects (nothing is stored).
    """
    found = get_campaign(tx.conn, campaign_id)
    if via not in VIA:
        raise ValidationError("via", f"expected one of {', '.join(VIA)}")
    message = _message(message)
    purposes = _purposes(consents)
    if member_id is not None:
        party_id, outcome = _member_party(tx, campaign_id, member_id), "member"
        handed_over = False
    else:
        party_id, outcome, handed_over = _taken_in(tx, campaign_id, person)
        member_id = _member_of(tx, campaign_id, party_id)
    was_prospect = tx.conn.execute(
        select(party_table.c.role == "prospect").where(party_table.c.id == party_id)
    ).scalar_one()
    now = utcnow()
    for purpose in purposes:
        # Given on the campaign's form now: the form and its time are the evidence.
        record_consent(
            tx,
            party_id,
            purpose,
            "email",
            "granted",
            source=source_of(campaign_id),
            evidence=evidence,
        )
    if member_id is not None:
        tx.conn.execute(
            update(member)
            .where(member.c.id == member_id)
            .values(
                status=advanced("responded"),
                responded_at=func.coalesce(member.c.responded_at, now),
            )
        )
    log_interaction(
        tx,
        build_interaction(
            {
                "party_id": party_id,
                "channel": "web",
                "direction": "inbound",
                "occurred_at": now,
                "subject": f"Responded to the campaign {found.name}",
                "summary": message,
                "outcome": "response",
                "refs": [{"kind": "campaigns.campaign", "id": str(campaign_id)}],
            },
            source="campaigns",
        ),
    )
    response_id = tx.conn.execute(
        insert(response)
        .values(
            campaign_id=campaign_id,
            member_id=member_id,
            party_id=party_id,
            via=via,
            outcome=outcome,
            was_prospect=1 if was_prospect else 0,
            message=message,
            consents=list(purposes),
            received_at=now,
        )
        .returning(response.c.id)
    ).scalar_one()
    tx.emit(
        "campaigns.response.received",
        "campaigns.response",
        response_id,
        {"id": response_id, "campaign_id": campaign_id, "member_id": member_id, "via": via},
    )
    shown_party = None if handed_over else party_id
    return Response(response_id, campaign_id, member_id, shown_party, outcome)


def _message(value: Any) -> str | None:
    return read_text("message", value, limit=MAX_MESSAGE)


def _purposes(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list | tuple) or len(values) > MAX_CONSENTS:
        raise ValidationError("consents", f"expected a list of at most {MAX_CONSENTS} purposes")
    for i, value in enumerate(values):
        inputs.purpose(f"consents[{i}]", value)
    return tuple(dict.fromkeys(values))


def _member_party(tx: Transaction, campaign_id: int, member_id: int) -> int:
    party_id = tx.conn.execute(
        select(member.c.party_id).where(
            member.c.id == member_id, member.c.campaign_id == campaign_id
        )
    ).scalar()
    missing = NotFound(f"member {member_id} of campaign {campaign_id} does not exist")
    if party_id is None:
        raise missing
    try:
        # A member of a party the actor may not see does not exist for them (the public
        # page runs as the system, which sees every party).
        seen_party(tx.hooks, tx.conn, tx.actor, party_id)
    except NotFound:
        raise missing from None
    return int(party_id)


def _taken_in(
    tx: Transaction, campaign_id: int, person: Mapping[str, Any] | None
) -> tuple[int, str, bool]:
    if not isinstance(person, Mapping):
        raise ValidationError("person", "expected the person's fields (name, email address ...)")
    # What a landing page relays was typed by a stranger: it does not vouch for it, so a
    # match it would change goes to review rather than into the party (see the kernel's intake).
    taken = take_in_prospect(tx, person, source=source_of(campaign_id), vouched=False)
    if taken.party_id is None:
        hard = next((f for f in taken.findings if f.severity == "hard"), None)
        field = f"person.{hard.field}" if hard and hard.field else "person"
        raise ValidationError(field, hard.message if hard else "the person was not taken in")
    return taken.party_id, taken.outcome, taken.handed_over


def _member_of(tx: Transaction, campaign_id: int, party_id: int) -> int | None:
    """The party's latest membership of the campaign, when the person was targeted."""
    found = tx.conn.execute(
        select(func.max(member.c.id)).where(
            member.c.campaign_id == campaign_id, member.c.party_id == party_id
        )
    ).scalar()
    return None if found is None else int(found)

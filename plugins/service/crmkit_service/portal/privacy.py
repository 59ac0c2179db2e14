"""The portal's rows about a party on merge, privacy export and erasure.

Attachments and ratings hang on cases (the cases part moves and erases those);
links and sessions hang on the party; link requests are keyed by the email
address, so an erasure finds them by the party's addresses.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select, update

from crmkit import ConfigurationError, EmailAddress, Transaction, contact_point_table
from crmkit_service.cases.tables import case
from crmkit_service.portal.tables import (
    attachment,
    case_rating,
    link_request,
    portal_link,
    portal_session,
)
from crmkit_service.portal.tokens import keyed, portal_key


def move_portal_rows(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """The merged party's sign-in links and sessions now act for the survivor: the same person."""
    for table in (portal_link, portal_session):
        tx.conn.execute(
            update(table).where(table.c.party_id == merged_id).values(party_id=survivor_id)
        )


def _when(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def export_portal(conn: Connection, party_id: int) -> dict[str, Any]:
    """The party's portal sign-ins, the files of its cases (without their bytes) and its ratings."""
    of_party = select(case.c.id).where(case.c.party_id == party_id)
    sessions = conn.execute(
        select(portal_session.c.created_at, portal_session.c.expires_at, portal_session.c.ended_at)
        .where(portal_session.c.party_id == party_id)
        .order_by(portal_session.c.id)
    )
    links = conn.execute(
        select(portal_link.c.created_at, portal_link.c.used_at)
        .where(portal_link.c.party_id == party_id)
        .order_by(portal_link.c.id)
    )
    files = conn.execute(
        select(
            attachment.c.case_id,
            attachment.c.filename,
            attachment.c.content_type,
            attachment.c.size_bytes,
            attachment.c.sha256,
            attachment.c.created_at,
        )
        .where(attachment.c.case_id.in_(of_party))
        .order_by(attachment.c.id)
    )
    rated = conn.execute(
        select(
            case_rating.c.case_id,
            case_rating.c.score,
            case_rating.c.comment,
            case_rating.c.created_at,
        )
        .where(case_rating.c.case_id.in_(of_party))
        .order_by(case_rating.c.id)
    )
    return {
        "portal_sign_in_links": [
            {"sent_at": _when(r.created_at), "used_at": _when(r.used_at)} for r in links
        ],
        "portal_sessions": [
            {
                "started_at": _when(r.created_at),
                "expires_at": _when(r.expires_at),
                "ended_at": _when(r.ended_at),
            }
            for r in sessions
        ],
        "attachments": [{**r._mapping, "created_at": _when(r.created_at)} for r in files],
        "ratings": [{**r._mapping, "created_at": _when(r.created_at)} for r in rated],
    }


def erase_portal(tx: Transaction, party_id: int) -> None:
    """Delete the party's links, sessions, the files and ratings of its cases, and its link requests."""
    of_party = select(case.c.id).where(case.c.party_id == party_id)
    tx.conn.execute(delete(attachment).where(attachment.c.case_id.in_(of_party)))
    tx.conn.execute(delete(case_rating).where(case_rating.c.case_id.in_(of_party)))
    tx.conn.execute(delete(portal_link).where(portal_link.c.party_id == party_id))
    tx.conn.execute(delete(portal_session).where(portal_session.c.party_id == party_id))
    cp = contact_point_table
    addresses = tx.conn.execute(
        select(cp.c.key).where(cp.c.party_id == party_id, cp.c.kind == "email")
    ).scalars()
    try:
        key = portal_key(tx.app)
    except ConfigurationError:
        return  # without a key no link could be asked for, so no request names the party
    keys = [keyed(key, f"address:{EmailAddress.parse(a).normalised}") for a in addresses]
    if keys:
        tx.conn.execute(delete(link_request).where(link_request.c.address_key.in_(keys)))

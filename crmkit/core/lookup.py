"""Caller lookup for help desks: the parties behind a phone number or an email address.

The number or address is normalised the way contact points are stored (E.164,
normalised email) and answered from the ``core_contact_point (kind, key)`` index.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection, Select, select

from crmkit.core.entities import Party
from crmkit.core.errors import ValidationError
from crmkit.core.parties import load_parties
from crmkit.core.tables import contact_point, party
from crmkit.core.values import EmailAddress, PhoneNumber

MAX_MATCHES = 50


def contact_key(
    *, phone: str | None = None, email: str | None = None, region: str | None
) -> tuple[str, str]:
    """``(kind, key)`` of a typed phone number (read with ``region``) or email; raises naming it."""
    if (phone is None) == (email is None):
        raise ValidationError("phone", "give exactly one of phone and email")
    if phone is not None:
        return "phone", PhoneNumber.parse(phone, region=region, field_name="phone").e164
    assert email is not None
    return "email", EmailAddress.parse(email, field_name="email").normalised


def lookup_query(
    kind: str, key: str, conditions: Sequence[ColumnElement[bool]] = ()
) -> Select[tuple[int]]:
    """The ids of parties having the contact point and matching every condition, by name."""
    return (
        select(party.c.id)
        .where(
            party.c.id.in_(
                select(contact_point.c.party_id).where(
                    contact_point.c.kind == kind, contact_point.c.key == key
                )
            ),
            *conditions,
        )
        .order_by(party.c.display_name, party.c.id)
        .limit(MAX_MATCHES)
    )


def lookup(
    conn: Connection,
    kind: str,
    key: str,
    *,
    conditions: Sequence[ColumnElement[bool]] = (),
) -> list[Party]:
    """Parties having the contact point and matching every condition, by name then id."""
    ids = [row.id for row in conn.execute(lookup_query(kind, key, conditions))]
    loaded = load_parties(conn, ids)
    return [loaded[i] for i in ids]

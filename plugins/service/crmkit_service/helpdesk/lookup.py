"""Who is calling: the parties behind a phone number or an email address, as the actor may see them.

The number or address is normalised as the kernel stores contact points (E.164
for phone numbers, read in the CRM's default region when written nationally;
the normalised form of an email address) and looked up in the kernel's index of
contact points, through ``list_parties`` with the actor's visibility: a party
the actor may not see is not among the answers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from crmkit import (
    Actor,
    EmailAddress,
    Party,
    PhoneNumber,
    ValidationError,
    contact_point_table,
    is_allowed,
    list_parties,
    party_table,
    visible,
)

ROLES = ("customer", "prospect")


def contact_key(*, phone: str | None, email: str | None, region: str | None) -> tuple[str, str]:
    """``(kind, key)`` of the number or address given (exactly one), as contact points are indexed."""
    if (phone is None) == (email is None):
        raise ValidationError("phone", "give exactly one of phone and email")
    if phone is not None:
        return "phone", PhoneNumber.parse(phone, region=region, field_name="phone").e164
    assert email is not None
    return "email", EmailAddress.parse(email, field_name="email").normalised


def key_of_search(text: str, region: str | None) -> tuple[str, str]:
    """A console search: an email address when it holds ``@``, else a phone number."""
    text = text.strip()
    if not text:
        raise ValidationError("q", "type a phone number or an email address")
    try:
        if "@" in text:
            return contact_key(phone=None, email=text, region=region)
        return contact_key(phone=text, email=None, region=region)
    except ValidationError as exc:
        raise ValidationError("q", exc.reason) from None


def callers(
    conn: Connection, host: Any, actor: Actor, kind: str, key: str, *, limit: int
) -> list[Party]:
    """The parties with the contact point that ``actor`` may see: customers first, then by name."""
    having = party_table.c.id.in_(
        select(contact_point_table.c.party_id).where(
            contact_point_table.c.kind == kind, contact_point_table.c.key == key
        )
    )
    found: list[Party] = []
    for role in ROLES:
        page = list_parties(
            conn, role, conditions=[having, visible(host, actor, role, party_table)], limit=limit
        )
        found.extend(
            p for p in page.items if is_allowed(host, actor, "core:party.read", p, conn=conn)
        )
    return found[:limit]

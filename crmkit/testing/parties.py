"""Parties for tests: a person in Berlin unless told otherwise."""

from __future__ import annotations

from typing import Any

from crmkit.app import Crm
from crmkit.core.consent import record_consent
from crmkit.core.parties import build_party, create_party

BERLIN = {"street": "Unter den Linden 1", "postcode": "10117", "city": "Berlin", "country": "DE"}
"""Territory DE-10: the address a test's party has unless it gives its own."""


def add_party(
    crm: Crm,
    role: str = "customer",
    *,
    owner_id: int | None = None,
    consent: tuple[str, ...] = (),
    **data: Any,
) -> int:
    """A party of ``role`` written as the system: by default the person Ada Lovelace,
    ``ada@example.org``, in Berlin (territory DE-10); with email consent for each purpose in
    ``consent``. ``data`` as ``build_party`` takes it overrides any of that. Its id."""
    data.setdefault("kind", "person")
    if data["kind"] == "person":
        data.setdefault("first_name", "Ada")
        data.setdefault("last_name", "Lovelace")
    data.setdefault("emails", ["ada@example.org"])
    data.setdefault("addresses", [BERLIN])
    with crm.transaction() as tx:
        party = create_party(tx, build_party(role, {**data, "owner_id": owner_id}, region="DE"))
        assert party.id is not None
        for purpose in consent:
            record_consent(tx, party.id, purpose, "email", "granted", source="test")
    return party.id

"""Resolving a party for a machine source: which party an event from another system is about.

A connector (help desk, shop, ERP, a channel) learns of a person by its own
record id, an email address or a phone number, again and again. It is looked
up by those strong keys, in this order: the external id of the source system,
then the exact email address, then the phone number (E.164). One party found,
and visible to the actor, is a **match**: the party is neither changed nor
merged, so no merge log entry, no ``party.merged``, no event at all; the caller
logs its interaction on it. One party found that the actor may not see is
**hidden**: nothing is created or linked and its id is not told, for a
connector running as an actor who cannot see the party would otherwise make a
new prospect, and a review for its owner, on every event. Several parties
sharing the key go through intake, whose matching and review decide, as for any
prospect (a prospect adding nothing to the party it matches is a match too);
none goes through intake as a new prospect, where a source that vouches for its
data needs no name (the machine-source profile of
:func:`~crmkit.core.intake.pipeline.check`), and, when it gives its own id of the
person, no email, phone or address either: it reaches them through that id (a
social network's sender). The external id is then linked to
the party (a key linked to a party already found it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from attrs import frozen
from sqlalchemy import Connection, bindparam, select

from crmkit.core.db import Transaction
from crmkit.core.errors import ValidationError
from crmkit.core.external_ids import (
    check_external_key,
    external_key_lock,
    link_external_id,
    linked_party_id,
)
from crmkit.core.intake.normalise import normalise
from crmkit.core.intake.pipeline import IntakeResult, app_of, take_in, vouches
from crmkit.core.parties import NAME_FIELDS, build_party, get_party
from crmkit.core.permissions import is_allowed
from crmkit.core.tables import contact_point

FoundBy = Literal["external_id", "email", "phone"]
Outcome = Literal["found", "hidden", "created", "merged", "review", "rejected"]


@frozen
class Resolution:
    """Which party an event is about, and how it was found or made."""

    outcome: Outcome
    """``found`` by a strong key or by intake's matching, ``hidden`` when the one party a
    strong key found is one the actor may not see, else what intake made of it (see
    :class:`IntakeResult`)."""
    party_id: int | None
    """None when hidden or rejected."""
    found_by: FoundBy | None = None
    """The strong key that found it (outcome ``found`` or ``hidden``); None when intake did."""
    intake: IntakeResult | None = None
    """What intake made of it, when it ran: findings, quality, score, reviews."""


def resolve_party(
    tx: Transaction,
    data: Mapping[str, Any],
    *,
    source: str,
    system: str | None = None,
    external_id: str | None = None,
    vouched: bool | None = None,
) -> Resolution:
    """The party ``data`` (as for intake) is, found by strong key or taken in, in ``tx``.

    See the module: the external id of ``system``, then email, then phone; a
    unique party the actor may see is a match and changes nothing, one it may not
    see is hidden and changes nothing either; else intake with the machine-source
    profile (no name needed when ``vouched``), and the external id is linked to
    the party found by email or phone, or given by intake.
    """
    key = _external_key(system, external_id)
    crm = app_of(tx)
    region = crm.settings.default_region
    emails, phones = _contact_keys(data, region)
    # Two events of one new person at once must make one party: the second waits for the
    # first to commit, then finds what it made, by external id or by email or phone.
    tx.hold(
        *([external_key_lock(*key)] if key is not None else []),
        *(f"contact\0email\0{e}" for e in emails),
        *(f"contact\0phone\0{p}" for p in phones),
    )
    if key is not None:
        linked = linked_party_id(tx.conn, *key)
        if linked is not None:
            return _found(tx, linked, "external_id")
    by_contact: tuple[tuple[FoundBy, list[str]], ...] = (("email", emails), ("phone", phones))
    for kind, keys in by_contact:
        holders = _holders(tx.conn, kind, keys)
        if len(holders) == 1:
            found = _found(tx, holders[0], kind)
            if key is not None and found.party_id is not None:
                link_external_id(tx, found.party_id, *key)
            return found
        if holders:
            break  # shared: intake's matching and review decide
    trust = vouches(tx.actor, vouched)
    result = take_in(
        tx,
        data,
        source=source,
        region=region,
        settings=crm.settings.intake,
        vouched=trust,
        nameless=trust,
        # A source that vouches reaches the person through its own id of them.
        reached_through=key[0] if key is not None and trust else None,
    )
    if key is not None and result.party_id is not None:
        link_external_id(tx, result.party_id, *key)
    outcome = "found" if result.outcome == "matched" else result.outcome
    return Resolution(outcome, result.party_id, intake=result)


def _found(tx: Transaction, party_id: int, found_by: FoundBy) -> Resolution:
    """The one party a strong key found: returned if the actor may see it, else hidden."""
    # Taking it in again would store a new prospect and a review for the owner on every
    # event of the same person, and link the external id to that duplicate.
    if _sees(tx, party_id):
        return Resolution("found", party_id, found_by)
    return Resolution("hidden", None, found_by)


def _external_key(system: str | None, external_id: str | None) -> tuple[str, str] | None:
    if system is None and external_id is None:
        return None
    if system is None:
        raise ValidationError("system", "an external id needs the system it comes from")
    if external_id is None:
        raise ValidationError("external_id", "a system needs the external id of the record")
    return check_external_key(system, external_id)


def _contact_keys(data: Mapping[str, Any], region: str) -> tuple[list[str], list[str]]:
    """The normalised emails and E.164 phones of ``data``.

    Data of the wrong shape is refused naming the field, as intake refuses it,
    also when a key finds the party and intake never runs. A missing name is
    no error here: it is intake's to judge.
    """
    cleaned, _ = normalise(data, region=region)
    placeholders = {name: "-" for name in NAME_FIELDS if not cleaned.get(name)}
    probe = build_party("prospect", {**cleaned, **placeholders}, region=region)
    return [e.normalised for e in probe.emails], [p.e164 for p in probe.phones]


def _holders(conn: Connection, kind: str, keys: Sequence[str]) -> list[int]:
    """Up to two of the parties having one of the contact points: enough to tell one from several."""
    if not keys:
        return []
    return [int(row.party_id) for row in conn.execute(_HOLDERS, {"kind": kind, "keys": keys})]


_HOLDERS = (
    select(contact_point.c.party_id)
    .where(
        contact_point.c.kind == bindparam("kind"),
        contact_point.c.key.in_(bindparam("keys", expanding=True)),
    )
    .distinct()
    .order_by(contact_point.c.party_id)
    .limit(2)
)
"""Built once: every event of a machine source asks it."""


def _sees(tx: Transaction, party_id: int) -> bool:
    found = get_party(tx.conn, party_id)
    return is_allowed(tx.hooks, tx.actor, "core:party.read", found, conn=tx.conn)

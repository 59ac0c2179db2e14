"""Names that only stand in for a missing one: a party known by how to reach it alone.

A machine source vouching for its data may send a person without a name;
intake then stores the first email address or phone number as the name (its
finding ``name_unknown``), for a party is shown and listed by its name. Such a
name is told by being one of the party's own email addresses or phone numbers,
which no real name is: that holds wherever the party goes (an edit, a merge, an
export), with no column or finding to keep in step. Matching treats a stand-in
as no name, and a merge replaces it with the other party's real name.
"""

from __future__ import annotations

from crmkit.core.entities import NAME_FIELDS, Party


def is_stand_in(party: Party, value: str | None) -> bool:
    """Whether ``value``, a name of ``party``, is one of its email addresses or phone numbers."""
    if not value:
        return False
    folded = value.casefold()
    return any(folded in (e.original.casefold(), e.normalised) for e in party.emails) or any(
        value == p.e164 for p in party.phones
    )


def real_name(party: Party, field: str) -> str | None:
    """The name field ``field`` of ``party``; None when it is missing or a stand-in."""
    value: str | None = getattr(party, field)
    return None if is_stand_in(party, value) else value


def names_after_merge(survivor: Party, other: Party) -> dict[str, str | None]:
    """The name fields ``survivor`` has after taking ``other`` in.

    The survivor keeps its real name and takes the fields it lacks from the
    other's real name; a survivor known by a stand-in alone takes the other's
    real name whole. A stand-in never fills a field.
    """
    theirs = {name: real_name(other, name) for name in NAME_FIELDS}
    if any(theirs.values()) and not any(real_name(survivor, n) for n in NAME_FIELDS):
        return theirs
    mine: dict[str, str | None] = {name: getattr(survivor, name) for name in NAME_FIELDS}
    return {name: theirs[name] if mine[name] is None else mine[name] for name in NAME_FIELDS}

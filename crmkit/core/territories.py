"""Territories: which territory keys a salesperson's territories cover.

A territory key is ``<country>-<postcode>`` (``DE-10115``; see
:func:`territory_key` for an address's). A territory is a prefix
of it: ``DE-10`` covers the keys it starts, and a bare country ``DE`` covers
``DE-…`` keys (never ``DEU…`` ones). Territories are compared as users type
them, without spaces and in upper case; an empty territory covers nothing.

The rule exists once, here, for the permissions on parties, the assignment of
new prospects and any plugin that keys its rows by territory.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, or_

if TYPE_CHECKING:
    from crmkit.core.entities import Party
    from crmkit.core.values import PostalAddress


def clean_territory(text: str) -> str:
    """A territory or territory key as compared: without spaces, in upper case (``de-10`` is ``DE-10``).

    Store keys cleaned: the prefix match is case-sensitive on PostgreSQL, not on SQLite.
    """
    return text.replace(" ", "").upper()


def territory_key(address: PostalAddress) -> str:
    """The address as territories match it: ``<country>-<postcode>`` (``DE-10115``, ``GB-``).

    A territory ``DE`` matches every German address, ``DE-10`` those whose postcode
    starts with 10: the key starts with the territory, plus ``-`` for a country alone.
    """
    return f"{address.country or ''}-{clean_territory(address.postcode or '')}"


def party_territory(entity: Party) -> str | None:
    """The territory key of the party's first address; None without an address."""
    return territory_key(entity.addresses[0]) if entity.addresses else None


def territory_prefixes(territories: Iterable[str]) -> tuple[str, ...]:
    """What a territory key must start with to be in one of ``territories``."""
    cleaned = (clean_territory(t) for t in territories)
    return tuple(t if "-" in t else f"{t}-" for t in cleaned if t)


def territory_fit(key: str | None, territories: Iterable[str]) -> int:
    """How closely ``territories`` cover ``key``: the longest covering prefix's length, 0 if none."""
    if not key:
        return 0
    return max((len(p) for p in territory_prefixes(territories) if key.startswith(p)), default=0)


def in_territory(key: str | None, territories: Iterable[str]) -> bool:
    """Whether the territory key ``key`` (``DE-10115``) is in one of ``territories``."""
    return territory_fit(key, territories) > 0


def territory_condition(
    column: ColumnElement[Any], territories: Iterable[str]
) -> ColumnElement[bool] | None:
    """SQL: ``column`` holds a territory key in one of ``territories``; None when they cover nothing."""
    prefixes = territory_prefixes(territories)
    if not prefixes:
        return None
    return or_(*[column.startswith(p, autoescape=True) for p in prefixes])

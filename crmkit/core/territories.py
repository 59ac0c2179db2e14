"""Territories: which territory keys a salesperson's territories cover.

A territory key is ``<country>-<postcode>`` (``DE-10115``; see
:func:`crmkit.core.parties.territory_key` for a party's). A territory is a prefix
of it: ``DE-10`` covers the keys it starts, and a bare country ``DE`` covers
``DE-…`` keys (never ``DEU…`` ones). Territories are compared as users type
them, without spaces and in upper case; an empty territory covers nothing.

The rule exists once, here, for the permissions on parties, the assignment of
new prospects and any plugin that keys its rows by territory.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, or_


def clean_territory(text: str) -> str:
    """A territory or territory key as compared: without spaces, in upper case (``de-10`` is ``DE-10``).

    Store keys cleaned: the prefix match is case-sensitive on PostgreSQL, not on SQLite.
    """
    return text.replace(" ", "").upper()


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

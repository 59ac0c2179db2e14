"""Query parameters of the API and the pages read: unknown ones refused, a page of parties asked for.

List parameters: ``limit``, ``sort`` (``name``, ``created``, ``updated``; a leading
``-`` sorts descending), ``cursor`` (from the previous page), ``q`` (words that
begin a name, an email or a phone number) and ``custom.<field>[<op>]=<value>`` filters on
custom fields (``custom.<field>=<value>`` means ``eq``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TypeVar

from crmkit.core.errors import ValidationError
from crmkit.core.inputs import parse_whole_number
from crmkit.core.visible_records import DEFAULT_LIMIT, PartyQuery

CUSTOM_FILTER = re.compile(r"^custom\.([a-z][a-z0-9_]*)(?:\[([a-z]+)\])?$")
D = TypeVar("D")


def check_parameters(
    params: Iterable[str], known: Iterable[str], prefix: str | None = None
) -> None:
    """Refuse a query parameter nobody reads, so that a typo is not silently ignored."""
    allowed = set(known)
    for name in params:
        if name not in allowed and not (prefix and name.startswith(prefix)):
            raise ValidationError(name, "unknown query parameter")


def int_parameter(params: Mapping[str, str], name: str, default: D) -> int | D:
    """A whole-number query parameter, or ``default`` when it is absent."""
    raw = params.get(name)
    return default if raw is None else parse_whole_number(name, raw)


def parse_party_query(params: Mapping[str, str]) -> PartyQuery:
    """A :class:`PartyQuery` from query parameters; raises naming the parameter that is wrong."""
    check_parameters(params, ("limit", "sort", "cursor", "q", "status"), prefix="custom.")
    filters = []
    for name, value in params.items():
        if name.startswith("custom."):
            match = CUSTOM_FILTER.match(name)
            if match is None:
                raise ValidationError(name, "expected custom.<field> or custom.<field>[<operator>]")
            filters.append((match[1], match[2] or "eq", value))
    sort = params.get("sort", "name")
    return PartyQuery(
        limit=int_parameter(params, "limit", DEFAULT_LIMIT),
        sort=sort.removeprefix("-"),
        descending=sort.startswith("-"),
        cursor=params.get("cursor") or None,
        search=(params.get("q") or "").strip() or None,
        status=params.get("status") or None,
        filters=tuple(filters),
    )

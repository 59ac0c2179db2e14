"""Page sizes of the order book's lists (their pages come from ``crmkit.newest_first``)."""

from __future__ import annotations

from crmkit import parse_whole_number

MAX_LIMIT = 200


def limit_of(value: str | None, default: int = 50) -> int:
    """A page size given as a query parameter, 1 to :data:`MAX_LIMIT`."""
    if value is None:
        return default
    return parse_whole_number("limit", value, minimum=1, maximum=MAX_LIMIT)

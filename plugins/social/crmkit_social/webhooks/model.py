"""What a webhook handler receives (``Change``) and may raise (``PermanentFailure``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen


@frozen
class Change:
    """One change Meta delivered: an entry's ``changes[]`` item, or a ``messaging[]`` event
    (``field="messages"``, the event as ``value``).

    ``key`` is stable across Meta's resends of the same change: stored once by it.
    """

    object: str
    page_id: str
    field: str
    value: dict[str, Any]
    time: datetime
    key: str


class PermanentFailure(Exception):
    """Raised by a handler for a change that no retry will take: it is ``failed`` at once."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

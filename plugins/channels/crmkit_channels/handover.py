"""What handing one message to a relay or gateway came back with, whatever the channel."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from attrs import frozen

Verdict = Literal["sent", "retry", "failed", "unknown"]


@frozen
class Handover:
    """The outcome of handing one message over.

    ``retry``: the other side cannot have it (try again later); ``unknown``: it may
    have it (never sent again by itself). ``receipt`` is the other side's id of an
    accepted message (an SMS gateway's message SID).
    """

    verdict: Verdict
    detail: str | None = None
    receipt: str | None = None
    retry_at: datetime | None = None
    """For ``retry``: when the other side said to try again (None: the usual backoff)."""

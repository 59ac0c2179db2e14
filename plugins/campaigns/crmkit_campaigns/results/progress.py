"""How far a campaign member got: the order of member statuses, and moving a member forward only.

A member's ``status`` is its furthest step. The order (lowest first)::

    targeted < queued < failed = suppressed = cancelled < sent < delivered < bounced
             < opened < clicked < unsubscribed < responded < converted

``failed``, ``suppressed`` and ``cancelled`` end a member that was never handed over, so
they rank above ``queued`` and below ``sent``, and are final: nothing moves such a member
on (a response by the landing page is still recorded: the response is a touch). A hard
bounce comes after the relay took the email, and replaces ``delivered`` (the mail servers
said it did not arrive); an open or a click proves it did, so a late bounce does not undo them. An unsubscribe is the
member's last word on the email itself, but a response or a conversion is worth more to
the campaign and stays. Each milestone column (``sent_at``, ``opened_at`` ...) is kept
independently: it is set once, when first seen, whatever the status.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, literal, or_

from crmkit_campaigns.campaigns.tables import member

ORDER: dict[str, int] = {
    "targeted": 0,
    "queued": 1,
    "failed": 2,
    "suppressed": 2,
    "cancelled": 2,
    "sent": 3,
    "delivered": 4,
    "bounced": 5,
    "opened": 6,
    "clicked": 7,
    "unsubscribed": 8,
    "responded": 9,
    "converted": 10,
}
"""Each member status's rank: a member moves only to a status of a higher rank."""


NEVER_LEFT = ("failed", "suppressed", "cancelled")
"""The statuses of a member whose message never left: not a touch, and final."""


def rank(status: str) -> int:
    """The rank of ``status`` in :data:`ORDER`."""
    return ORDER[status]


def furthest(*statuses: str) -> str:
    """The furthest of ``statuses`` (the first of equals)."""
    return max(statuses, key=rank)


def rank_of_column() -> Any:
    """The rank of the member row's current status, in SQL."""
    return case(ORDER, value=member.c.status, else_=literal(-1))


def advanced(status: Any) -> Any:
    """The member's status once ``status`` (a value or bind parameter) is reached: never
    backwards, and never out of :data:`NEVER_LEFT`.

    Evaluated in the UPDATE itself, so a response recorded between a refresh's read and
    its write is not overwritten by an older delivery state.
    """
    new_rank = case(ORDER, value=status, else_=literal(-1))
    return case(
        # Not IN (...): an expanding parameter cannot be used in an executemany UPDATE.
        (or_(*(member.c.status == final for final in NEVER_LEFT)), member.c.status),
        (rank_of_column() < new_rank, status),
        else_=member.c.status,
    )

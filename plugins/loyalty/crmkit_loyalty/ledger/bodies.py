"""The JSON request bodies of the ledger's routes, as the OpenAPI document describes them.

The services validate what arrives (naming the wrong field); these classes tell clients what
to send.
"""

from __future__ import annotations

from typing import ClassVar

from attrs import field, frozen

from crmkit_loyalty.ledger.adjustments import KEY_LIMIT, REASON_LIMIT
from crmkit_loyalty.ledger.redemptions import NOTE_LIMIT, REFERENCE_LIMIT


@frozen
class EnrolInput:
    """Enrol a party in a programme (answered with the membership it has, if it has one)."""

    __json_input__: ClassVar[bool] = True

    programme_id: int
    party_id: int


@frozen
class RedeemInput:
    """Redeem a reward (its points) or an amount of points; ``reference`` is your key for the
    request: sent again, it answers the redemption made the first time."""

    __json_input__: ClassVar[bool] = True

    reference: str = field(metadata={"json": {"minLength": 1, "maxLength": REFERENCE_LIMIT}})
    reward_id: int | None = None
    points: int | None = field(default=None, metadata={"json": {"minimum": 1}})
    note: str | None = field(default=None, metadata={"json": {"maxLength": NOTE_LIMIT}})


@frozen
class AdjustInput:
    """Give (positive) or take (negative) points by hand, saying why; ``key`` makes a retried
    request record it once."""

    __json_input__: ClassVar[bool] = True

    points: int
    reason: str = field(metadata={"json": {"minLength": 1, "maxLength": REASON_LIMIT}})
    key: str | None = field(default=None, metadata={"json": {"maxLength": KEY_LIMIT}})

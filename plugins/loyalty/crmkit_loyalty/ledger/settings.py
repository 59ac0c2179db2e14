"""``[plugins.loyalty.ledger]``: how the ledger part behaves."""

from __future__ import annotations

from attrs import frozen


@frozen
class LedgerSettings:
    """``[plugins.loyalty.ledger]``."""

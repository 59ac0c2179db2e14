"""Settings of the transactions part: ``[plugins.analytics.transactions]``."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class TransactionsSettings:
    """How the lifetime value job predicts."""

    horizon_days: int = field(default=365, validator=[validators.ge(1), validators.le(3650)])
    """The horizon of the customer value (``clv``)."""
    discount_rate: float = field(
        default=0.10, converter=float, validator=[validators.ge(0.0), validators.le(10.0)]
    )
    """The annual discount rate of the customer value (0.10: 10 % a year)."""
    prediction_days: int = field(default=90, validator=[validators.ge(1), validators.le(3650)])
    """The period of the expected purchases stored per party."""
    min_customers: int = field(default=20, validator=validators.ge(2))
    """Fewer customers with purchases than this: the job fits nothing (and says so)."""

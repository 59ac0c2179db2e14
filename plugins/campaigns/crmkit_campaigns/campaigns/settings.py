"""``[plugins.campaigns.campaigns]``: how the campaigns part behaves."""

from __future__ import annotations

from attrs import field, frozen, validators

_positive = [validators.instance_of(int), validators.ge(1)]


@frozen
class CampaignSettings:
    """``[plugins.campaigns.campaigns]``."""

    send_batch: int = field(default=1000, validator=_positive)
    """How many members the send job queues in one transaction (one ``send_many``)."""
    run_seconds: float = field(default=5.0, validator=validators.gt(0))
    """How long one run of the send job goes on taking batches before it leaves the rest to
    its next run, so that the worker's other jobs (delivery) get their turn."""
    default_currency: str = field(default="EUR")
    """The currency of a budget given without one."""
    default_time_zone: str = field(default="UTC")
    """The time zone of quiet hours given without one."""

"""The ``[plugins.sfa.quotes]`` settings: how long a quotation is valid by default."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class QuoteSettings:
    """Defaults of new quotations."""

    validity_days: int = field(
        default=30, validator=[validators.instance_of(int), validators.ge(0)]
    )
    """A quotation given no ``valid_until`` is valid for this many days from its creation."""

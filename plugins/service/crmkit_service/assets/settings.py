"""``[plugins.service.assets]``: how assets and their warranty are recorded."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class AssetSettings:
    """Warranty defaults of new assets."""

    default_warranty_months: int | None = field(
        default=None,
        validator=validators.optional(validators.and_(validators.ge(1), validators.le(600))),
    )
    """Months of warranty from the purchase date when an asset is recorded without a warranty end;
    None: no warranty unless one is given (work on it is billable)."""

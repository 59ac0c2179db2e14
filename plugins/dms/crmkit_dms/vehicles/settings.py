"""``[plugins.dms.vehicles]``."""

from __future__ import annotations

from attrs import field, frozen, validators

from crmkit import VIN_CHECK_DIGIT_MARKETS, currencies


def _markets(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(m, str) for m in value):
        raise ValueError("check_digit_markets: expected a list of ISO country codes")
    return tuple(market.upper() for market in value)


def _currency(instance: object, attribute: object, value: str) -> None:
    if value not in currencies():
        raise ValueError(f"default_currency: {value!r} is not an ISO 4217 currency code")


@frozen
class VehiclesSettings:
    """How the vehicles part behaves."""

    check_digit_markets: tuple[str, ...] = field(
        default=VIN_CHECK_DIGIT_MARKETS, converter=_markets
    )
    """Where a VIN's check digit (position 9) is enforced: ISO countries of sale."""
    default_currency: str = field(default="EUR", validator=_currency)
    """The currency of a repair order that names none."""
    service_interval_days: int = field(default=365, validator=validators.ge(1))
    """A vehicle is due for service this many days after its last repair order."""
    service_interval_km: int = field(default=15_000, validator=validators.ge(1))
    """... or once it has run this far since (by the mileage a DMS last reported)."""

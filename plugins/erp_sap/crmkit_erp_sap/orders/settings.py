"""``[plugins.erp_sap.orders]``: where won orders go in SAP and how often they are pushed."""

from __future__ import annotations

from attrs import field, frozen, validators

_TEXT = validators.instance_of(str)
_POSITIVE = [validators.instance_of(int), validators.ge(1)]


def _units() -> dict[str, str]:
    return {"piece": "PC", "pc": "PC", "each": "EA", "hour": "H", "day": "DAY", "kg": "KG"}


@frozen
class OrdersSettings:
    """How the orders part behaves; the organisational data every sales order carries."""

    system: str | None = field(default=None)
    """The SAP system (a key of ``[plugins.erp_sap.connection.systems]``) orders go to;
    unset: the only system configured. No system: nothing is queued."""
    service: str = field(default="API_SALES_ORDER_SRV", validator=_TEXT)
    sales_order_type: str = field(default="OR", validator=_TEXT)
    sales_organization: str = field(default="1010", validator=_TEXT)
    distribution_channel: str = field(default="10", validator=_TEXT)
    organization_division: str = field(default="00", validator=_TEXT)
    units: dict[str, str] = field(factory=_units)
    """sfa line units to SAP units of measure (RequestedQuantityUnit); a unit of at most three
    characters that is not listed is sent upper-cased."""
    batch_size: int = field(default=20, validator=_POSITIVE)
    """At most this many orders (one change set each) in one ``$batch`` request."""
    max_attempts: int = field(default=8, validator=_POSITIVE)
    """After this many sends SAP did not answer, a push gives up (retry it by hand)."""
    retry_seconds: int = field(default=60, validator=_POSITIVE)
    """The wait after the first unanswered send; it doubles with each further one."""
    sending_timeout_minutes: int = field(default=10, validator=_POSITIVE)
    """A push left ``sending`` this long (its run crashed) is taken up again, read back first."""
    push_every_minutes: int = field(default=1, validator=validators.instance_of(int))
    status_every_minutes: int = field(default=15, validator=validators.instance_of(int))
    """How often the status of created orders is read back; 0 turns the job off."""

"""The plugin's settings: the ``[plugins.loyalty]`` table of crmkit.toml."""

from __future__ import annotations

from attrs import field, frozen

from crmkit_loyalty.earning.settings import EarningSettings
from crmkit_loyalty.ledger.settings import LedgerSettings
from crmkit_loyalty.programmes.settings import ProgrammesSettings


@frozen
class LoyaltySettings:
    """How loyalty programmes behave in this CRM."""

    programmes: ProgrammesSettings = field(factory=ProgrammesSettings)
    ledger: LedgerSettings = field(factory=LedgerSettings)
    earning: EarningSettings = field(factory=EarningSettings)

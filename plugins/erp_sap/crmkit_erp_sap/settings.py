"""The plugin's settings: the ``[plugins.erp_sap]`` table of crmkit.toml."""

from __future__ import annotations

from attrs import field, frozen

from crmkit_erp_sap.connection.settings import ConnectionSettings
from crmkit_erp_sap.idoc.settings import IdocSettings
from crmkit_erp_sap.orders.settings import OrdersSettings
from crmkit_erp_sap.partners.settings import PartnersSettings


@frozen
class ErpSapSettings:
    """How the erp_sap plugin behaves in this CRM."""

    connection: ConnectionSettings = field(factory=ConnectionSettings)
    partners: PartnersSettings = field(factory=PartnersSettings)
    orders: OrdersSettings = field(factory=OrdersSettings)
    idoc: IdocSettings = field(factory=IdocSettings)

    def __attrs_post_init__(self) -> None:
        # Orders go to a configured system: a typo would drop won orders without a trace.
        # (IDoc files need no connection: their system only names the external ids.)
        system = self.orders.system
        if system and system not in self.connection.systems:
            known = ", ".join(sorted(self.connection.systems)) or "none"
            raise ValueError(
                f"orders: 'system' {system!r} is no SAP system of"
                f" [plugins.erp_sap.connection.systems] (configured: {known})"
            )

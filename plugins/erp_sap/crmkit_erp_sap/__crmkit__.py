"""What crmkit reads before importing any of the plugin's code."""

from __future__ import annotations

from crmkit import PluginInfo

PLUGIN = PluginInfo(
    name="erp_sap",
    requires_api=">=1.2,<2",
    optional_depends=("sfa",),
    hooks="crmkit_erp_sap.hooks",
    parts=("connection", "partners", "orders", "idoc"),
    migrations="crmkit_erp_sap.migrations",
    settings="crmkit_erp_sap.settings:ErpSapSettings",
)

"""What crmkit reads before importing any of the plugin's code."""

from __future__ import annotations

from crmkit import PluginInfo

PLUGIN = PluginInfo(
    name="loyalty",
    requires_api=">=1.2,<2",
    optional_depends=("sfa", "campaigns", "analytics"),
    hooks="crmkit_loyalty.hooks",
    parts=("programmes", "ledger", "earning"),
    migrations="crmkit_loyalty.migrations",
    settings="crmkit_loyalty.settings:LoyaltySettings",
)

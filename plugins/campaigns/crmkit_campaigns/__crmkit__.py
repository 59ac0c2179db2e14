"""What crmkit reads before importing any of the plugin's code."""

from __future__ import annotations

from crmkit import PluginInfo

PLUGIN = PluginInfo(
    name="campaigns",
    requires_api=">=1.2,<2",
    depends=("channels",),
    optional_depends=("sfa",),
    hooks="crmkit_campaigns.hooks",
    migrations="crmkit_campaigns.migrations",
    settings="crmkit_campaigns.settings:CampaignsSettings",
)

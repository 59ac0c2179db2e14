"""What crmkit reads before importing any of the plugin's code."""

from __future__ import annotations

from crmkit import PluginInfo

PLUGIN = PluginInfo(
    name="campaigns",
    requires_api=">=1.2,<2",
    depends=("channels",),
    optional_depends=("sfa", "analytics"),
    hooks="crmkit_campaigns.hooks",
    # Segments first: campaigns target them, results and plans read the campaigns.
    parts=("segments", "campaigns", "results", "plans", "triggers", "events"),
    migrations="crmkit_campaigns.migrations",
    settings="crmkit_campaigns.settings:CampaignsSettings",
)

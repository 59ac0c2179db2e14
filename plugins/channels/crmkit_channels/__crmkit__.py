"""What crmkit reads before importing any of the plugin's code."""

from __future__ import annotations

from crmkit import PluginInfo

PLUGIN = PluginInfo(
    name="channels",
    requires_api=">=1.2,<2",
    hooks="crmkit_channels.hooks",
    migrations="crmkit_channels.migrations",
    settings="crmkit_channels.settings:ChannelsSettings",
)

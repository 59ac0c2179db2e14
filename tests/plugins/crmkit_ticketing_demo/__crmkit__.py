"""What crmkit reads before importing the plugin's code."""

from __future__ import annotations

from crmkit import PluginInfo

PLUGIN = PluginInfo(
    name="ticketing_demo",
    requires_api=">=1.0,<2",
    hooks="crmkit_ticketing_demo.hooks",
    migrations="crmkit_ticketing_demo.migrations",
)

"""What crmkit reads before importing the plugin's code."""

from __future__ import annotations

from crmkit import PluginInfo

PLUGIN = PluginInfo(
    name="drifting_demo",
    requires_api=">=1.0,<2",
    hooks="crmkit_drifting_demo.hooks",
    migrations="crmkit_drifting_demo.migrations",
)

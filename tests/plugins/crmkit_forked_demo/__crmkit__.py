"""What crmkit reads before importing the plugin's code."""

from __future__ import annotations

from crmkit import PluginInfo

PLUGIN = PluginInfo(
    name="forked_demo",
    requires_api=">=1.0,<2",
    hooks="crmkit_forked_demo.hooks",
    migrations="crmkit_forked_demo.migrations",
)

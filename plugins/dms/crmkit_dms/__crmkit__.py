"""What crmkit reads before importing any of the plugin's code."""

from __future__ import annotations

from crmkit import PluginInfo

PLUGIN = PluginInfo(
    name="dms",
    requires_api=">=1.2,<2",
    optional_depends=("channels", "service", "campaigns"),
    hooks="crmkit_dms.hooks",
    parts=("partners", "vehicles", "routing", "formats"),
    migrations="crmkit_dms.migrations",
    settings="crmkit_dms.settings:DmsSettings",
)

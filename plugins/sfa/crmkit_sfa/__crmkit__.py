"""What crmkit reads before importing any of the plugin's code."""

from __future__ import annotations

from crmkit import PluginInfo

PLUGIN = PluginInfo(
    name="sfa",
    requires_api=">=1.2,<2",
    optional_depends=("analytics",),
    hooks="crmkit_sfa.hooks",
    migrations="crmkit_sfa.migrations",
    settings="crmkit_sfa.settings:SfaSettings",
)

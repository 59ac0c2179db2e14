"""What crmkit reads before importing any of the plugin's code."""

from __future__ import annotations

from crmkit import PluginInfo

PLUGIN = PluginInfo(
    name="service",
    requires_api=">=1.2,<2",
    depends=("channels",),
    optional_depends=("analytics",),
    hooks="crmkit_service.hooks",
    migrations="crmkit_service.migrations",
    settings="crmkit_service.settings:ServiceSettings",
)

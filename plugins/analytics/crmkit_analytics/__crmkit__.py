"""What crmkit reads before importing any of the plugin's code."""

from __future__ import annotations

from crmkit import PluginInfo

PLUGIN = PluginInfo(
    name="analytics",
    requires_api=">=1.2,<2",
    hooks="crmkit_analytics.hooks",
    parts=("rollups", "transactions", "profiles", "churn", "suggestions", "forecasts", "dashboard"),
    migrations="crmkit_analytics.migrations",
    settings="crmkit_analytics.settings:AnalyticsSettings",
)

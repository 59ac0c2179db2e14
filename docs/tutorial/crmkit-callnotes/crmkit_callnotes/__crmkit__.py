"""What crmkit reads before importing any of the plugin's code."""

from __future__ import annotations

from crmkit import PluginInfo

PLUGIN = PluginInfo(
    name="callnotes",
    requires_api=">=1.2,<2",
    hooks="crmkit_callnotes.hooks",
    migrations="crmkit_callnotes.migrations",
    settings="crmkit_callnotes.settings:CallnotesSettings",
)

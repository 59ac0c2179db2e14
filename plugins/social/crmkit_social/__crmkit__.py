"""What crmkit reads before importing any of the plugin's code."""

from __future__ import annotations

from crmkit import PluginInfo

PLUGIN = PluginInfo(
    name="social",
    requires_api=">=1.2,<2",
    depends=("channels",),
    hooks="crmkit_social.hooks",
    parts=("accounts", "webhooks", "leads", "conversations"),
    migrations="crmkit_social.migrations",
    settings="crmkit_social.settings:SocialSettings",
)

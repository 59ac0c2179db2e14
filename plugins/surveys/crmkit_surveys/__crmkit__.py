"""What crmkit reads before importing any of the plugin's code."""

from __future__ import annotations

from crmkit import PluginInfo

PLUGIN = PluginInfo(
    name="surveys",
    requires_api=">=1.2,<2",
    depends=("channels",),
    optional_depends=("campaigns", "analytics"),
    hooks="crmkit_surveys.hooks",
    parts=("definitions", "invitations", "answering", "results"),
    migrations="crmkit_surveys.migrations",
    settings="crmkit_surveys.settings:SurveysSettings",
)

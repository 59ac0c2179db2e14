"""The ``demo`` plugin's metadata; ``crmkit demo`` passes it as an extra candidate (no entry point)."""

from __future__ import annotations

from crmkit.hooks.plugin_info import PluginInfo
from crmkit.version import API_VERSION

PLUGIN = PluginInfo(name="demo", requires_api=f"=={API_VERSION}", hooks="crmkit.demo.hooks")

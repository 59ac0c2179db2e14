"""The plugin's settings: the ``[plugins.sfa]`` table of crmkit.toml."""

from __future__ import annotations

from attrs import frozen


@frozen
class SfaSettings:
    """How sales force automation behaves in this CRM."""

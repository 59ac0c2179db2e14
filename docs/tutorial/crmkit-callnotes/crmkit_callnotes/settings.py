"""The plugin's settings: the ``[plugins.callnotes]`` table of crmkit.toml."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class CallnotesSettings:
    """How call notes behave in this CRM."""

    callback_days: int = field(default=2, validator=validators.ge(0))
    """Days until the follow-up of a call whose outcome is "callback", when no date is given."""

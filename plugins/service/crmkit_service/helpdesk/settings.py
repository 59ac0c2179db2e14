"""``[plugins.service.helpdesk]``: the agent console and the telephony lookup."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class HelpdeskSettings:
    """How much of a caller's history the console and the lookup show."""

    recent_contacts: int = field(default=10, validator=[validators.ge(1), validators.le(100)])
    """Entries of the caller's timeline shown, newest first."""
    max_callers: int = field(default=10, validator=[validators.ge(1), validators.le(50)])
    """Parties answered at most for one number or address (a shared office line may have several)."""

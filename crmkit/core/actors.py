"""Who is acting: a user (through the UI or an API token), or the system itself."""

from __future__ import annotations

from attrs import frozen


@frozen
class Actor:
    """The identity a command runs as; permission hooks decide what it may do."""

    user_id: int | None
    username: str
    role: str
    team: str | None = None
    territories: tuple[str, ...] = ()
    scopes: tuple[str, ...] | None = None
    """API token scopes; None for a session login (the role alone decides)."""

    @property
    def is_system(self) -> bool:
        return self.user_id is None and self.role == "system"


SYSTEM = Actor(user_id=None, username="system", role="system")
"""The kernel itself: imports, jobs and migrations run as this actor."""

"""API tokens found in the last few seconds, so that a client's every request is not a query.

An entry is trusted for :data:`TRUSTED_FOR` after its token was found in the
database, and never past the token's expiry. A revocation (a new password's
too), a deactivation or a change of a user made in this process forgets every
entry when it commits (:func:`forget_all`); one made by another process, such
as ``crmkit tokens revoke``, takes effect within :data:`TRUSTED_FOR`.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from crmkit.core.actors import Actor

TRUSTED_FOR = timedelta(seconds=5)
MAX_ENTRIES = 10_000
"""More tokens than this in use at once only make the oldest be looked up again."""

_lock = threading.Lock()
_found: dict[tuple[str, str], tuple[Actor, datetime]] = {}
_generation = 0
"""Counts :func:`forget_all` calls: a look-up that raced one must not be remembered."""


def recall(database: str, digest: str, now: datetime) -> tuple[Actor | None, int]:
    """The actor remembered for the token ``digest`` in ``database`` (or None), and the generation.

    Pass the generation to :func:`remember` after looking the token up.
    """
    with _lock:
        entry = _found.get((database, digest))
        if entry is not None and entry[1] <= now:
            del _found[(database, digest)]
            entry = None
        return (entry[0] if entry else None), _generation


def remember(database: str, digest: str, actor: Actor, *, until: datetime, generation: int) -> None:
    """Trust ``digest`` as ``actor`` until ``until``, unless credentials changed since ``generation``."""
    with _lock:
        if generation != _generation:
            return
        if len(_found) >= MAX_ENTRIES:
            del _found[next(iter(_found))]
        _found[(database, digest)] = (actor, until)


def generation() -> int:
    """How many times :func:`forget_all` ran: a look-up begun before a change is not one after it."""
    with _lock:
        return _generation


def forget_all() -> None:
    """Forget every remembered token: a user or a token has just changed."""
    global _generation
    with _lock:
        _found.clear()
        _generation += 1

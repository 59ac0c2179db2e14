"""What other plugins add to loyalty: behaviours a programme's rules can reward with points.

A plugin announces them through :func:`crmkit_loyalty.hookspecs.loyalty_behaviours` without
importing this plugin: its objects only need the attributes below. The surveys plugin, for
one, announces "answered a survey" this way, with ``@hookimpl(optionalhook=True)`` so that
it loads without loyalty too.
"""

from __future__ import annotations

from typing import Any, Protocol


class Behaviour(Protocol):
    """Something a customer does that a programme may reward, as a domain event tells it."""

    name: str
    """Unique, lower-case and dotted, the contributing plugin's name first: ``surveys.answered``."""
    label: str
    """What the rule form shows: ``Answered a survey``."""
    event_type: str
    """The registered event type that tells it happened, e.g. ``surveys.response_completed``."""

    def party_of(self, payload: dict[str, Any]) -> int | None:
        """The party who did it, read from the event's payload; None when it names none (the
        event then earns nothing). The event's id is the earning's reference: an event
        delivered twice earns once."""
        ...

"""What loyalty programmes may reward in surveys: answering one (owned by the answering part).

The object only has to look like ``crmkit_loyalty.extensions.Behaviour``: surveys does not
depend on loyalty.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from crmkit_surveys.answering.event_types import COMPLETED


@frozen
class Answered:
    """A customer answered a survey to the end; anonymous answers earn nothing."""

    name: str = "surveys.answered"
    label: str = "Answered a survey"
    event_type: str = COMPLETED

    def party_of(self, payload: dict[str, Any]) -> int | None:
        party_id = payload.get("party_id")
        return party_id if isinstance(party_id, int) and not isinstance(party_id, bool) else None


BEHAVIOURS: list[Any] = [Answered()]

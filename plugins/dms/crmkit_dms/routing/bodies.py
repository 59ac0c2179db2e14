"""The JSON request bodies of the routing part's routes, as the OpenAPI document describes them.

The service validates what arrives (naming the wrong field); these classes tell clients what
to send.
"""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import field, frozen

from crmkit_dms.routing.service import REASON_LIMIT


@frozen
class DeclineInput:
    """Refuse an offered lead; it is offered to the next partner at once."""

    __json_input__: ClassVar[bool] = True

    reason: str = field(metadata={"json": {"minLength": 1, "maxLength": REASON_LIMIT}})


@frozen
class OutcomeInput:
    """What came of a lead: contacted, appointment, sold, or lost (with a reason)."""

    __json_input__: ClassVar[bool] = True

    outcome: str = field(metadata={"json": {"enum": ["contacted", "appointment", "sold", "lost"]}})
    reason: str | None = field(default=None, metadata={"json": {"maxLength": REASON_LIMIT}})


@frozen
class RouteInput:
    """Route (or reroute) a lead by hand: to the best partner for its region and brand, or to
    the partner named. A fact left out is the lead's own (its latest assignment's, or its
    address). The lead's open assignment, if any, is closed as rerouted."""

    __json_input__: ClassVar[bool] = True

    brand: str | None = field(default=None, metadata={"json": {"maxLength": 60}})
    country: str | None = field(default=None, metadata={"json": {"maxLength": 2}})
    postcode: str | None = field(default=None, metadata={"json": {"maxLength": 20}})
    vehicle: dict[str, Any] | None = None
    partner_id: int | None = None

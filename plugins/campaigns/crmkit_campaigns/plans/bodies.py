"""The JSON request bodies of the plan routes, as the OpenAPI document describes them.

The service validates what arrives (naming the wrong field, ``targets[2].period``); these
classes tell clients what to send.
"""

from __future__ import annotations

from typing import ClassVar

from attrs import field, frozen

MONTH = {"json": {"pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$", "description": "YYYY-MM"}}
PERIOD = {
    "json": {
        "pattern": "^[0-9]{4}-((0[1-9]|1[0-2])|Q[1-4])$",
        "description": "A month (YYYY-MM) or a quarter (YYYY-Qn) within the plan",
    }
}


@frozen
class TargetInput:
    """A target: revenue takes ``value`` as decimal text and a ``currency``; the counts a whole number."""

    __json_input__: ClassVar[bool] = True

    period: str = field(metadata=PERIOD)
    metric: str = field(metadata={"json": {"enum": ["leads", "conversions", "revenue", "reach"]}})
    value: str | int
    product_group: str | None = field(default=None, metadata={"json": {"maxLength": 100}})
    region: str | None = field(
        default=None, metadata={"json": {"maxLength": 100, "description": "DE or DE-8; none: any"}}
    )
    currency: str | None = field(default=None, metadata={"json": {"pattern": "^[A-Z]{3}$"}})


@frozen
class PlanInput:
    """A new marketing plan over whole months, with its targets."""

    __json_input__: ClassVar[bool] = True

    name: str = field(metadata={"json": {"minLength": 1, "maxLength": 200}})
    start: str = field(metadata=MONTH)
    end: str = field(metadata=MONTH)
    description: str | None = field(default=None, metadata={"json": {"maxLength": 5000}})
    owner_id: int | None = None
    targets: list[TargetInput] = field(factory=list)


@frozen
class PlanChanges:
    """Changed fields of a plan; ``targets``, when given, replace the plan's; ``version`` is required."""

    __json_input__: ClassVar[bool] = True

    version: int
    name: str | None = field(default=None, metadata={"json": {"maxLength": 200}})
    start: str | None = field(default=None, metadata=MONTH)
    end: str | None = field(default=None, metadata=MONTH)
    description: str | None = field(default=None, metadata={"json": {"maxLength": 5000}})
    owner_id: int | None = None
    targets: list[TargetInput] | None = None

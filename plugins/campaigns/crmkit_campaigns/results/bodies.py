"""The JSON request bodies of the results routes, as the OpenAPI document describes them.

The services validate the bodies themselves, naming the wrong field.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from attrs import field, frozen


@frozen
class CostInput:
    """A cost of the campaign: ``amount`` as text (``"1250.00"``), in ``currency`` (by default
    the campaign's), on one ``channel`` or the whole campaign, ``spent_on`` (default today)."""

    __json_input__: ClassVar[bool] = True

    amount: str = field(metadata={"json": {"maxLength": 20}})
    currency: str | None = field(default=None, metadata={"json": {"maxLength": 3}})
    channel: Literal["email", "sms"] | None = None
    spent_on: str | None = field(default=None, metadata={"json": {"maxLength": 10}})
    note: str | None = field(default=None, metadata={"json": {"maxLength": 500}})


@frozen
class ResponseInput:
    """A response from a landing page: the member's ``token`` (from their response link), or
    the ``person``'s fields as the kernel's prospect intake takes them (or both)."""

    __json_input__: ClassVar[bool] = True

    token: str | None = field(default=None, metadata={"json": {"maxLength": 100}})
    person: dict[str, Any] | None = None
    message: str | None = field(default=None, metadata={"json": {"maxLength": 4000}})
    consents: list[str] = field(factory=list, metadata={"json": {"maxItems": 10}})

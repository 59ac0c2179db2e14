"""The JSON request bodies of the campaign routes, as the OpenAPI document describes them.

The services validate the bodies themselves, naming the wrong field; these classes tell
API clients what to send.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from attrs import frozen

Channel = Literal["email", "sms"]
Kind = Literal["one_off", "triggered"]
Metric = Literal["opened", "clicked"]


@frozen
class VariantInput:
    """One message: a channels ``template``, or an email's ``subject``/``text``/``html`` or an
    SMS's ``text`` (``body``) of its own (Jinja templates given ``party``, ``campaign`` and
    ``member_id``). Several on one channel make an A/B test; their ``split``s sum to 100."""

    __json_input__: ClassVar[bool] = True

    channel: Channel
    label: str | None = None
    split: int | None = None
    template: str | None = None
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    body: str | None = None


@frozen
class CampaignInput:
    """A campaign: its target (a segment or a static list), messages, schedule and budget.

    A PATCH takes any of these fields and ``version``; who gets which message (``purpose``,
    the target, ``variants``, the A/B settings) changes only in a draft.
    """

    __json_input__: ClassVar[bool] = True

    name: str
    purpose: str
    variants: list[VariantInput]
    kind: Kind = "one_off"
    segment_id: int | None = None
    list_id: int | None = None
    trigger: dict[str, Any] | None = None
    test_share: int | None = None
    winner_metric: Metric | None = None
    decide_after_hours: int | None = None
    starts_at: str | None = None
    ends_at: str | None = None
    throttle_per_hour: int | None = None
    quiet_start: str | None = None
    quiet_end: str | None = None
    time_zone: str | None = None
    budget: str | None = None
    currency: str | None = None
    product_group: str | None = None
    region: str | None = None
    owner_id: int | None = None


@frozen
class ActionInput:
    """An action on a campaign; ``version`` (optional) is the one the client read."""

    __json_input__: ClassVar[bool] = True

    version: int | None = None

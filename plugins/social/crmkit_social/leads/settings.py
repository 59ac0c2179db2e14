"""Settings of the leads part: ``[plugins.social.leads]``."""

from __future__ import annotations

import re

from attrs import field, frozen, validators

from crmkit_social.leads.mapping import check_fields

CONSENT_CHANNELS = ("email", "sms", "phone", "post")
PURPOSE = re.compile(r"^[a-z][a-z0-9_.-]{0,49}$")


def _channels(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(c in CONSENT_CHANNELS for c in value):
        raise ValueError(f"consent_channels: a list of {', '.join(CONSENT_CHANNELS)}")
    return tuple(value)


def _fields(value: object) -> dict[str, str]:
    try:
        return check_fields(value)
    except Exception as refused:
        raise ValueError(f"fields: {refused}") from None


@frozen
class LeadsSettings:
    """How the leads part takes Lead Ads leads in."""

    fields: dict[str, str] = field(factory=dict, converter=_fields)
    """Meta field name (or disclaimer checkbox key) = crmkit field, ``custom.<name>``,
    ``consent:<purpose>[:<channel>]`` or ``ignore``, for every form (on top of the built-in
    default mapping; a form's own mapping, edited in the API or the page, goes over both)."""
    vouched: bool = False
    """Whether intake treats a lead as vouched-for data (a match it changes is merged rather
    than queued for review). People type into Meta's forms what they like: off by default."""
    disclaimer_consent: bool = True
    """Whether a ticked custom disclaimer no mapping names records consent for
    ``consent_purpose`` on ``consent_channels``."""
    consent_purpose: str = field(default="marketing", validator=validators.matches_re(PURPOSE))
    """The purpose of a ticked disclaimer, and of a ``consent:`` target naming none."""
    consent_channels: tuple[str, ...] = field(default=("email",), converter=_channels)
    """The channels a consent answer naming no channel is recorded for."""

"""``[plugins.dms.formats]``."""

from __future__ import annotations

import re

from attrs import field, frozen, validators

SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,59}$")


def _sources(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and SOURCE_NAME.match(k) and isinstance(v, str) and v
        for k, v in value.items()
    ):
        raise ValueError(
            "sources: a table of source name (a-z, digits, '-', '_') = secret (a non-empty text)"
        )
    return dict(value)


@frozen
class Endpoint:
    """Where a partner's DMS takes ADF leads, and the secret we sign them with."""

    url: str = field(validator=validators.matches_re(r"^https?://[^\s]+$"))
    secret: str = field(validator=validators.min_len(1))


def _partner_sources(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and SOURCE_NAME.match(k) and isinstance(v, str) and v
        for k, v in value.items()
    ):
        raise ValueError("partner_sources: a table of source name = partner code")
    return dict(value)


def _endpoints(value: object) -> dict[str, Endpoint]:
    if not isinstance(value, dict):
        raise ValueError("endpoints: a table of partner code = {url, secret}")
    return {
        code: found if isinstance(found, Endpoint) else Endpoint(**found)
        for code, found in value.items()
    }


@frozen
class FormatsSettings:
    """How the formats part behaves."""

    sources: dict[str, str] = field(factory=dict, converter=_sources)
    """Each sender of ADF or STAR (a lead provider, a dealer's DMS) and the secret it signs with."""
    max_document_bytes: int = field(default=1_000_000, validator=validators.ge(1000))
    """Largest document taken; a larger one is refused with 413 (a public route) or skipped (mail)."""
    max_leads: int = field(default=500, validator=validators.ge(1))
    """Most prospects (or BOD nouns) in one document."""
    kept_bytes: int = field(default=20_000, validator=validators.ge(0))
    """How much of each document's body the document log keeps."""
    partner_sources: dict[str, str] = field(factory=dict, converter=_partner_sources)
    """Sources that are a partner's DMS (source name = partner code): only such a source reports
    outcomes, and only of the leads offered to its partner."""
    endpoints: dict[str, Endpoint] = field(factory=dict, converter=_endpoints)
    """Partners (by code) whose DMS takes each lead offered to them as ADF over HTTP POST."""
    max_send_attempts: int = field(default=8, validator=validators.ge(1))
    """Tries to deliver one exported lead before it is left ``failed`` in the document log."""
    send_timeout_seconds: float = field(default=10.0, validator=validators.gt(0))
    mail_source: str = "email"
    """The source name of ADF documents arriving by e-mail (channels' inbound mail)."""
    mail_addresses: tuple[str, ...] = field(
        default=(), converter=lambda found: tuple(a.lower() for a in found)
    )
    """The lead mailboxes: only mail to one of them is read for ADF; empty: any inbound mail."""

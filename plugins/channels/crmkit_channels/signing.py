"""DKIM signatures (dkimpy): the sender's domain vouches for the headers and body it sent."""

from __future__ import annotations

import functools
from pathlib import Path

from crmkit import ConfigurationError
from crmkit_channels.settings import DkimSettings

SIGNED_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
)
"""Signed whether present or not: a header added on the way breaks the signature."""


@functools.cache
def _private_key(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            "plugins.channels.dkim.private_key_file", f"cannot read the key: {exc.strerror}"
        ) from None


def dkim_signed(settings: DkimSettings, raw: str) -> str:
    """``raw`` with a ``DKIM-Signature`` header in front (relaxed/relaxed, RSA-SHA256)."""
    # Imported here: dkimpy brings a DNS resolver along, a tenth of a second at start-up
    # that a CRM without a DKIM key never needs.
    import dkim

    try:
        header = dkim.sign(
            raw.encode("ascii"),
            settings.selector.encode(),
            settings.domain.encode(),
            _private_key(settings.private_key_file),
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[h.lower().encode() for h in SIGNED_HEADERS],
        )
    except dkim.DKIMException as exc:
        raise ConfigurationError(
            "plugins.channels.dkim.private_key_file", f"not an RSA private key: {exc}"
        ) from None
    return header.decode("ascii") + raw

"""Open and click tracking: signed pixel and redirect URLs written into an email when it is rendered.

A token signs the message's Message-ID (and, for a click, the target URL) with
``link_secret``: a link cannot be pointed at another URL or another message, so
the redirect is never open. Only http and https links are rewritten; the
unsubscribe link is left as it is (a mail client's one-click unsubscribe and a
reader's trust both need the real address).
"""

from __future__ import annotations

import hmac
import html as html_lib
import re
from urllib.parse import quote, urlsplit

from attrs import frozen

from crmkit import NotFound
from crmkit_channels.links import PATH as UNSUBSCRIBE_PATH
from crmkit_channels.links import _b64, _key, _unb64
from crmkit_channels.settings import ChannelsSettings

OPEN_PATH = "/p/channels/open"
CLICK_PATH = "/p/channels/click"
_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_TEXT_URL = re.compile(r"""https?://[^\s<>"']+""", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


@frozen
class Tracked:
    """What a valid token stands for: the message, and for a click the URL it leads to."""

    message_id: str
    url: str | None


def _signature(settings: ChannelsSettings, claim: bytes) -> bytes:
    return hmac.digest(_key(settings), b"channels.tracking\x00" + claim, "sha256")


def make_token(settings: ChannelsSettings, message_id: str, url: str | None = None) -> str:
    claim = message_id.encode() if url is None else f"{message_id}\x00{url}".encode()
    return f"{_b64(claim)}.{_b64(_signature(settings, claim))}"


def read_token(settings: ChannelsSettings, token: str) -> Tracked:
    """What ``token`` stands for; NotFound for one this CRM did not sign."""
    try:
        claim_part, signature_part = token.split(".")
        claim, signature = _unb64(claim_part), _unb64(signature_part)
        message_id, _, url = claim.decode().partition("\x00")
    except (ValueError, UnicodeDecodeError):
        raise NotFound("this link is not valid") from None
    if not hmac.compare_digest(signature, _signature(settings, claim)):
        raise NotFound("this link is not valid")
    return Tracked(message_id, url or None)


def _base(settings: ChannelsSettings) -> str:
    return settings.public_url.rstrip("/")


def pixel_url(settings: ChannelsSettings, message_id: str) -> str:
    return f"{_base(settings)}{OPEN_PATH}?t={quote(make_token(settings, message_id))}"


def click_url(settings: ChannelsSettings, message_id: str, url: str) -> str:
    return f"{_base(settings)}{CLICK_PATH}?t={quote(make_token(settings, message_id, url))}"


def _trackable(settings: ChannelsSettings, url: str) -> bool:
    try:
        scheme = urlsplit(url).scheme
    except ValueError:  # not a URL after all (``http://[x``): left as it is written
        return False
    if scheme.lower() not in ("http", "https"):
        return False
    return not url.startswith(f"{_base(settings)}{UNSUBSCRIBE_PATH}")


def track_text(settings: ChannelsSettings, message_id: str, text: str) -> str:
    """``text`` with each http(s) URL but the unsubscribe link replaced by its redirect."""

    def rewrite(match: re.Match[str]) -> str:
        # A sentence's full stop or closing bracket after a URL is not part of it.
        url = match.group(0).rstrip(".,;:!?)]")
        after = match.group(0)[len(url) :]
        if not _trackable(settings, url):
            return match.group(0)
        return click_url(settings, message_id, url) + after

    return _TEXT_URL.sub(rewrite, text)


def track_html(
    settings: ChannelsSettings, message_id: str, html: str, *, clicks: bool = True
) -> str:
    """``html`` with its links' ``href`` redirected (when ``clicks``) and the 1x1 open pixel
    before ``</body>``."""

    def rewrite(match: re.Match[str]) -> str:
        start, quote_char, escaped = match.groups()
        url = html_lib.unescape(escaped).strip()
        if not _trackable(settings, url):
            return match.group(0)
        tracked = html_lib.escape(click_url(settings, message_id, url), quote=True)
        return f"{start}{quote_char}{tracked}{quote_char}"

    pixel = (
        f'<img src="{html_lib.escape(pixel_url(settings, message_id), quote=True)}"'
        ' width="1" height="1" alt="">'
    )
    rewritten = _HREF.sub(rewrite, html) if clicks else html
    found = list(_BODY_END.finditer(rewritten))
    if not found:
        return rewritten + pixel
    at = found[-1].start()
    return rewritten[:at] + pixel + rewritten[at:]


def with_tracking(
    settings: ChannelsSettings, message_id: str, text: str, html: str | None, *, clicks: bool = True
) -> tuple[str, str | None]:
    """The text and HTML of a non-transactional email with the open pixel, and its links tracked
    unless ``clicks`` is False."""
    tracked_html = None if html is None else track_html(settings, message_id, html, clicks=clicks)
    return (track_text(settings, message_id, text) if clicks else text), tracked_html

"""Settings of the conversations part: ``[plugins.social.conversations]``."""

from __future__ import annotations

from attrs import field, frozen, validators


def _words(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise TypeError("expected a list of words")
    return tuple(str(v).strip().lower() for v in value if str(v).strip())


@frozen
class ConversationsSettings:
    """How the conversations part behaves."""

    human_agent_tag: bool = False
    """Allow replies up to 7 days after the customer's last message with Meta's ``HUMAN_AGENT``
    tag (the app must have that permission at Meta); otherwise the 24-hour window holds."""

    complaint_detection: bool = True
    """Offer messages that read like a complaint to the service plugin (``social_complaint``)."""

    complaint_words: tuple[str, ...] = field(factory=tuple, converter=_words)
    """More words (lower case) that make a message a complaint, beside the built-in ones."""

    fetch_profiles: bool = True
    """Ask Graph for an unknown sender's name (``GET /{psid}?fields=name,first_name,…``)."""

    messages_per_second: float = field(
        default=10.0, validator=[validators.gt(0), validators.le(250)]
    )
    """Replies to messages handed to Graph per second and page."""

    comments_per_second: float = field(default=1.0, validator=[validators.gt(0), validators.le(50)])
    """Comment replies handed to Graph per second and page."""

    posts_per_second: float = field(default=0.2, validator=[validators.gt(0), validators.le(10)])
    """Page posts handed to Graph per second and page."""

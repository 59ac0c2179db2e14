"""``[plugins.surveys.invitations]``: how the invitations part behaves."""

from __future__ import annotations

from attrs import field, frozen, validators

_positive = [validators.instance_of(int), validators.ge(1)]
MAX_PARTY_IDS = 10_000
"""What the API declares a body may hold at most; the setting may only lower it."""
_days = [validators.instance_of(int), validators.ge(0), validators.le(3650)]


@frozen
class InvitationsSettings:
    """``[plugins.surveys.invitations]``."""

    purpose: str = field(default="feedback", validator=validators.matches_re(r"[a-z][a-z0-9_-]*"))
    """The consent an invitation needs (per channel, the kernel's consent), and the purpose the
    channels plugin files its messages under."""
    transactional: bool = field(default=False, validator=validators.instance_of(bool))
    """Send invitations as transactional messages: no consent needed, no unsubscribe link.
    Only where the law lets you ask customers for feedback without their consent."""
    expires_after_days: int = field(default=14, validator=_positive)
    """How long a sent invitation's link may be answered, when a send does not say."""
    quiet_days: int = field(default=30, validator=_days)
    """A party invited to a survey within so many days is not invited to it again by a send."""
    max_party_ids: int = field(default=1000, validator=[*_positive, validators.le(MAX_PARTY_IDS)])
    """The most parties a send to a list of ``party_ids`` may name (at most 10,000)."""
    open_link_expires_after_days: int = field(default=7, validator=_positive)
    """How long the invitation an open link makes for one browser may be answered."""
    language_field: str = field(default="language")
    """The custom field of parties holding their preferred language (``de``); the kernel has
    none of its own. A party without it is asked in the survey's default language."""
    send_at_once: int = field(default=1000, validator=_positive)
    """A send inviting more parties queues its invitations, and the job ``surveys.send_due``
    hands them to the channels plugin ``send_batch`` at a time; up to this many, the send
    hands them over itself."""
    send_batch: int = field(default=1000, validator=_positive)
    """How many due invitations (of rules, of large sends) ``surveys.send_due`` sends in one
    transaction."""
    delivery_check_hours: int = field(default=48, validator=_positive)
    """How long after sending an email invitation the job ``surveys.check_deliveries`` looks
    for its failure."""

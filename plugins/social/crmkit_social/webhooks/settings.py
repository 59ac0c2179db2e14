"""Settings of the webhooks part: ``[plugins.social.webhooks]``."""

from __future__ import annotations

from typing import Any

from attrs import field, frozen, validators

from crmkit_social.accounts.settings import resolve_secret


def _verify_token(value: Any) -> str:
    return resolve_secret(value, "verify_token")


@frozen
class WebhooksSettings:
    """How the webhooks part behaves."""

    verify_token: str = field(default="", converter=_verify_token, repr=False)
    """The verify token entered at Meta when subscribing the callback URL (``env:NAME``)."""

    max_body_bytes: int = field(
        default=1_000_000, validator=[validators.ge(1_000), validators.le(20_000_000)]
    )
    """The largest delivery accepted; a bigger one is refused with 413."""

    max_attempts: int = field(default=8, validator=[validators.ge(1), validators.le(50)])
    """How often a change is tried before it is ``failed``."""

    backoff_seconds: float = field(default=30.0, validator=[validators.gt(0), validators.le(3600)])
    """The wait after the first failed try; it doubles with each attempt (at most a day)."""

    lease_seconds: int = field(default=300, validator=[validators.ge(10), validators.le(86_400)])
    """How long a worker holds a change it processes; after that another takes it over."""

    batch_size: int = field(default=100, validator=[validators.ge(1), validators.le(5_000)])
    """How many changes one run of the processing job takes."""

    commit_seconds: float = field(default=0.25, validator=[validators.ge(0), validators.le(60)])
    """First tries of changes are processed together in one transaction (each in a savepoint)
    until it has run this long, then it commits; 0: one transaction per change. The Graph
    calls run before it opens, so it holds the write lock (SQLite) for database work only:
    0.25 s shares a commit among ~20 leads, and other writers wait at most about that long."""

    keep_days: int = field(default=30, validator=[validators.ge(1), validators.le(3650)])
    """Processed, ignored and refused changes are forgotten after this many days."""

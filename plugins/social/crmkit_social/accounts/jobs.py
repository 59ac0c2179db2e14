"""The accounts part's job: page tokens exchanged before they expire."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmkit import Job


def _refresh(app: Any) -> int:
    from crmkit_social.accounts.service import refresh_tokens

    return refresh_tokens(app)


JOBS = [
    Job(
        "social.refresh_tokens",
        _refresh,
        every=timedelta(hours=6),
        description="Exchange page access tokens nearing expiry; mark dead the refused ones",
    )
]

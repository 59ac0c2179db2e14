"""Who may do what in the earning part.

Referrals are read with the ledger's ``loyalty:member.read`` (a member's referrals are seen by
whoever sees the member); recording one takes ``loyalty:referral.write``.
"""

from __future__ import annotations

from crmkit import Permission

REFERRAL_WRITE = "loyalty:referral.write"
MEMBER_READ = "loyalty:member.read"
MEMBER_WRITE = "loyalty:member.write"

PERMISSIONS: list[Permission] = [
    Permission(
        REFERRAL_WRITE,
        "Record that a loyalty member referred a prospect or a new customer",
        ("admin", "manager", "marketing", "sales", "service"),
    ),
]

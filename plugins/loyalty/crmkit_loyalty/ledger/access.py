"""Who may do what in the ledger part.

A member is seen exactly by whoever sees its party (``crmkit.seen_party``); one whose party
was erased is seen by those who see every party.
"""

from __future__ import annotations

from crmkit import Permission

MEMBER_READ = "loyalty:member.read"
MEMBER_WRITE = "loyalty:member.write"
LEDGER_ADJUST = "loyalty:ledger.adjust"

PERMISSIONS = [
    Permission(
        MEMBER_READ,
        "See the loyalty memberships, balances and ledgers of parties one sees",
        ("admin", "manager", "marketing", "sales", "service", "read-only"),
    ),
    Permission(
        MEMBER_WRITE,
        "Enrol parties one sees in a loyalty programme, redeem their points, cancel redemptions",
        ("admin", "manager", "marketing", "sales", "service"),
    ),
    Permission(
        LEDGER_ADJUST,
        "Adjust a member's points by hand, with a reason",
        ("admin", "manager"),
    ),
]

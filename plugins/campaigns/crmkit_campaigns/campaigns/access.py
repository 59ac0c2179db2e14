"""Who may do what with campaigns.

Campaigns are not about one party, so any holder of ``campaigns:campaign.read`` sees
every campaign; its members are about parties, and are counted and listed only for the
parties the reader sees (the kernel's rule, :func:`crmkit.seen_parties`). Targeting enters
only parties the acting user sees.
"""

from __future__ import annotations

from crmkit import Permission

CAMPAIGN_READ = "campaigns:campaign.read"
CAMPAIGN_WRITE = "campaigns:campaign.write"
CAMPAIGN_SEND = "campaigns:campaign.send"

WRITERS = ("admin", "manager", "marketing")

PERMISSIONS = [
    Permission(
        CAMPAIGN_READ,
        "See campaigns, their messages and their members",
        ("admin", "manager", "marketing", "sales", "service", "read-only"),
    ),
    Permission(CAMPAIGN_WRITE, "Define, change and delete draft campaigns", WRITERS),
    Permission(CAMPAIGN_SEND, "Target, start, pause, resume and cancel campaigns", WRITERS),
]

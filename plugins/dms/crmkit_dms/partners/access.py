"""Who may do what in the partners part.

Partners are not about people: whoever holds ``dms:partner.read`` sees every partner, its
regions, brands, users and figures. Partner users (the kernel's ``partner`` role) hold none
of these; they use the portal (``dms:portal.use``, granted to them in
:mod:`crmkit_dms.partners.records`) and see only their own partner's leads.
"""

from __future__ import annotations

from crmkit import Permission
from crmkit_dms.partners.records import PORTAL

PARTNER_READ = "dms:partner.read"
PARTNER_WRITE = "dms:partner.write"

PERMISSIONS: list[Permission] = [
    Permission(
        PARTNER_READ,
        "See partner organisations, their regions, brands, users and performance",
        ("admin", "manager", "sales", "service", "read-only"),
    ),
    Permission(
        PARTNER_WRITE,
        "Create, change and delete partners; add and remove their users",
        ("admin", "manager"),
    ),
    Permission(PORTAL, "Use the partner portal (partner users: granted by the dms record rules)"),
]

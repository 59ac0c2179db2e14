"""Who may read, write and rate knowledge-base articles.

Every staff role reads (internal articles are the staff's own know-how); service
agents and managers write; whoever reads and may change anything says whether an
article helped. Public articles reach customers through the portal, which reads
them with ``public_only`` and needs no permission.
"""

from __future__ import annotations

from crmkit import Permission

READERS = ("admin", "manager", "sales", "service", "marketing", "read-only")
WRITERS = ("admin", "manager", "service")

PERMISSIONS = [
    Permission("service:article.read", "Read and search knowledge-base articles", READERS),
    Permission(
        "service:article.write",
        "Write, edit, publish and archive knowledge-base articles and categories",
        WRITERS,
    ),
    Permission(
        "service:article.feedback",
        "Say whether a knowledge-base article helped",
        ("admin", "manager", "sales", "service", "marketing"),
    ),
]

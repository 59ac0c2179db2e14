"""The conversations part's permissions."""

from __future__ import annotations

from crmkit import Permission

READ = "social:conversation.read"
REPLY = "social:conversation.reply"
POST = "social:post.create"

PERMISSIONS = [
    Permission(
        READ,
        "See the social inbox: threads and messages of the parties one may see",
        ("admin", "manager", "sales", "service", "marketing"),
    ),
    Permission(
        REPLY,
        "Reply to a message or comment on a connected page (also needs the right to change the party)",
        ("admin", "manager", "sales", "service"),
    ),
    Permission(POST, "Publish a post on a connected page", ("admin", "marketing")),
]

"""The plugin's permissions over its message log.

Reading the log needs what reading timelines needs in the kernel: the log holds
personal correspondence (subjects, texts), so ``marketing`` is not given it.
A party's messages are shown only to whoever may see the party (``crmkit.seen_party``).
"""

from __future__ import annotations

from crmkit import Permission

MESSAGE_READ = Permission(
    "channels:message.read",
    "See the emails and text messages sent to parties, with their delivery states",
    ("admin", "manager", "sales", "service", "read-only"),
)
MESSAGE_RESEND = Permission(
    "channels:message.resend",
    "Send a failed message, or one whose fate is unknown, again",
    ("admin", "manager", "sales", "service"),
)
PERMISSIONS = [MESSAGE_READ, MESSAGE_RESEND]

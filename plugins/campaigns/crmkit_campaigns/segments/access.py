"""Who may do what in the segments part.

Segments and lists are shared by whoever may read them; which parties they yield is the
kernel's rule for parties, applied to whoever runs them (see :mod:`.targets`).
"""

from __future__ import annotations

from crmkit import Permission

SEGMENT_READ = "campaigns:segment.read"
SEGMENT_WRITE = "campaigns:segment.write"

PERMISSIONS = [
    Permission(
        SEGMENT_READ,
        "See segments, static lists and suppression lists and preview them",
        ("admin", "manager", "marketing", "read-only"),
    ),
    Permission(
        SEGMENT_WRITE,
        "Build segments, import static lists and keep suppression lists",
        ("admin", "manager", "marketing"),
    ),
]

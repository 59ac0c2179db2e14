"""Who may do what in the answering part.

Answering itself needs no permission (the link's token is the respondent's proof); reading
responses does, and a response of a party is seen exactly by whoever sees the party, while an
anonymous one (an open link, an erased party) is seen by every holder of the permission.
"""

from __future__ import annotations

from crmkit import Permission

RESPONSE_READ = "surveys:response.read"

PERMISSIONS: list[Permission] = [
    Permission(
        RESPONSE_READ,
        "See survey responses and their answers",
        ("admin", "manager", "marketing", "service"),
    ),
]

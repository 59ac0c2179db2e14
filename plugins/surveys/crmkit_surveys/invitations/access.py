"""Who may do what in the invitations part.

Sends, rules and open links belong to a survey: whoever reads surveys reads them.
Invitations are about parties: listed and counted only for the parties the reader sees.
A send invites only parties the sender sees.
"""

from __future__ import annotations

from crmkit import Permission

SURVEY_READ = "surveys:survey.read"
"""The definitions part's permission: reading a survey is reading who was asked to answer it."""
SEND_WRITE = "surveys:send.write"
RULE_WRITE = "surveys:rule.write"

WRITERS = ("admin", "manager", "marketing")

PERMISSIONS = [
    Permission(SEND_WRITE, "Send surveys to parties, make and withdraw open links", WRITERS),
    Permission(RULE_WRITE, "Define the rules that send surveys after events", WRITERS),
]

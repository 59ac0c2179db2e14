"""The hooks the social plugin publishes (``add_hookspecs``), for plugins that extend it."""

from __future__ import annotations

from crmkit import Transaction, hookspec
from crmkit_social.conversations.complaints import Complaint


@hookspec("first")
def social_complaint(tx: Transaction, complaint: Complaint) -> str | None:
    """A message or comment on a connected page that reads like a complaint (see
    ``crmkit_social.conversations.complaints``): take it on (the service plugin opens a case
    for ``complaint.party_id`` with channel ``social`` and the text) and return a reference
    shown beside the message (a case number); None: not taken. Runs in the transaction that
    stores the message, as the system; a plugin that does not depend on social implements it
    with ``@hookimpl(optionalhook=True)``.

    Semantics: first.
    """

"""Complaints the social plugin reads in page messages and comments, opened as cases.

The social plugin offers them through its hook ``social_complaint`` (implemented in
``crmkit_service.hooks`` as an optional hook: without social, nothing calls it). The
complaint is read by its attributes only, so that this plugin imports nothing of social.
"""

from __future__ import annotations

from typing import Any

from crmkit import Transaction
from crmkit_service.cases.service import open_case

SUBJECT_TEXT = 80


def open_from_complaint(tx: Transaction, complaint: Any) -> str:
    """A ``complaint`` case of channel ``social`` for the party, with the message as its
    description; its number (``CS-000123``)."""
    text = " ".join(str(complaint.text).split())
    short = text if len(text) <= SUBJECT_TEXT else text[: SUBJECT_TEXT - 1] + "…"
    platform = "Instagram" if complaint.platform == "instagram" else "Facebook"
    opened = open_case(
        tx,
        {
            "party_id": complaint.party_id,
            "subject": f"{platform} {complaint.kind}: {short}",
            "description": complaint.text,
            "kind": "complaint",
            "channel": "social",
        },
        origin={
            "social_message_id": complaint.message_id,
            "social_page_id": complaint.page_id,
            "sender": complaint.sender_name,
        },
    )
    return opened.number

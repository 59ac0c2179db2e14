"""Telling the customer about their visit: an email, or a text message when they have no email address.

The messages are transactional (the customer asked for the visit), so they need
no marketing consent, and go through the channels plugin's outboxes in the
transaction of the change: rolled back with it, sent after it commits.
"""

from __future__ import annotations

from crmkit_channels import EmailMessage, SmsMessage, send

from crmkit import ConfigurationError, Transaction, get_party
from crmkit_service.cases.model import Case

PURPOSE = "service"
SUBJECT = "{{ case_number }}: {{ headline }}"
TEXT = "Hello {{ party.name }},\n\n{{ text }}\n\nYour case: {{ case_number }} ({{ subject }})\n"
SMS = "{{ case_number }}: {{ text }}"


def tell_customer(tx: Transaction, case: Case, headline: str, text: str) -> str | None:
    """Queue the message about the visit; why it could not be, or None when it is queued."""
    party = get_party(tx.conn, case.party_id)
    variables = {
        "case_number": case.number,
        "subject": case.subject,
        "headline": headline,
        "text": text,
    }
    if party.emails:
        send(
            tx,
            EmailMessage(
                party_id=case.party_id,
                purpose=PURPOSE,
                subject=SUBJECT,
                text=TEXT,
                variables=variables,
                transactional=True,
            ),
        )
        return None
    if party.phones:
        try:
            send(
                tx,
                SmsMessage(
                    party_id=case.party_id,
                    purpose=PURPOSE,
                    body=SMS,
                    variables=variables,
                    transactional=True,
                ),
            )
        except ConfigurationError:
            # The visit goes ahead; the event on the case says the customer was not told.
            return "text messages are not set up and the customer has no email address"
        return None
    return "the customer has no email address or phone number"

"""Inbound mail that reports on our own emails (bounces, complaints) is taken before routing.

Such a message is not correspondence: it is recorded against the email it
names (see :mod:`crmkit_channels.tracking`) and left ``routed``, claimed by
``channels.tracking``, without a timeline entry of its own or ``route_inbound``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from crmkit import Transaction, utcnow
from crmkit_channels import tracking
from crmkit_channels.inbound_tables import inbound_email
from crmkit_channels.reports import read_report

CLAIMED_BY = "channels.tracking"


def take_report(tx: Transaction, row: Any) -> bool:
    """Record the stored message ``row`` if it is a report on our emails, in ``tx``; whether it was.

    ``tx`` is the one that took the message from ``received`` for placing it.
    """
    report = read_report(bytes(row.raw), row.envelope_from)
    if report is None:
        return False
    found = [tracking.email_by_message_id(tx.conn, i) for i in report.message_ids]
    ours = [e for e in found if e is not None][:1]
    if not ours:  # a report on mail this CRM did not send: ordinary routing shows it to someone
        return False
    tx.conn.execute(
        update(inbound_email)
        .where(inbound_email.c.id == row.id)
        .values(
            status="routed",
            party_id=ours[0].party_id,
            answers_email_id=ours[0].id,
            claimed_by=CLAIMED_BY,
            routed_at=utcnow(),
        )
    )
    tracking.record(tx, ours[0], report.outcome.kind, report.outcome.detail)
    return True

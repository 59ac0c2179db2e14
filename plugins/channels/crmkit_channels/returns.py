"""Inbound mail that reports on our own emails (bounces, complaints) is taken before routing.

Such a message is not correspondence: it is recorded against the email it
names (see :mod:`crmkit_channels.tracking`) and left ``routed``, claimed by
``channels.tracking``, without a timeline entry of its own or ``route_inbound``.
"""

from __future__ import annotations

from sqlalchemy import select, update

from crmkit import SYSTEM, Crm, utcnow
from crmkit_channels import tracking
from crmkit_channels.inbound_tables import inbound_email
from crmkit_channels.reports import read_report

CLAIMED_BY = "channels.tracking"


def take_report(app: Crm, inbound_id: int) -> bool:
    """Record the stored message ``inbound_id`` if it is a report on our emails; whether it was."""
    waiting = (inbound_email.c.id == inbound_id, inbound_email.c.status == "received")
    with app.transaction(SYSTEM) as tx:
        row = tx.conn.execute(
            select(inbound_email.c.raw, inbound_email.c.envelope_from).where(*waiting)
        ).first()
        if row is None:
            return False
        report = read_report(bytes(row.raw), row.envelope_from)
        if report is None:
            return False
        found = [tracking.email_by_message_id(tx.conn, i) for i in report.message_ids]
        ours = [e for e in found if e is not None][:1]
        if not ours:  # a report on mail this CRM did not send: ordinary routing shows it to someone
            return False
        taken = tx.conn.execute(
            update(inbound_email)
            .where(*waiting)
            .values(
                status="routed",
                party_id=ours[0].party_id,
                answers_email_id=ours[0].id,
                claimed_by=CLAIMED_BY,
                routed_at=utcnow(),
            )
        ).rowcount
        if taken != 1:
            return False
        tracking.record(tx, ours[0], report.outcome.kind, report.outcome.detail)
        return True

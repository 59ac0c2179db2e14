"""Leads offered to a partner with an ADF endpoint, sent to its DMS: written once, sent until
delivered.

Two steps, in the job ``dms.send_leads``:

* :func:`write_due` writes one outbound ``dms_document`` (the ADF) per offer to such a
  partner that has none; the row is unique by partner code and ``assignment:<id>``, so two
  runs at once write it once.
* :func:`send_due` leases due rows (``next_attempt_at`` moved past the lease in a
  conditional update: one process wins each row), POSTs each signed (``X-Hub-Signature-256``
  with the endpoint's secret) with ``X-Dms-Delivery: <document id>``, and records the
  outcome: ``sent``, or another try later (doubling waits), or ``failed`` after
  ``max_send_attempts``. A process dying mid-send leaves its lease to run out and the row is
  sent again with the same delivery id: at least once, and the DMS de-duplicates by that id.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from crmkit import SYSTEM, Crm, get_party, utcnow
from crmkit_dms.formats.adf import to_adf
from crmkit_dms.formats.export import lead_of_party
from crmkit_dms.formats.receiving import settings_of
from crmkit_dms.formats.tables import document, document_lead
from crmkit_dms.partners.tables import partner
from crmkit_dms.routing.tables import assignment

LEASE = timedelta(minutes=5)
BATCH = 100
DELIVERY_HEADER = "X-Dms-Delivery"
ADF_TYPE = "application/x-adf+xml"


def _due_offers(crm: Crm, codes: list[str]) -> list[Any]:
    sent = select(document.c.id).where(
        document.c.direction == "out", document.c.assignment_id == assignment.c.id
    )
    query = (
        select(assignment.c.id, assignment.c.party_id, partner.c.code, partner.c.name)
        .join(partner, partner.c.id == assignment.c.partner_id)
        .where(
            assignment.c.state == "offered",
            assignment.c.party_id.is_not(None),
            partner.c.code.in_(codes),
            ~sent.exists(),
        )
        .order_by(assignment.c.id)
        .limit(BATCH)
    )
    with crm.read() as conn:
        return list(conn.execute(query))


def write_due(crm: Crm) -> int:
    """Write the ADF document of each offer to a partner with an endpoint not written yet."""
    settings = settings_of(crm)
    if not settings.endpoints:
        return 0
    written = 0
    for offer in _due_offers(crm, sorted(settings.endpoints)):
        try:
            with crm.transaction(SYSTEM) as tx:
                party = get_party(tx.conn, offer.party_id)
                body = to_adf(lead_of_party(tx.conn, party, vendor_name=offer.name))
                document_id = tx.conn.execute(
                    insert(document)
                    .values(
                        format="adf",
                        direction="out",
                        source=offer.code,
                        document_hash=f"assignment:{offer.id}",
                        status="pending",
                        taken=1,
                        refused=0,
                        results=[
                            {"position": 1, "party_id": offer.party_id, "assignment_id": offer.id}
                        ],
                        body=body.decode(),  # one lead: kept whole, it is what is sent
                        assignment_id=offer.id,
                        attempts=0,
                        next_attempt_at=utcnow(),
                        received_at=utcnow(),
                    )
                    .returning(document.c.id)
                ).scalar_one()
                tx.conn.execute(
                    insert(document_lead).values(
                        document_id=document_id, party_id=offer.party_id, position=1
                    )
                )
            written += 1
        except IntegrityError:
            continue  # another run wrote it
    return written


def _lease(crm: Crm, now: datetime) -> list[Any]:
    due = (
        select(document)
        .where(
            document.c.direction == "out",
            document.c.status == "pending",
            document.c.next_attempt_at <= now,
        )
        .order_by(document.c.next_attempt_at)
        .limit(BATCH)
    )
    leased = []
    with crm.transaction(SYSTEM) as tx:
        for row in tx.conn.execute(due).all():
            taken = tx.conn.execute(
                update(document)
                .where(
                    and_(document.c.id == row.id, document.c.next_attempt_at == row.next_attempt_at)
                )
                .values(next_attempt_at=now + LEASE)
            )
            if taken.rowcount == 1:
                leased.append(row)
    return leased


def _send(client: httpx.Client, url: str, secret: str, row: Any, body: bytes) -> str | None:
    """None when the DMS took the lead, else why not."""
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": ADF_TYPE,
        DELIVERY_HEADER: str(row.id),
        "X-Hub-Signature-256": f"sha256={signature}",
    }
    try:
        answer = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as failed:
        return f"{type(failed).__name__}: {failed}"[:500]
    return None if answer.is_success else f"HTTP {answer.status_code}"


def send_due(crm: Crm) -> int:
    """Send the leased exported leads; how many were delivered."""
    settings = settings_of(crm)
    now = utcnow()
    delivered = 0
    with httpx.Client(timeout=settings.send_timeout_seconds, follow_redirects=False) as client:
        for row in _lease(crm, now):
            endpoint = settings.endpoints.get(row.source)
            error = (
                "the partner has no endpoint any more"
                if endpoint is None
                else _send(client, endpoint.url, endpoint.secret, row, row.body.encode())
            )
            attempts = row.attempts + 1
            values: dict[str, Any] = {"attempts": attempts, "error": error}
            if error is None:
                values.update(status="sent", next_attempt_at=None)
                delivered += 1
            elif attempts >= settings.max_send_attempts:
                values.update(status="failed", next_attempt_at=None)
            else:
                values["next_attempt_at"] = now + timedelta(minutes=min(2 ** (attempts - 1), 60))
            with crm.transaction(SYSTEM) as tx:
                tx.conn.execute(update(document).where(document.c.id == row.id).values(values))
    return delivered


def send_leads(crm: Crm) -> None:
    """The job: write what is due, then send it."""
    write_due(crm)
    send_due(crm)

"""The gateway's delivery reports: a public route signed with ``X-Twilio-Signature``.

Each SMS is handed over with ``StatusCallback`` pointing to
``/p/channels/sms/status?message=<id>``; the signature covers that URL, so the id
cannot be forged. A report only moves a message forward (``queued`` < ``sending``
< ``sent`` < ``delivered``/``undelivered``/``failed``): the gateway may deliver
reports late, twice or out of order. A final report moves the message from
``sent`` to ``delivered``, ``undelivered`` or ``failed`` and says so on the
timeline. A report on a message still ``sending`` (the worker has not stored
the gateway's answer yet) or left ``unknown`` by a crash settles it: the gateway
has it, so it was sent.
"""

from __future__ import annotations

from sqlalchemy import or_, select, update
from starlette.requests import Request
from starlette.responses import Response

from crmkit import Crm, Transaction, ValidationError
from crmkit.web import TwilioSignature, actor_of, crm_of, public_route, read_form
from crmkit_channels.delivery import finish
from crmkit_channels.outboxes import SMS
from crmkit_channels.settings import ChannelsSettings
from crmkit_channels.tables import sms

PATH = "/p/channels/sms/status"
RANKS = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
}
"""How far along each of the gateway's statuses is; a report never moves a message back."""
FINAL = frozenset({"delivered", "undelivered", "failed"})


def auth_tokens(crm: Crm) -> str:
    settings: ChannelsSettings = crm.settings_of["channels"]
    return settings.sms.auth_token


def callback_url(settings: ChannelsSettings, message_id: int) -> str:
    """Where the gateway reports on the SMS ``message_id``."""
    return f"{settings.public_url.rstrip('/')}{PATH}?message={message_id}"


def _lower_than(status: str) -> list[str]:
    return [s for s, rank in RANKS.items() if rank < RANKS[status]]


def apply_report(
    tx: Transaction, message_id: int, sid: str, status: str, error_code: str | None
) -> None:
    """Record the gateway's ``status`` of the SMS ``message_id`` (SID ``sid``), never going back."""
    row = tx.conn.execute(select(sms).where(sms.c.id == message_id)).first()
    unclaimed = row is not None and row.sid is None and row.status in ("sending", "unknown")
    if row is None or not (row.sid == sid or unclaimed):
        raise ValidationError("MessageSid", f"no SMS of this CRM was handed over as {sid}")
    advanced = tx.conn.execute(
        update(sms)
        .where(
            sms.c.id == message_id,
            or_(sms.c.gateway_status.is_(None), sms.c.gateway_status.in_(_lower_than(status))),
        )
        .values(gateway_status=status, sid=sid)
    ).rowcount
    if advanced == 0:  # late, repeated, or out of order
        return
    if row.status in ("sending", "unknown"):
        # The gateway has it: a report can come before the worker stored the answer, or
        # after the worker died without storing it.
        finish(tx, SMS, message_id, row.status, "sent", None, sid)
    if status in FINAL:
        reason = f"the gateway reports {status}" + (f", error {error_code}" if error_code else "")
        outcome_reason = None if status == "delivered" else reason
        finish(tx, SMS, message_id, "sent", status, outcome_reason, sid)


async def status_report(request: Request) -> Response:
    """Take in the SMS gateway's report on the delivery of a text message sent from here.

    ``MessageSid`` and ``MessageStatus`` (and ``ErrorCode``) of an SMS this CRM handed over.
    """
    form = await read_form(request)
    try:
        message_id = int(request.query_params.get("message", ""))
    except ValueError:
        raise ValidationError("message", "expected the id of an SMS in the URL") from None
    sid = form.get("MessageSid", "")
    if not sid or len(sid) > 64:
        raise ValidationError("MessageSid", "expected the gateway's message SID")
    status = form.get("MessageStatus", "")
    if status not in RANKS:
        raise ValidationError("MessageStatus", f"expected one of {', '.join(RANKS)}")
    error_code = form.get("ErrorCode") or None
    await crm_of(request).write(
        lambda tx: apply_report(tx, message_id, sid, status, error_code), actor_of(request)
    )
    return Response(status_code=204)


ROUTES = [
    public_route(
        "/sms/status",
        status_report,
        verifier=TwilioSignature(auth_tokens),
        methods=("POST",),
        name="sms_status",
    )
]

"""Sending due pushes to SAP: claimed, read back when sent before, created in one ``$batch``.

Exactly once rests on three steps, each committed before the next begins:

1. claim: the push becomes ``sending`` and gets ``sent_at`` (a compare-and-set on its
   state, so two runners never claim the same push);
2. read back: a push with an earlier ``sent_at`` may exist in SAP already (its answer was
   lost, its run was killed): ``A_SalesOrder`` is asked for its ``PurchaseOrderByCustomer``
   and, when found, that order is the push's, nothing is sent;
3. send and record: one change set per order; each answer is recorded in its own
   transaction with the sfa order's ERP status.

Whatever goes wrong between 1 and 3 leaves the push ``sending`` or ``queued`` with
``sent_at`` set, so the next attempt reads back before it creates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import and_, or_, select, update

from crmkit import (
    SYSTEM,
    ConfigurationError,
    Crm,
    ValidationError,
    external_ids_of,
    utcnow,
)
from crmkit_erp_sap.connection.errors import SapError, SapUnavailable
from crmkit_erp_sap.connection.session import SapSession
from crmkit_erp_sap.orders.batch import BadBatch, Create, build_creates, parse_batch
from crmkit_erp_sap.orders.pushes import OrderPush, push_of, report_to_order
from crmkit_erp_sap.orders.sales_order import ENTITY_SET, sales_order
from crmkit_erp_sap.orders.settings import OrdersSettings
from crmkit_erp_sap.orders.tables import order_push
from crmkit_erp_sap.partners.record import external_system

ORDER_CREATED = "erp_sap.order_created"
PUSH_FAILED = "erp_sap.order_push_failed"


@frozen
class PushReport:
    """What one run did: pushes created in SAP (found by reading back among them), failed,
    put back for a later attempt, given up."""

    created: int = 0
    found: int = 0
    failed: int = 0
    deferred: int = 0
    gave_up: int = 0


class _Tally:
    def __init__(self) -> None:
        self.counts = dict.fromkeys(("created", "found", "failed", "deferred", "gave_up"), 0)

    def report(self) -> PushReport:
        return PushReport(**self.counts)


def push_due(app: Crm, *, now: datetime | None = None) -> PushReport:
    """Send every due push, a batch at a time (the job ``erp_sap.push_orders`` and ``crmkit
    erp_sap orders push``)."""
    settings: OrdersSettings = app.settings_of["erp_sap"].orders
    tally = _Tally()
    while True:
        claimed = _claim(app, settings, now or utcnow())
        if not claimed:
            return tally.report()
        by_system: dict[str, list[OrderPush]] = {}
        for push in claimed:
            by_system.setdefault(push.system, []).append(push)
        for system, pushes in by_system.items():
            _send(app, settings, system, pushes, tally)


def _claim(app: Crm, settings: OrdersSettings, now: datetime) -> list[OrderPush]:
    stale = now - timedelta(minutes=settings.sending_timeout_minutes)
    due = or_(
        and_(order_push.c.state == "queued", order_push.c.next_attempt_at <= now),
        and_(order_push.c.state == "sending", order_push.c.updated_at < stale),
    )
    claimed: list[OrderPush] = []
    with app.transaction(SYSTEM) as tx:
        rows = tx.conn.execute(
            select(order_push).where(due).order_by(order_push.c.id).limit(settings.batch_size)
        ).all()
        for row in rows:
            taken = tx.conn.execute(
                update(order_push)
                .where(order_push.c.id == row.id, order_push.c.updated_at == row.updated_at)
                .values(
                    state="sending",
                    attempts=row.attempts + 1,
                    updated_at=utcnow(),
                    sent_at=utcnow(),
                )
            ).rowcount
            if taken:
                # The push as it was: its sent_at says whether SAP may have it already.
                claimed.append(push_of(row))
    return claimed


def _send(
    app: Crm,
    settings: OrdersSettings,
    system: str,
    pushes: list[OrderPush],
    tally: _Tally,
) -> None:
    try:
        session = SapSession.for_app(app, system)
    except ConfigurationError as error:
        for push in pushes:
            _failed(app, push, str(error), tally)
        return
    with session:
        to_create: list[tuple[OrderPush, dict[str, Any]]] = []
        for push in pushes:
            try:
                if push.sent_at is not None and _read_back(app, session, settings, push, tally):
                    continue
                body = _body(app, settings, push)
            except ValidationError as error:
                _failed(app, push, str(error), tally)
            except (SapUnavailable, SapError) as error:
                _unanswered(app, settings, push, str(error), tally)
            else:
                to_create.append((push, body))
        if to_create:
            _create(app, session, settings, to_create, tally)


def _read_back(
    app: Crm, session: SapSession, settings: OrdersSettings, push: OrderPush, tally: _Tally
) -> bool:
    """Whether SAP has the order already (recorded as created if so)."""
    reference = push.reference.replace("'", "''")
    found = session.get_json(
        settings.service,
        ENTITY_SET,
        {
            "$filter": f"PurchaseOrderByCustomer eq '{reference}'",
            "$select": "SalesOrder,PurchaseOrderByCustomer",
        },
    )
    rows = found.get("results", []) if isinstance(found, dict) else found
    numbers = sorted(str(row["SalesOrder"]) for row in rows if row.get("SalesOrder"))
    if not numbers:
        return False
    _created(app, push, numbers[0], tally, found_again=True)
    return True


def _body(app: Crm, settings: OrdersSettings, push: OrderPush) -> dict[str, Any]:
    from crmkit_sfa.erp import get_order

    with app.read() as conn:
        placed = get_order(conn, push.order_id)
        external = external_system(push.system)
        numbers = [
            e.external_id for e in external_ids_of(conn, placed.party_id) if e.system == external
        ]
    if not numbers:
        raise ValidationError(
            "party_id",
            f"party {placed.party_id} has no SAP business partner number in {push.system} "
            f"(external id {external})",
        )
    return sales_order(placed, numbers[0], push.reference, settings)


def _create(
    app: Crm,
    session: SapSession,
    settings: OrdersSettings,
    to_create: Sequence[tuple[OrderPush, dict[str, Any]]],
    tally: _Tally,
) -> None:
    body, boundary = build_creates([Create(ENTITY_SET, created) for _, created in to_create])
    try:
        response = session.post_batch(settings.service, body, boundary)
        answers = parse_batch(response.content, response.headers.get("content-type", ""))
        if len(answers) != len(to_create):
            raise BadBatch(f"{len(answers)} answers to {len(to_create)} change sets")
    except (SapUnavailable, BadBatch) as error:
        for push, _ in to_create:
            _unanswered(app, settings, push, str(error), tally)
        return
    except SapError as error:
        for push, _ in to_create:
            if error.status >= 500:
                _unanswered(app, settings, push, str(error), tally)
            else:
                _failed(app, push, str(error), tally)
        return
    for (push, _), group in zip(to_create, answers, strict=True):
        answer = group[0]
        number = None
        if answer.status == 201:
            entity = (answer.json() or {}).get("d", {})
            number = entity.get("SalesOrder") if isinstance(entity, dict) else None
        if number:
            _created(app, push, str(number), tally)
        elif answer.status >= 500:
            _unanswered(app, settings, push, f"SAP answered {answer.status}", tally)
        else:
            _failed(app, push, f"SAP refused the order: {answer.error_message()}", tally)


def _created(
    app: Crm, push: OrderPush, number: str, tally: _Tally, *, found_again: bool = False
) -> None:
    with app.transaction(SYSTEM) as tx:
        now = utcnow()
        tx.conn.execute(
            update(order_push)
            .where(order_push.c.id == push.id)
            .values(
                state="created",
                sap_order=number,
                erp_status="sent",
                last_error=None,
                next_attempt_at=None,
                updated_at=now,
                status_checked_at=now,  # SAP's statuses are read from status_every_minutes on
            )
        )
        report_to_order(tx, push.order_id, number, "sent")
        tx.emit(
            ORDER_CREATED,
            "erp_sap.order_push",
            push.id,
            {
                "order_id": push.order_id,
                "system": push.system,
                "sap_order": number,
                "reference": push.reference,
            },
        )
    tally.counts["found" if found_again else "created"] += 1


def _failed(app: Crm, push: OrderPush, reason: str, tally: _Tally) -> None:
    _finish(app, push, "failed", reason)
    tally.counts["failed"] += 1


def _unanswered(
    app: Crm, settings: OrdersSettings, push: OrderPush, reason: str, tally: _Tally
) -> None:
    attempts = push.attempts + 1
    if attempts >= settings.max_attempts:
        _finish(app, push, "gave_up", f"no answer after {attempts} attempts: {reason}")
        tally.counts["gave_up"] += 1
        return
    wait = timedelta(seconds=settings.retry_seconds * 2 ** (attempts - 1))
    with app.transaction(SYSTEM) as tx:
        tx.conn.execute(
            update(order_push)
            .where(order_push.c.id == push.id)
            .values(
                state="queued",
                last_error=reason,
                next_attempt_at=utcnow() + wait,
                updated_at=utcnow(),
            )
        )
    tally.counts["deferred"] += 1


def _finish(app: Crm, push: OrderPush, state: str, reason: str) -> None:
    with app.transaction(SYSTEM) as tx:
        tx.conn.execute(
            update(order_push)
            .where(order_push.c.id == push.id)
            .values(state=state, last_error=reason, next_attempt_at=None, updated_at=utcnow())
        )
        tx.emit(
            PUSH_FAILED,
            "erp_sap.order_push",
            push.id,
            {"order_id": push.order_id, "system": push.system, "state": state, "reason": reason},
        )

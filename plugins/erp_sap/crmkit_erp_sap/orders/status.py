"""Reading back the status of orders created in SAP, onto the sfa order (and so its
opportunity's timeline).

SAP's header statuses (A not yet processed, B partly, C completely) become sfa's ERP
status, which only moves forward: billing complete -> ``invoiced``; delivery complete ->
``delivered``; processing or delivery begun -> ``confirmed``; else ``sent``. A change of
SAP's statuses is recorded once; an order is read again ``status_every_minutes`` later,
until it is invoiced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from crmkit import SYSTEM, ConfigurationError, Crm, utcnow
from crmkit_erp_sap.connection.errors import SapError, SapUnavailable
from crmkit_erp_sap.connection.session import SapSession
from crmkit_erp_sap.orders.pushes import OrderPush, push_of, report_to_order
from crmkit_erp_sap.orders.sales_order import ENTITY_SET
from crmkit_erp_sap.orders.settings import OrdersSettings
from crmkit_erp_sap.orders.tables import order_push

STATUSES = ("OverallSDProcessStatus", "OverallTotalDeliveryStatus", "OverallOrdReltdBillgStatus")
CHUNK = 20
"""Orders read per call (``SalesOrder eq ... or ...``)."""


def erp_status(statuses: Mapping[str, str]) -> str:
    """sfa's ERP status of an order with SAP's header ``statuses``."""
    if statuses.get("OverallOrdReltdBillgStatus") == "C":
        return "invoiced"
    if statuses.get("OverallTotalDeliveryStatus") == "C":
        return "delivered"
    if (
        statuses.get("OverallSDProcessStatus") in ("B", "C")
        or statuses.get("OverallTotalDeliveryStatus") == "B"
    ):
        return "confirmed"
    return "sent"


def pull_statuses(app: Crm, *, now: datetime | None = None) -> int:
    """Read back the statuses of created orders due for it (the job ``erp_sap.pull_order_status``);
    how many orders changed."""
    settings: OrdersSettings = app.settings_of["erp_sap"].orders
    if settings.status_every_minutes <= 0:
        return 0
    now = now or utcnow()
    due_before = now - timedelta(minutes=settings.status_every_minutes)
    with app.read() as conn:
        rows = conn.execute(
            select(order_push)
            .where(
                order_push.c.state == "created",
                or_(order_push.c.erp_status.is_(None), order_push.c.erp_status != "invoiced"),
                or_(
                    order_push.c.status_checked_at.is_(None),
                    order_push.c.status_checked_at <= due_before,
                ),
            )
            .order_by(order_push.c.id)
        ).all()
    by_system: dict[str, list[OrderPush]] = {}
    for row in rows:
        by_system.setdefault(row.system, []).append(push_of(row))
    changed = 0
    for system, pushes in by_system.items():
        try:
            session = SapSession.for_app(app, system)
        except ConfigurationError:
            continue
        with session:
            for start in range(0, len(pushes), CHUNK):
                chunk = pushes[start : start + CHUNK]
                try:
                    found = _read(session, settings, chunk)
                except (SapUnavailable, SapError):
                    break  # Tried again at the next run; the rest of this system waits too.
                changed += sum(
                    _record(app, push, found.get(str(push.sap_order)), now) for push in chunk
                )
    return changed


def _read(
    session: SapSession, settings: OrdersSettings, chunk: Sequence[OrderPush]
) -> dict[str, dict[str, str]]:
    wanted = " or ".join(f"SalesOrder eq '{push.sap_order}'" for push in chunk)
    answer = session.get_json(
        settings.service,
        ENTITY_SET,
        {"$filter": wanted, "$select": ",".join(("SalesOrder", *STATUSES))},
    )
    rows: list[dict[str, Any]] = answer.get("results", []) if isinstance(answer, dict) else answer
    return {
        str(row.get("SalesOrder")): {name: str(row.get(name) or "") for name in STATUSES}
        for row in rows
    }


def _record(app: Crm, push: OrderPush, statuses: dict[str, str] | None, now: datetime) -> bool:
    """Record SAP's statuses of the push's order; whether they changed."""
    changed = statuses is not None and statuses != push.sap_status
    with app.transaction(SYSTEM) as tx:
        values: dict[str, Any] = {"status_checked_at": now}
        if changed and statuses is not None:
            status = erp_status(statuses)
            values.update(sap_status=statuses, erp_status=status, updated_at=utcnow())
            report_to_order(tx, push.order_id, str(push.sap_order), status)
        tx.conn.execute(update(order_push).where(order_push.c.id == push.id).values(**values))
    return changed

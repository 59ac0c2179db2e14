"""What a customer is entitled to for work on an asset: warranty, a service contract, or nothing (billable).

The rule, in order: an asset in warranty is covered by the warranty (no contract
visit is spent on it); otherwise a contract running today that covers the asset
(or every asset of the party) is the entitlement, billable once its visits are
used up; otherwise the work is billable. Billable work is always flagged as
such, so that nothing is given away without anyone deciding to.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, func, or_, select

from crmkit import ValidationError, utcnow
from crmkit_service.assets.tables import asset, contract, contract_visit


@frozen
class Entitlement:
    """The entitlement of a party (and one of its assets) on a day."""

    state: str
    """``in_warranty``, ``out_of_warranty``, ``contract`` or ``none`` (``cases.model.ENTITLEMENT_STATES``)."""
    contract_visits: int | None = None
    """Visits the contract includes (state ``contract``)."""
    visits_used: int | None = None
    """Visits used under it so far."""
    billable: bool = True
    summary: str = ""
    contract_id: int | None = None
    warranty_end: date | None = None
    vehicle_facts: dict[str, Any] | None = None
    """What another plugin (a dealer system's) knows of the asset's VIN (``service_asset_facts``)."""


def entitlement_of(
    conn: Connection,
    party_id: int,
    asset_id: int | None,
    *,
    on: date | None = None,
    hooks: Any = None,
) -> Entitlement:
    """The entitlement of ``party_id`` for work on ``asset_id`` (None: no particular asset) on ``on`` (today).

    The caller has checked that its actor may see the party. An asset that is not
    the party's is refused (``ValidationError`` on ``asset_id``). With ``hooks`` (the
    plugin host), a vehicle's facts from ``service_asset_facts`` join in: a later warranty
    end they know covers the work.
    """
    day = on or utcnow().date()
    warranty_end: date | None = None
    facts: dict[str, Any] | None = None
    if asset_id is not None:
        row = conn.execute(
            select(asset.c.warranty_end, asset.c.vin).where(
                asset.c.id == asset_id, asset.c.party_id == party_id
            )
        ).one_or_none()
        if row is None:
            raise ValidationError("asset_id", "is not an asset of this customer")
        warranty_end = row.warranty_end
        if hooks is not None and row.vin is not None:
            known = hooks.call("service_asset_facts", conn=conn, vin=row.vin)
            facts = None if known is None else dict(known)
            later = None if facts is None else facts.get("warranty_until")
            if later is not None and (warranty_end is None or later > warranty_end):
                warranty_end = later
        if warranty_end is not None and warranty_end >= day:
            return Entitlement(
                state="in_warranty",
                billable=False,
                summary=f"In warranty until {warranty_end.isoformat()}",
                warranty_end=warranty_end,
                vehicle_facts=facts,
            )
    covering = _contract_on(conn, party_id, asset_id, day)
    if covering is not None:
        contract_id, reference, included, used = covering
        left = included - used
        return Entitlement(
            state="contract",
            contract_visits=included,
            visits_used=used,
            billable=left <= 0,
            summary=(
                f"Contract {reference} covers {included} visits, {used} used"
                + ("" if left > 0 else ": billable, no visit left")
            ),
            contract_id=contract_id,
            warranty_end=warranty_end,
            vehicle_facts=facts,
        )
    if asset_id is None:
        return Entitlement(state="none", summary="No contract on record: billable")
    if warranty_end is None:
        return Entitlement(
            state="none",
            summary="No warranty or contract on record: billable",
            vehicle_facts=facts,
        )
    return Entitlement(
        state="out_of_warranty",
        summary=f"Warranty ended {warranty_end.isoformat()}: billable",
        warranty_end=warranty_end,
        vehicle_facts=facts,
    )


def _contract_on(
    conn: Connection, party_id: int, asset_id: int | None, day: date
) -> tuple[int, str, int, int] | None:
    """The running contract covering the asset with the most visits left: (id, reference, included, used)."""
    used = (
        select(func.count()).where(contract_visit.c.contract_id == contract.c.id).scalar_subquery()
    )
    covers = (
        contract.c.asset_id.is_(None)
        if asset_id is None
        else or_(contract.c.asset_id.is_(None), contract.c.asset_id == asset_id)
    )
    rows = conn.execute(
        select(contract.c.id, contract.c.reference, contract.c.visits_included, used.label("used"))
        .where(
            contract.c.party_id == party_id,
            contract.c.starts_on <= day,
            contract.c.ends_on >= day,
            covers,
        )
        .order_by(contract.c.ends_on, contract.c.id)
    ).all()
    if not rows:
        return None
    # Spend the visits of the contract that runs out first, as long as it has any left.
    best = max(rows, key=lambda r: r.visits_included - r.used > 0)
    return best.id, best.reference, best.visits_included, best.used

"""The 360 view of a caller: the party, open cases, assets with their entitlement, recent contacts.

Each part is shown only when the actor holds the permission to read it; the
party itself is one the actor may see (the caller checked).
"""

from __future__ import annotations

from typing import Any

from attrs import frozen
from sqlalchemy import Connection

from crmkit import Actor, Customer, Interaction, Prospect, is_allowed, timeline
from crmkit_service.assets.access import ASSET_READ
from crmkit_service.assets.entitlement import Entitlement, entitlement_of
from crmkit_service.assets.service import Asset, Contract, assets_of_party, contracts_of_party
from crmkit_service.cases.access import CASE_READ
from crmkit_service.cases.model import Case
from crmkit_service.cases.service import cases_of_party
from crmkit_service.dispatch.access import DISPATCH_READ
from crmkit_service.dispatch.service import Dispatch, dispatches_of_party


@frozen
class AssetView:
    """An asset and what the customer is entitled to for work on it today."""

    asset: Asset
    entitlement: Entitlement


@frozen
class CallerView:
    """Everything an agent needs on the phone with the party."""

    party: Prospect | Customer
    entitlement: Entitlement | None
    """Without a particular asset: a contract covering every asset, or none (billable)."""
    open_cases: list[Case]
    assets: list[AssetView]
    contracts: list[Contract]
    dispatches: list[Dispatch]
    """Visits not yet done or cancelled."""
    recent_contacts: list[Interaction]


def caller_view(
    conn: Connection, host: Any, actor: Actor, party: Prospect | Customer, *, recent: int
) -> CallerView:
    """The 360 view of ``party``, which ``actor`` may see, with the ``recent`` latest contacts."""
    assert party.id is not None
    may_assets = is_allowed(host, actor, ASSET_READ)
    return CallerView(
        party=party,
        entitlement=entitlement_of(conn, party.id, None) if may_assets else None,
        open_cases=(
            cases_of_party(conn, actor, party.id, host=host, open_only=True)
            if is_allowed(host, actor, CASE_READ)
            else []
        ),
        assets=(
            [
                AssetView(a, entitlement_of(conn, party.id, a.id))
                for a in assets_of_party(conn, party.id)
            ]
            if may_assets
            else []
        ),
        contracts=contracts_of_party(conn, party.id) if may_assets else [],
        dispatches=(
            dispatches_of_party(conn, party.id, pending_only=True)
            if is_allowed(host, actor, DISPATCH_READ)
            else []
        ),
        recent_contacts=(
            list(timeline(conn, party.id, limit=recent).items)
            if is_allowed(host, actor, "core:interaction.read", party, conn=conn)
            else []
        ),
    )

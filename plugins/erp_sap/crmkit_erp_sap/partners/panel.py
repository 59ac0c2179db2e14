"""The party's SAP business partner numbers on its page, for whoever holds
``erp_sap:sync.read`` (the kernel has already decided the actor sees the party)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from sqlalchemy import Connection

from crmkit import Actor, Crm, Panel, is_allowed
from crmkit_erp_sap.partners.access import SYNC_READ
from crmkit_erp_sap.partners.linked import StoredSalesArea, business_partners_of

ORDER = 60


def panels(app: Crm, actor: Actor, party: Any) -> list[Panel]:
    if not is_allowed(app.host, actor, SYNC_READ):
        return []

    def render(conn: Connection) -> str:
        return render_partners(conn, party.id)

    return [Panel("SAP", render, ORDER)]


def render_partners(conn: Connection, party_id: int) -> str:
    partners = business_partners_of(conn, party_id)
    if not partners:
        return str(Markup("<p>Not a business partner in SAP.</p>"))
    items = Markup("").join(
        Markup("<li>{} business partner <strong>{}</strong>{} · synced {}{}</li>").format(
            p.system,
            p.business_partner,
            Markup(" · <em>blocked in SAP</em>") if p.blocked else "",
            p.synced_at.date().isoformat(),
            _sales_areas(p.sales_areas),
        )
        for p in partners
    )
    return str(Markup("<ul>{}</ul>").format(items))


def _sales_areas(areas: tuple[StoredSalesArea, ...]) -> Markup:
    if not areas:
        return Markup("")
    rows = Markup("").join(
        Markup(
            "<tr><td>{}/{}/{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"
        ).format(
            a.sales_organization,
            a.distribution_channel,
            a.division,
            a.customer,
            a.customer_group,
            a.currency,
            a.payment_terms,
            _blocks(a),
        )
        for a in areas
    )
    return Markup(
        "<table><caption>Sales areas</caption><thead><tr><th>Sales org./channel/division</th>"
        "<th>Customer</th><th>Customer group</th><th>Currency</th><th>Payment terms</th>"
        "<th>Blocks</th></tr></thead><tbody>{}</tbody></table>"
    ).format(rows)


def _blocks(area: StoredSalesArea) -> str:
    blocks = [
        f"{what} blocked ({code})"
        for what, code in (
            ("orders", area.order_block),
            ("delivery", area.delivery_block),
            ("billing", area.billing_block),
        )
        if code
    ]
    if area.deletion_flag:
        blocks.append("flagged for deletion")
    return ", ".join(blocks) or "none"

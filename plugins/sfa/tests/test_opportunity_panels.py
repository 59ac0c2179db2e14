"""Other plugins' sections on the opportunity page (``sfa_opportunity_panels``)."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from crmkit import Actor, Crm, Panel, hookimpl
from crmkit.testing import add_user, http_client, register_plugin


def test_a_plugin_adds_a_section_to_the_opportunity_page(
    crm: Crm, make_crm: Callable[..., Crm], new_party: Callable[..., int]
) -> None:
    from crmkit_sfa.pipeline import service

    from crmkit import SYSTEM

    seller = add_user(crm, "sue", "sales", territories=("DE-10",))
    party_id = new_party("customer", owner_id=seller.user_id)
    with crm.transaction(SYSTEM) as tx:
        deal = service.create_opportunity(
            tx, {"party_id": party_id, "title": "Fleet of vans", "owner_id": seller.user_id}
        )
    seen: list[Any] = []

    def panels(app: Crm, actor: Actor, opportunity: Any) -> list[Panel]:
        seen.append((actor.user_id, opportunity.id))
        return [
            Panel("Next products", lambda conn: "<p>Roof racks</p>"),
            Panel("Broken", lambda conn: 1 / 0),
        ]

    extension = types.SimpleNamespace(
        sfa_opportunity_panels=hookimpl(optionalhook=True)(panels),
        actor_from_request=hookimpl(lambda request: seller),
    )
    app = make_crm(
        plugins=[*crm.host.loaded, register_plugin(extension, name="extension")],
        settings=crm.settings,
        create_tables=False,
    )
    page = http_client(app).get(f"/p/sfa/opportunities/{deal.id}/page")
    assert page.status_code == 200
    assert seen == [(seller.user_id, deal.id)]
    assert "<h2>Next products</h2>" in page.text and "<p>Roof racks</p>" in page.text
    assert "This section failed; the error has been logged." in page.text

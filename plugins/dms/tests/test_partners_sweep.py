"""Every GET route of the API (kernel, dms and the plugins dms works with) asked by a
partner user about another partner's lead: none names the lead."""

from __future__ import annotations

import re
import types
from typing import Any

from crmkit_dms.routing.tables import assignment
from sqlalchemy import insert

from crmkit import Actor, Crm, hookimpl, utcnow
from crmkit.testing import add_party, add_user, http_client, register_plugin

from .conftest import CrmMaker, link_user, make_partner

NEIGHBOURS = ("channels", "service", "campaigns")


def signed_on(make_dms: CrmMaker, actor: Actor) -> Any:
    """An HTTP client of a CRM with dms and its neighbours, acting as ``actor``."""
    signon = types.SimpleNamespace(actor_from_request=hookimpl(lambda request: actor))
    app = make_dms(
        with_plugins=NEIGHBOURS,
        plugins=(register_plugin(signon, name="signon"),),
        create_tables=False,
    )
    return http_client(app)


def test_no_get_route_leaks_another_partners_lead(make_dms: CrmMaker) -> None:
    crm: Crm = make_dms(with_plugins=NEIGHBOURS)
    north = make_partner(crm, code="north", name="Nord", kind="dealer")
    south = make_partner(crm, code="south", name="Süd", kind="dealer")
    nora: Actor = link_user(crm, north, "nora")
    theirs = add_party(
        crm, "customer", first_name="Zebedee", last_name="Quux", emails=["zeb@quux.example"]
    )
    with crm.transaction() as tx:
        now = utcnow()
        tx.conn.execute(
            insert(assignment),
            {
                "party_id": theirs,
                "partner_id": south,
                "state": "accepted",
                "source": "api",
                "offered_at": now,
                "accepted_at": now,
                "attempt": 1,
                "updated_at": now,
                "version": 1,
            },
        )
    admin = signed_on(make_dms, add_user(crm, "root", "admin"))
    spec = admin.get("/api/openapi.json").json()
    # The sweep must be able to fail: the admin finds the lead on its own page.
    assert "Zebedee" in admin.get(f"/api/v1/parties/{theirs}").text
    client = signed_on(make_dms, nora)
    asked = 0
    for path, operations in spec["paths"].items():
        if "get" not in operations:
            continue
        params = re.findall(r"{(\w+)}", path)
        if any(p not in ("party_id", "id") for p in params):
            continue
        url = re.sub(r"{\w+}", str(theirs), path)
        answer = client.get(url, params={"q": "Zebedee"} if not params else None)
        asked += 1
        assert "Zebedee" not in answer.text and "zeb@quux" not in answer.text, url
    assert asked > 40
    assert any(path.startswith("/p/service/") for path in spec["paths"])

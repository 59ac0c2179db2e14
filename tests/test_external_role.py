"""The ``partner`` role of outside organisations' users: nothing without a plugin granting it,
and exactly what that plugin's record rules let through with one."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table

from crmkit import (
    EXTERNAL_ROLE,
    SYSTEM,
    Actor,
    Party,
    hookimpl,
    intake_prospect,
    is_allowed,
    party_table,
)
from crmkit.app import Crm
from crmkit.testing import add_party, add_user, http_client, register_plugin


def test_the_role_holds_nothing_by_itself(crm: Crm) -> None:
    outsider = add_user(crm, "olga", EXTERNAL_ROLE)
    for action in ("core:party.read", "core:party.write", "core:interaction.read"):
        assert not is_allowed(crm.host, outsider, action)


def test_a_plugin_grants_and_narrows_it(make_crm: Callable[..., Crm]) -> None:
    app = make_crm()
    seen = add_party(app, "prospect", last_name="Seen")
    hidden = add_party(app, "prospect", last_name="Hidden")
    outsider = add_user(app, "olga", EXTERNAL_ROLE)

    def check(actor: Actor, action: str, resource: Any) -> bool | None:
        if actor.role != EXTERNAL_ROLE:
            return None
        if action != "core:party.read":
            return False
        return not isinstance(resource, Party) or resource.id == seen

    def narrow(actor: Actor, entity_type: str, table: Table) -> Any:
        return table.c.id == seen if actor.role == EXTERNAL_ROLE else None

    rules = types.SimpleNamespace(
        permission_check=hookimpl(check),
        permission_filter=hookimpl(narrow),
        actor_from_request=hookimpl(lambda request: outsider),
    )
    client = http_client(
        make_crm(plugins=[register_plugin(rules, name="rules")], create_tables=False)
    )
    listed = client.get("/api/v1/prospects")
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [seen]
    assert client.get(f"/api/v1/parties/{hidden}").status_code == 404
    assert client.get(f"/api/v1/parties/{seen}").status_code == 200
    assert client.post("/api/v1/prospects", json={"last_name": "New"}).status_code == 403


def test_without_a_plugin_every_route_refuses_it(crm: Crm, make_crm: Callable[..., Crm]) -> None:
    add_party(crm, "prospect", last_name="Anyone")
    outsider = add_user(crm, "olga", EXTERNAL_ROLE)
    signon = types.SimpleNamespace(actor_from_request=hookimpl(lambda request: outsider))
    client = http_client(
        make_crm(plugins=[register_plugin(signon, name="signon")], create_tables=False)
    )
    assert client.get("/api/v1/prospects").status_code == 403
    assert "Anyone" not in client.get("/search", params={"q": "Anyone"}).text


def test_its_pages_show_neither_owner_nor_intake_assessment(make_crm: Callable[..., Crm]) -> None:
    app = make_crm()
    seller = add_user(app, "sven", "sales", territories=("DE-10",))
    lead = intake_prospect(
        app,
        SYSTEM,
        {"first_name": "Anna", "last_name": "Berg", "emails": ["anna.berg@web.de"]},
        source="web",
        vouched=True,
    ).party_id
    assert lead is not None
    with app.transaction() as tx:
        tx.conn.execute(
            party_table.update().where(party_table.c.id == lead).values(owner_id=seller.user_id)
        )
    outsider = add_user(app, "olga", EXTERNAL_ROLE)

    def check(actor: Actor, action: str, resource: Any) -> bool | None:
        if actor.role != EXTERNAL_ROLE:
            return None
        return action == "core:party.read"

    def pages_as(actor: Actor) -> tuple[str, str]:
        rules = types.SimpleNamespace(
            permission_check=hookimpl(check),
            actor_from_request=hookimpl(lambda request: actor),
        )
        client = http_client(
            make_crm(plugins=[register_plugin(rules, name="rules")], create_tables=False)
        )
        page, listing = client.get(f"/parties/{lead}"), client.get("/prospects")
        assert page.status_code == listing.status_code == 200
        return page.text, listing.text

    for text in pages_as(seller):
        assert "sven" in text
    staff_page = pages_as(seller)[0]
    assert 'id="intake"' in staff_page and "Quality " in staff_page
    for text in pages_as(outsider):
        assert "Anna" in text
        assert "sven" not in text
        assert 'id="intake"' not in text and "Quality " not in text

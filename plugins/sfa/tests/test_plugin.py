"""The plugin as a whole: the contract, its removal, and a party's data when merged, exported, erased."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from crmkit_sfa.pipeline import activities, service
from crmkit_sfa.pipeline.tables import activity, opportunity
from crmkit_sfa.planning import forecast
from crmkit_sfa.planning.tables import forecast_snapshot
from sqlalchemy import delete, select

from crmkit import (
    SYSTEM,
    Actor,
    Crm,
    PluginInfo,
    erase_party,
    export_party,
    hookimpl,
    merge_parties,
    utcnow,
)
from crmkit.testing import check_plugin, http_client, invoke, register_plugin

if TYPE_CHECKING:
    from conftest import PartyMaker, SalesRows, SalesTeam


def test_plugin_honours_the_contract() -> None:
    check_plugin("sfa")


def test_upgrading_cleans_the_territories_stored_as_typed(
    make_crm: Callable[..., Crm], rows_in: Callable[[Crm], SalesRows]
) -> None:
    app = make_crm(["sfa"], create_tables=False)
    invoke(app, "db", "upgrade", "core@head")
    invoke(app, "db", "upgrade", "sfa@sfa_0003")
    rows = rows_in(app)
    typed = rows.opportunity(None, territory="de-10 117")
    assert forecast.take_snapshot(app) > 0
    invoke(app, "db", "upgrade")
    with app.read() as conn:
        stored = conn.execute(select(opportunity.c.territory).where(opportunity.c.id == typed))
        assert stored.scalar_one() == "DE-10117"
        snapshots = conn.execute(select(forecast_snapshot.c.territory).distinct())
        assert snapshots.scalars().all() == ["DE-10117"]


def test_without_the_plugin_the_kernel_works_on_its_old_data(
    make_crm: Callable[..., Crm], crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    """The plugin used on a database, then no longer enabled: the kernel alone keeps working."""
    party = new_party()
    with crm.transaction(team.seller) as tx:
        deal = service.create_opportunity(tx, {"party_id": party, "title": "Left behind"})
        call = activities.create_activity(
            tx, {"party_id": party, "opportunity_id": deal.id, "kind": "call", "subject": "Hi"}
        )
        activities.complete_activity(tx, call.id, "reached")
    kernel_only = make_crm(plugins=[signed_on()], create_tables=False)
    assert "sfa" not in kernel_only.host.loaded
    with http_client(kernel_only) as client:
        assert client.get("/").status_code == 200
        page = client.get(f"/parties/{party}")
        # The completed call stays on the timeline, drawn by the kernel now.
        assert page.status_code == 200 and "Hi" in page.text
        assert client.get("/p/sfa/board").status_code == 404
        paths = client.get("/api/openapi.json").json()["paths"]
        assert not [path for path in paths if path.startswith("/p/sfa")]
    with kernel_only.transaction(SYSTEM) as tx:
        erase_party(tx, party)
    # The database's own cascades remove the plugin's rows of an erased party.
    with crm.read() as conn:
        assert service.opportunities_of_party(conn, party) == []
        assert activities.activities_of_opportunity(conn, deal.id) == []


def signed_on() -> PluginInfo:
    class SingleSignOn:
        @hookimpl
        def actor_from_request(self, app: Crm, request: object) -> Actor:
            return Actor(user_id=None, username="ada", role="admin")

    return register_plugin(SingleSignOn(), name="signon")


def test_merge_moves_deals_and_activities_to_the_survivor(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    survivor, merged = new_party(), new_party(organisation_name="Acme Dup")
    with crm.transaction(team.seller) as tx:
        deal = service.create_opportunity(tx, {"party_id": merged, "title": "Dup deal"})
        call = activities.create_activity(
            tx, {"party_id": merged, "opportunity_id": deal.id, "kind": "call", "subject": "Hi"}
        )
    with crm.transaction(SYSTEM) as tx:
        merge_parties(tx, survivor, merged)
    with crm.read() as conn:
        assert service.get_opportunity(conn, deal.id).party_id == survivor
        assert activities.get_activity(conn, call.id).party_id == survivor


def test_export_and_erasure_cover_deals_and_activities(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    party = new_party()
    with crm.transaction(team.seller) as tx:
        deal = service.create_opportunity(
            tx, {"party_id": party, "title": "Export me", "amount": "10"}
        )
        call = activities.create_activity(
            tx, {"party_id": party, "opportunity_id": deal.id, "kind": "call", "subject": "Hi"}
        )
        activities.complete_activity(tx, call.id, "reached")
    with crm.read() as conn:
        exported = export_party(conn, crm.host, party)["sfa"]
    [opp] = exported["opportunities"]
    assert (opp["title"], opp["amount"], opp["stage"]) == ("Export me", "10.00", "initiation")
    assert [a["subject"] for a in exported["activities"]] == ["Hi"]
    with crm.transaction(SYSTEM) as tx:
        erase_party(tx, party)
    with crm.read() as conn:
        assert service.opportunities_of_party(conn, party) == []
        assert activities.activities_of_owner(conn, team.seller.user_id or 0, ("done",)) == []


def test_upgrading_makes_custom_values_stored_too_deep_readable_again(
    make_crm: Callable[..., Crm], rows_in: Callable[[Crm], SalesRows]
) -> None:
    app = make_crm(["sfa", signed_on()], create_tables=False)
    invoke(app, "db", "upgrade", "core@head")
    invoke(app, "db", "upgrade", "sfa@sfa_0004")
    rows = rows_in(app)
    deep: Any = "bottom"
    for _ in range(400):
        deep = [deep]
    # Stored before bodies and custom values were held to a depth: it broke every list.
    stored = rows.opportunity(None, custom={"ok": {"a": [1]}, "deep": deep})

    invoke(app, "db", "upgrade")

    with app.read() as conn:
        custom = conn.execute(select(opportunity.c.custom).where(opportunity.c.id == stored))
        kept = custom.scalar_one()
    assert kept["ok"] == {"a": [1]}
    assert json.loads(kept["deep"]) == deep
    with http_client(app) as client:
        assert client.get("/p/sfa/opportunities").status_code == 200


def test_activity_of_an_erased_party_keeps_its_id_to_itself(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    def plan(party: int) -> int:
        with crm.transaction(team.seller) as tx:
            data = {"party_id": party, "kind": "call", "subject": "Call back"}
            return activities.create_activity(tx, data).id

    kept = plan(new_party())
    erased_party = new_party()
    erased = [plan(erased_party), plan(erased_party)]
    with crm.transaction(SYSTEM) as tx:
        erase_party(tx, erased_party)

    # SQLite without AUTOINCREMENT gave the erased party's newest id to the next activity.
    assert plan(new_party()) > max(kept, *erased)


def test_upgrading_keeps_every_activity_and_its_id(
    make_crm: Callable[..., Crm], rows_in: Callable[[Crm], SalesRows]
) -> None:
    app = make_crm(["sfa"], create_tables=False)
    invoke(app, "db", "upgrade", "core@head")
    invoke(app, "db", "upgrade", "sfa@sfa_0005")
    rows = rows_in(app)
    ids = [rows.activity(None, utcnow()) for _ in range(3)]
    with app.transaction() as tx:
        tx.conn.execute(delete(activity).where(activity.c.id == ids[-1]))
    with app.read() as conn:
        before = conn.execute(select(activity).order_by(activity.c.id)).all()

    invoke(app, "db", "upgrade")

    with app.read() as conn:
        assert conn.execute(select(activity).order_by(activity.c.id)).all() == before
    with app.transaction() as tx:
        tx.conn.execute(delete(activity).where(activity.c.id == ids[-2]))
    assert rows.activity(None, utcnow()) > ids[-2]

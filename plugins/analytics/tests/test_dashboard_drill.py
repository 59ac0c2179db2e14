"""Drill-down: a figure of a source that keeps its records (sfa's deals) links to the
dashboard's drill page, which lists exactly the records behind it (period, stage, territory),
each linking to its own page, record rules applied."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from crmkit import SYSTEM, Crm, hookimpl
from crmkit.testing import add_party, add_user, register_plugin

from .conftest import CrmMaker
from .test_forecasts_plans import SignOn, client_of

PARIS = {"street": "1 rue de Rivoli", "postcode": "75001", "city": "Paris", "country": "FR"}
Q1 = {"period": "quarter", "end": "2027-03-31"}


@pytest.fixture
def crm(make_analytics: CrmMaker) -> Crm:
    return make_analytics(
        with_plugins=("sfa",), plugins=(register_plugin(SignOn(), name="signon"),)
    )


@pytest.fixture
def deals(crm: Crm) -> dict[str, Any]:
    admin = add_user(crm, "ada", "admin", team="it")
    manager = add_user(crm, "max", "manager", team="north", territories=("DE-10",))
    berlin = add_party(crm)
    paris = add_party(crm, addresses=[PARIS], emails=["p@example.org"])
    ids = {}
    with client_of(crm, admin) as client:
        for title, party, close, owner in (
            ("Vans for Berlin", berlin, "2027-02-10", None),
            ("Later Berlin", berlin, "2027-05-10", None),
            ("Paris trucks", paris, "2027-02-11", None),
            ("Paris by Max", paris, "2027-03-01", manager.user_id),
        ):
            body: dict[str, Any] = {
                "title": title,
                "party_id": party,
                "amount": "1000",
                "expected_close": close,
            }
            if owner is not None:
                body["owner_id"] = owner
            created = client.post("/p/sfa/opportunities", json=body)
            assert created.status_code == 201, created.text
            ids[title] = created.json()["id"]
    assert crm.jobs.run("analytics.rebuild_rollups").ok
    return {"admin": admin, "manager": manager, "ids": ids}


def drill_of(figure: dict[str, Any]) -> tuple[str, dict[str, str]]:
    url = urlsplit(figure["drill"])
    return url.path, {k: v[0] for k, v in parse_qs(url.query).items()}


def test_the_drill_page_lists_the_deals_behind_the_figure(crm: Crm, deals: dict[str, Any]) -> None:
    ids = deals["ids"]
    with client_of(crm, deals["admin"]) as client:
        found = client.get("/p/analytics/tiles/pipeline", params=Q1).json()
        [open_pipeline] = [f for f in found["headline"] if f["label"] == "Open pipeline"]
        path, query = drill_of(open_pipeline)
        page = client.get(path, params=query)
        [stage] = found["charts"][0]["figures"]
        stage_page = client.get(*drill_of(stage)[:1], params=drill_of(stage)[1])
        french = client.get("/p/analytics/tiles/pipeline", params={**Q1, "territory": "FR"})
        [fr_total] = [f for f in french.json()["headline"] if f["label"] == "Open pipeline"]
        fr_page = client.get(drill_of(fr_total)[0], params=drill_of(fr_total)[1])
    assert open_pipeline["value"] == 3000.0
    assert path == "/p/analytics/drill"
    assert (query["metric"], query["start"], query["end"]) == (
        "sfa.pipeline",
        "2027-01-01",
        "2027-03-31",
    )
    assert page.status_code == 200, page.text
    html = page.text
    for title in ("Vans for Berlin", "Paris trucks", "Paris by Max"):
        assert f'href="/p/sfa/opportunities/{ids[title]}/page">{title}</a>' in html
    assert "Later Berlin" not in html  # expected to close in Q2
    assert "3 records behind the figure" in html
    assert "dimension" in drill_of(stage)[1] and stage_page.status_code == 200
    assert "Vans for Berlin" in stage_page.text
    assert drill_of(fr_total)[1]["territory"] == "FR"
    assert "Paris trucks" in fr_page.text and "Vans for Berlin" not in fr_page.text


def test_a_manager_sees_only_the_records_they_may_see(crm: Crm, deals: dict[str, Any]) -> None:
    with client_of(crm, deals["manager"]) as client:
        found = client.get("/p/analytics/tiles/pipeline", params=Q1).json()
        [open_pipeline] = [f for f in found["headline"] if f["label"] == "Open pipeline"]
        page = client.get(drill_of(open_pipeline)[0], params=drill_of(open_pipeline)[1])
        forged = client.get(
            "/p/analytics/drill",
            params={"metric": "sfa.pipeline", "start": "2027-01-01", "end": "2027-12-31"},
        )
    assert page.status_code == 200
    assert "Vans for Berlin" in page.text  # DE-10
    assert "Paris trucks" not in page.text  # another territory, nobody of their team
    assert "Paris by Max" in page.text  # their own deal
    assert "Paris trucks" not in forged.text and "Later Berlin" in forged.text


def test_records_of_parties_one_may_not_see_are_left_out(
    make_analytics: CrmMaker,
) -> None:
    from crmkit_analytics.dashboard import service
    from crmkit_analytics.sources import Fact, FactSource, Measure, Metric

    parties: dict[str, int] = {}

    def facts(conn: Any, keys: Any) -> list[Fact]:
        # Both records claim a Berlin cell; only the first party is one in Berlin.
        return [
            Fact(
                f"deal:{name}",
                (Measure("x.deals", date(2027, 2, 1), 1, 10.0, territory="DE-10117"),),
                party_id=party,
            )
            for name, party in parties.items()
        ]

    class Deals:
        @hookimpl(optionalhook=True)
        def analytics_sources(self) -> list[Any]:
            return [
                FactSource(
                    name="deals", metrics=(Metric("x.deals", "Deals", "amount"),), facts=facts
                )
            ]

    crm = make_analytics(plugins=(register_plugin(Deals(), name="deals"),))
    rep = add_user(crm, "rita", "sales", team="north", territories=("DE-10",))
    parties["seen"] = add_party(crm)
    parties["unseen"] = add_party(crm, addresses=[PARIS], emails=["p@example.org"])
    assert crm.jobs.run("analytics.rebuild_rollups").ok
    query = {"metric": "x.deals", "start": "2027-01-01", "end": "2027-03-31"}
    with crm.read() as conn:
        found = service.drill(crm, conn, rep, query)
        everything = service.drill(crm, conn, SYSTEM, query)
    assert found.records is not None and everything.records is not None
    assert [r.key for r in found.records.rows] == ["deal:seen"]
    assert sorted(r.key for r in everything.records.rows) == ["deal:seen", "deal:unseen"]

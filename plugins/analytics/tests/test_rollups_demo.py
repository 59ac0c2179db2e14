"""After the demo's data is written, the rollups hold every source's figures: analytics
seeds last, rebuilding from what the other plugins seeded."""

from __future__ import annotations

from datetime import date

from crmkit_analytics.rollups.reading import metrics, totals
from crmkit_analytics.rollups.tables import source_state
from sqlalchemy import select

from crmkit.testing import seed_demo_data

from .conftest import CrmMaker

FAR = (date(2000, 1, 1), date(2100, 1, 1))


def test_the_demo_fills_the_rollups_of_every_source(make_analytics: CrmMaker) -> None:
    crm = make_analytics(with_plugins=("sfa",))
    seed_demo_data(crm, customers=30, prospects=40)
    assert {"leads.created", "sfa.pipeline", "sfa.won"} <= set(metrics(crm))
    with crm.read() as conn:
        assert totals(conn, "leads.created", *FAR)[0].count > 0
        assert totals(conn, "sfa.created", *FAR)[0].count > 0
        assert totals(conn, "sfa.pipeline", *FAR)[0].count > 0
        built = set(conn.execute(select(source_state.c.source)).scalars())
    assert built == {"leads", "sfa"}


def test_the_plugin_keeps_the_contract() -> None:
    from crmkit.testing import check_plugin

    check_plugin("analytics")

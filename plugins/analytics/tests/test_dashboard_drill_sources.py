"""Every feeding plugin's ``describe``: on the demo data, the drill page's records of each
fact-kept metric show as their plugin's record (a label and the link to its page), and add
up to the figure."""

from __future__ import annotations

from datetime import date

import pytest
from crmkit_analytics.dashboard import service
from crmkit_analytics.rollups.reading import metrics, totals

from crmkit import SYSTEM
from crmkit.testing import seed_demo_data

from .conftest import CrmMaker

FAR = {"start": "2000-01-01", "end": "2099-12-31"}
PAGES = {
    "sfa.won": "/p/sfa/opportunities/",
    "sfa.orders": "/parties/",
    "leads.created": "/parties/",
    "service.opened": "/p/service/cases/",
    "surveys.completed": "/p/surveys/page/responses/",
    "campaigns.sent": "/p/campaigns/campaigns/",
}


@pytest.mark.parametrize("metric", sorted(PAGES))
def test_each_source_describes_the_records_behind_a_figure(
    make_analytics: CrmMaker, metric: str
) -> None:
    crm = make_analytics(with_plugins=("sfa", "campaigns", "service", "surveys"))
    seed_demo_data(crm, customers=30, prospects=20)
    assert metric in metrics(crm)
    with crm.read() as conn:
        [figure] = totals(conn, metric, date(2000, 1, 1), date(2099, 12, 31))
        found = service.drill(crm, conn, SYSTEM, {"metric": metric, **FAR})
    if not figure.count:
        pytest.skip(f"the demo has no {metric}")
    records = found.records
    assert records is not None
    assert (records.count, records.amount) == (figure.count, pytest.approx(figure.amount))
    for row in records.rows:
        assert row.label != row.key and row.url.startswith(PAGES[metric]), row

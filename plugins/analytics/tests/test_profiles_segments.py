"""The campaigns plugin's segment criteria on analytics' profiles: band, R/F/M scores, product
group bought, preferred channel (campaigns offers them when analytics is loaded)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from crmkit import Crm
from crmkit.testing import add_user

from .conftest import CrmMaker, PartyMaker, PurchaseAdder

pytest.importorskip("crmkit_campaigns", reason="the campaigns plugin is not installed")

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)
MARKETERS = itertools.count()


@pytest.fixture
def crm(make_analytics: CrmMaker) -> Crm:
    """Analytics with channels and campaigns."""
    channels = {
        "from_address": "Acme News <news@acme.example>",
        "public_url": "https://crm.acme.example",
        "link_secret": "a-test-secret-of-at-least-32-characters",
    }
    return make_analytics(with_plugins=("channels", "campaigns"), settings={"channels": channels})


def run(crm: Crm, definition: Any) -> set[int]:
    from crmkit_campaigns.segments.targets import compile_segment

    marketer = add_user(crm, f"mia{next(MARKETERS)}", "marketing")
    with crm.transaction(marketer) as tx:
        return {row.party_id for row in tx.conn.execute(compile_segment(tx, definition))}


def leaf(criterion: str, op: str = "is", **options: Any) -> dict[str, Any]:
    return {"criterion": criterion, "op": op, "with": options}


@pytest.fixture
def customers(crm: Crm, new_party: PartyMaker, add_purchases: PurchaseAdder) -> dict[str, int]:
    from crmkit_analytics.profiles import service

    made = {}
    for name in ("champion", "loyal", "newcomer", "slipping", "lost"):
        made[name] = new_party(last_name=name.title())
    add_purchases(
        made["champion"],
        [(2 + 30 * k, 200.0) for k in range(5)],
        group="Grills",
        channel="web",
        now=NOW,
    )
    add_purchases(
        made["loyal"],
        [(40 * k + 40, 100.0) for k in range(4)],
        group="garden",
        channel="shop",
        now=NOW,
    )
    add_purchases(made["newcomer"], [(20, 90.0)], group="garden", channel="web", now=NOW)
    add_purchases(
        made["slipping"], [(200, 50.0), (260, 50.0), (300, 50.0)], channel="shop", now=NOW
    )
    add_purchases(made["lost"], [(400, 10.0), (500, 10.0)], group="tools", now=NOW)
    made["never"] = new_party(last_name="Never")
    service.refresh(crm, NOW)
    return made


def test_band(crm: Crm, customers: dict[str, int]) -> None:
    assert run(crm, leaf("analytics.band", band="champions")) == {customers["champion"]}
    assert run(crm, leaf("analytics.band", band="at_risk")) == {customers["slipping"]}
    # Without a profile a party is in no band, so "is not" keeps it.
    assert run(crm, leaf("analytics.band", "is_not", band="champions")) == {
        customers[n] for n in ("loyal", "newcomer", "slipping", "lost", "never")
    }


def test_scores(crm: Crm, customers: dict[str, int]) -> None:
    assert run(crm, leaf("analytics.rfm", r_min=4)) == {
        customers["champion"],
        customers["newcomer"],
    }
    assert run(crm, leaf("analytics.rfm", r_max=2, f_min=3)) == {customers["slipping"]}
    assert run(crm, leaf("analytics.rfm", m_min=4, m_max=5)) == {
        customers["champion"],
        customers["loyal"],
    }


def test_product_group_and_channel(crm: Crm, customers: dict[str, int]) -> None:
    assert run(crm, leaf("analytics.bought_group", group="GARDEN")) == {
        customers["loyal"],
        customers["newcomer"],
    }
    assert run(crm, leaf("analytics.bought_group", group="garden", since="2026-05-25")) == {
        customers["newcomer"]
    }
    assert run(crm, leaf("analytics.preferred_channel", channel="shop")) == {
        customers["loyal"],
        customers["slipping"],
    }


def test_bad_parameters_name_the_option(crm: Crm, customers: dict[str, int]) -> None:
    from crmkit import ValidationError

    for definition, field in (
        (leaf("analytics.band", band="royalty"), "with.band"),
        (leaf("analytics.rfm", r_min=7), "with.r_min"),
        (leaf("analytics.rfm"), "with.r_min"),
        (leaf("analytics.bought_group"), "with.group"),
    ):
        with pytest.raises(ValidationError) as refused:
            run(crm, definition)
        assert refused.value.field.endswith(field), (definition, refused.value.field)

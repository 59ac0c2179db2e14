"""The demo programme: Acme Rewards with its tier ladder, rules (a product group of the sfa
catalogue when sfa is loaded, the survey behaviour when surveys announces it) and rewards,
all valid by the rules the API holds them to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crmkit_loyalty.programmes.service import (
    active_programmes,
    rewards_of,
    rules_of,
    tiers_of,
)
from crmkit_sfa import product_table
from sqlalchemy import select

from crmkit import Actor, Crm, hookimpl, utcnow
from crmkit.testing import add_user, http_client, register_plugin, seed_demo_data


def as_marketer(crm: Crm, make_crm: Callable[..., Crm]) -> Any:
    """An HTTP client of ``crm`` with its plugins, signed on as a marketer."""
    marketer = add_user(crm, "mia", "marketing")

    class SignOn:
        @hookimpl
        def actor_from_request(self, app: Crm, request: Any) -> Actor:
            return marketer

    app = make_crm(
        plugins=[*crm.host.loaded, register_plugin(SignOn(), name="signon")],
        settings=crm.settings,
        create_tables=False,
    )
    return http_client(app)


def test_the_demo_programme_with_sfa_and_surveys(
    make_loyalty: Any, make_crm: Callable[..., Crm]
) -> None:
    crm = make_loyalty(with_plugins=("sfa", "surveys"))
    seed_demo_data(crm, customers=60, prospects=10, now=utcnow().replace(microsecond=0))
    with crm.read() as conn:
        [found] = active_programmes(conn)
        tiers = [(t.name, t.threshold, str(t.multiplier)) for t in tiers_of(conn, found.id)]
        rules = {r.kind: r for r in rules_of(conn, found.id)}
        rewards = [(r.name, r.points, r.min_tier_rank, r.stock) for r in rewards_of(conn, found.id)]
        groups = set(conn.execute(select(product_table.c.product_group)).scalars())
    assert (found.name, found.currency, found.points_expire_months) == ("Acme Rewards", "EUR", 24)
    assert (found.qualification_months, found.auto_enrol) == (12, True)
    assert tiers == [
        ("Member", 0, "1.000"),
        ("Silver", 1000, "1.250"),
        ("Gold", 5000, "1.500"),
        ("Platinum", 15000, "2.000"),
    ]
    assert set(rules) == {"spend", "product_group", "behaviour", "referral"}
    assert rules["product_group"].product_group in groups
    behaviour = rules["behaviour"]
    assert (behaviour.behaviour, behaviour.points, behaviour.max_per_party_per_year) == (
        "surveys.answered",
        50,
        4,
    )
    assert rules["referral"].points == 500
    assert rewards == [
        ("Voucher 10 EUR", 1000, 0, None),
        ("Service check", 2500, 0, None),
        ("Lounge day pass", 4000, 2, 20),
    ]
    page = as_marketer(crm, make_crm).get(f"/p/loyalty/page/programmes/{found.id}")
    assert page.status_code == 200
    for shown in ("Platinum", "50 for surveys.answered", "Gold and above", "Answered a survey"):
        assert shown in page.text


def test_the_demo_programme_alone_has_spend_and_referral_rules(crm: Any) -> None:
    seed_demo_data(crm, customers=20, prospects=5)
    with crm.read() as conn:
        [found] = active_programmes(conn)
        assert sorted(r.kind for r in rules_of(conn, found.id)) == ["referral", "spend"]

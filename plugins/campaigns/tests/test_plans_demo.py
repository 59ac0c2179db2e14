"""The demo's marketing plan and after-sales campaigns: valid rows the services and pages use,
with or without the plugins the triggers need."""

from __future__ import annotations

from typing import Any

from crmkit_campaigns.campaigns.tables import campaign
from crmkit_campaigns.plans import service as plans
from crmkit_campaigns.plans.progress import plan_progress
from crmkit_campaigns.triggers import service as triggers
from crmkit_campaigns.triggers.registry import check_trigger
from sqlalchemy import select

from crmkit import SYSTEM, Crm, utcnow
from crmkit.testing import seed_demo_data


def test_the_demo_plan_has_targets_with_actuals_and_statuses(crm: Crm) -> None:
    now = utcnow().replace(microsecond=0)
    seed_demo_data(crm, customers=150, prospects=80, now=now)
    with crm.read() as conn:
        (summary,) = plans.list_plans(conn)
        found = plans.get_plan(conn, summary.id)
        progress = plan_progress(
            crm.host, conn, SYSTEM, found, now, crm.settings_of["campaigns"].plans
        )
    assert summary.name == f"Marketing plan {now.year}" and len(found.targets) == 20
    statuses = {row.status for row in progress.targets}
    assert "not_available" in statuses  # revenue without sfa
    assert statuses - {"not_available", "upcoming"}


def test_the_demo_triggered_campaigns_follow_the_plugins_loaded(make_campaigns: Any) -> None:
    now = utcnow().replace(microsecond=0)
    crm = make_campaigns(plugins=("service",), sfa=True)
    seed_demo_data(crm, customers=150, prospects=20, now=now)
    with crm.read() as conn:
        rows = conn.execute(
            select(campaign.c.id, campaign.c.trigger).where(campaign.c.kind == "triggered")
        ).all()
        # Their queries run on the demo's assets and orders.
        for row in rows:
            triggers.preview(crm, conn, SYSTEM, row.id, now)
    assert sorted(r.trigger["name"] for r in rows) == [
        "campaigns.replacement_age",
        "service.warranty_ending",
    ]
    for row in rows:
        assert check_trigger(crm, row.trigger) == row.trigger


def test_the_demo_leaves_out_triggered_campaigns_whose_plugin_is_missing(crm: Crm) -> None:
    seed_demo_data(crm, customers=50, prospects=10, now=utcnow().replace(microsecond=0))
    with crm.read() as conn:
        assert triggers.list_triggered(conn) == []

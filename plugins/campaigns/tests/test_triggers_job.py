"""Triggers part: the daily job enters each due occurrence once, as the campaign's owner, with
consent; a new occurrence (next year's date) enters the customer again; runs are recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from crmkit_campaigns.campaigns import definition, lifecycle
from crmkit_campaigns.campaigns.tables import member
from crmkit_campaigns.triggers import service
from crmkit_campaigns.triggers.tables import trigger_run
from sqlalchemy import func, select, update

from crmkit import Actor, Crm, CustomField, hookimpl, party_table, record_consent
from crmkit.testing import register_plugin

MUNICH = [{"street": "Marienplatz 1", "postcode": "80331", "city": "München", "country": "DE"}]
NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
TODAY = NOW.date()


class Fleet:
    """A plugin giving customers the day their vehicle's inspection is due."""

    @hookimpl
    def register_custom_fields(self) -> list[CustomField]:
        return [CustomField("customer", "fleet_inspection_due", "date", label="Inspection due")]


@pytest.fixture
def crm(make_campaigns: Any) -> Crm:
    return make_campaigns(plugins=(register_plugin(Fleet(), name="fleet"),))


def inspection_trigger(days: int = 14) -> dict[str, Any]:
    return {
        "name": "campaigns.custom_date",
        "parameters": {"field": "fleet_inspection_due", "days": days, "when": "before"},
    }


def triggered_campaign(crm: Crm, owner: Actor, trigger: dict[str, Any] | None = None) -> int:
    """An active (sending) triggered email campaign owned by ``owner``."""
    with crm.transaction(owner) as tx:
        made = definition.create_campaign(
            tx,
            {
                "name": "Inspection reminder",
                "kind": "triggered",
                "purpose": "marketing",
                "trigger": trigger or inspection_trigger(),
                "variants": [
                    {"channel": "email", "subject": "Inspection due", "text": "Book a slot."}
                ],
            },
        )
        lifecycle.start(tx, made.id)
    return made.id


def customer_due(new_party: Any, due: date | None, **data: Any) -> int:
    custom = {} if due is None else {"fleet_inspection_due": due.isoformat()}
    return int(new_party("customer", custom=custom, **data))


def members_of(crm: Crm, campaign_id: int) -> list[tuple[int, str, str]]:
    with crm.read() as conn:
        rows = conn.execute(
            select(member.c.party_id, member.c.occurrence, member.c.status)
            .where(member.c.campaign_id == campaign_id)
            .order_by(member.c.party_id, member.c.occurrence)
        )
        return [tuple(r) for r in rows]


def test_each_due_occurrence_is_entered_once_however_often_the_job_runs(
    crm: Crm, new_party: Any, staff: Any
) -> None:
    due = TODAY + timedelta(days=10)  # 14 days before it: 4 days ago, within the catch-up week
    alice = customer_due(new_party, due)
    customer_due(new_party, TODAY + timedelta(days=30))  # not due for another 16 days
    customer_due(new_party, TODAY - timedelta(days=100))  # fell due long ago: not caught up
    customer_due(new_party, None)  # no date
    campaign_id = triggered_campaign(crm, staff.marketer)

    first = service.run_all(crm, NOW)
    again = service.run_all(crm, NOW + timedelta(hours=1))
    next_day = service.run_all(crm, NOW + timedelta(days=1))

    occurrence = f"fleet_inspection_due {due.isoformat()}"
    assert members_of(crm, campaign_id) == [(alice, occurrence, "targeted")]
    assert [r.entered for r in first + again + next_day] == [1, 0, 0]
    assert first[0].due_on == TODAY and first[0].error is None
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(trigger_run)).scalar_one() == 3


def test_a_new_occurrence_next_year_enters_the_customer_again(
    crm: Crm, new_party: Any, staff: Any
) -> None:
    due = TODAY + timedelta(days=14)
    alice = customer_due(new_party, due)
    campaign_id = triggered_campaign(crm, staff.marketer)
    assert [r.entered for r in service.run_all(crm, NOW)] == [1]

    next_due = due + timedelta(days=365)
    with crm.transaction() as tx:
        tx.conn.execute(
            update(party_table)
            .where(party_table.c.id == alice)
            .values(custom={"fleet_inspection_due": next_due.isoformat()})
        )
    a_year_later = NOW + timedelta(days=365)
    assert [r.entered for r in service.run_all(crm, a_year_later)] == [1]
    assert [r.entered for r in service.run_all(crm, a_year_later)] == [0]
    assert [m[1] for m in members_of(crm, campaign_id)] == [
        f"fleet_inspection_due {due.isoformat()}",
        f"fleet_inspection_due {next_due.isoformat()}",
    ]


def test_only_consenting_customers_are_entered(crm: Crm, new_party: Any, staff: Any) -> None:
    due = TODAY + timedelta(days=14)
    consenting = customer_due(new_party, due)
    customer_due(new_party, due, consent=())
    withdrawn = customer_due(new_party, due)
    with crm.transaction() as tx:
        record_consent(tx, withdrawn, "marketing", "email", "withdrawn", source="test")
    campaign_id = triggered_campaign(crm, staff.marketer)
    service.run_all(crm, NOW)
    assert [m[0] for m in members_of(crm, campaign_id)] == [consenting]


def test_the_job_enters_only_parties_the_owner_sees(crm: Crm, new_party: Any, staff: Any) -> None:
    due = TODAY + timedelta(days=14)
    berlin = customer_due(new_party, due)
    customer_due(new_party, due, addresses=MUNICH, owner_id=staff.outsider.user_id)
    campaign_id = triggered_campaign(crm, staff.manager)
    (run,) = service.run_all(crm, NOW)
    assert run.entered == 1
    assert [m[0] for m in members_of(crm, campaign_id)] == [berlin]


def test_paused_and_one_off_campaigns_are_left_alone(crm: Crm, new_party: Any, staff: Any) -> None:
    customer_due(new_party, TODAY + timedelta(days=14))
    campaign_id = triggered_campaign(crm, staff.marketer)
    with crm.transaction(staff.marketer) as tx:
        lifecycle.pause(tx, campaign_id)
    assert service.run_all(crm, NOW) == []
    assert members_of(crm, campaign_id) == []


def test_a_campaign_whose_owner_left_records_a_failed_run_and_the_others_run(
    crm: Crm, new_party: Any, staff: Any, new_user: Any
) -> None:
    customer_due(new_party, TODAY + timedelta(days=14))
    leaver = new_user("lea", "marketing")
    gone = triggered_campaign(crm, leaver)
    kept = triggered_campaign(crm, staff.marketer)
    from crmkit import user_table

    with crm.transaction() as tx:
        tx.conn.execute(
            update(user_table).where(user_table.c.id == leaver.user_id).values(active=False)
        )
    runs = {r.campaign_id: r for r in service.run_all(crm, NOW)}
    assert runs[gone].entered == 0 and runs[gone].error is not None
    assert "owner" in runs[gone].error
    assert runs[kept].entered == 1


def test_the_registered_job_runs_the_triggers(crm: Crm, new_party: Any, staff: Any) -> None:
    customer_due(new_party, date.today() + timedelta(days=14))
    campaign_id = triggered_campaign(crm, staff.marketer)
    result = crm.jobs.run("campaigns.triggers")
    assert result.ok, result.error
    assert len(members_of(crm, campaign_id)) == 1

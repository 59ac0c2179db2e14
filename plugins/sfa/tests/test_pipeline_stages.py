"""Stages: default probability, exit criteria on stage change, playbooks, history, configured pipelines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_sfa.pipeline import activities, service
from crmkit_sfa.pipeline.pipelines import define_pipeline, pipeline_of
from crmkit_sfa.pipeline.tables import stage_change
from sqlalchemy import select

from crmkit import ConflictError, Crm, Settings, ValidationError

if TYPE_CHECKING:
    from conftest import PartyMaker, SalesTeam


@pytest.fixture
def opportunity(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> Callable[..., service.Opportunity]:
    def make(**data: Any) -> service.Opportunity:
        party = new_party()
        with crm.transaction(team.seller) as tx:
            return service.create_opportunity(
                tx, {"party_id": party, "title": "Fleet renewal", **data}
            )

    return make


def move(crm: Crm, team: SalesTeam, opp_id: int, stage: str) -> service.Opportunity:
    with crm.transaction(team.seller) as tx:
        return service.change_stage(tx, opp_id, stage)


def test_stage_change_sets_the_stage_default_probability_and_is_recorded(
    crm: Crm, team: SalesTeam, opportunity: Callable[..., service.Opportunity]
) -> None:
    opp = opportunity()
    moved = move(crm, team, opp.id, "identification")
    assert (moved.stage, moved.probability, moved.version) == ("identification", 20, 2)
    assert moved.stage_entered_at > opp.stage_entered_at
    # Moving back needs no criteria.
    back = move(crm, team, opp.id, "initiation")
    assert back.probability == 10
    with crm.read() as conn:
        history = conn.execute(
            select(stage_change.c.from_stage, stage_change.c.to_stage, stage_change.c.changed_by)
            .where(stage_change.c.opportunity_id == opp.id)
            .order_by(stage_change.c.id)
        ).all()
    seller = team.seller.user_id
    assert [tuple(row) for row in history] == [
        (None, "initiation", seller),
        ("initiation", "identification", seller),
        ("identification", "initiation", seller),
    ]


def test_a_probability_given_with_a_move_is_kept_instead_of_the_stage_default(
    crm: Crm, team: SalesTeam, opportunity: Callable[..., service.Opportunity]
) -> None:
    opp = opportunity()
    with crm.transaction(team.seller) as tx:
        moved = service.update_opportunity(
            tx, opp.id, {"stage": "identification", "probability": 22}
        )
    assert (moved.stage, moved.probability) == ("identification", 22)
    with crm.read() as conn:
        assert service.get_opportunity(conn, opp.id).probability == 22


def test_leaving_qualification_needs_amount_and_close_date(
    crm: Crm, team: SalesTeam, opportunity: Callable[..., service.Opportunity]
) -> None:
    opp = opportunity(stage="qualification")
    with pytest.raises(ValidationError) as raised:
        move(crm, team, opp.id, "rfp_received")
    assert raised.value.field == "amount"
    assert "before leaving stage 'Qualification'" in str(raised.value)
    # Skipping ahead is no way round the criteria of the stages in between.
    with pytest.raises(ValidationError):
        move(crm, team, opp.id, "final")
    with crm.read() as conn:
        assert service.get_opportunity(conn, opp.id).stage == "qualification"
    with crm.transaction(team.seller) as tx:
        service.update_opportunity(tx, opp.id, {"amount": "5000", "expected_close": "2027-03-31"})
    assert move(crm, team, opp.id, "rfp_received").stage == "rfp_received"


def test_skipping_stages_needs_the_exit_criteria_of_every_stage_skipped(
    crm: Crm, team: SalesTeam, opportunity: Callable[..., service.Opportunity]
) -> None:
    # Initiation asks nothing to leave it; Qualification, two stages on, asks for amount and close.
    opp = opportunity()
    with pytest.raises(ValidationError) as raised:
        move(crm, team, opp.id, "rfp_received")
    assert raised.value.field == "amount"
    assert "before leaving stage 'Qualification'" in str(raised.value)
    with crm.transaction(team.seller) as tx:
        service.update_opportunity(tx, opp.id, {"amount": "5000", "expected_close": "2027-03-31"})
    # A stage skipped is never entered, so its required step is never done: no way past it.
    with pytest.raises(ValidationError) as raised:
        move(crm, team, opp.id, "final")
    assert "'Send proposal' must be done before leaving stage 'RFP received'" in str(raised.value)
    with crm.read() as conn:
        assert service.get_opportunity(conn, opp.id).stage == "initiation"
    assert move(crm, team, opp.id, "rfp_received").stage == "rfp_received"


def test_entering_a_stage_plans_its_playbook_and_the_required_step_gates_the_exit(
    crm: Crm, team: SalesTeam, opportunity: Callable[..., service.Opportunity]
) -> None:
    opp = opportunity(stage="qualification", amount="5000", expected_close="2027-03-31")
    moved = move(crm, team, opp.id, "rfp_received")
    with crm.read() as conn:
        [planned] = activities.activities_of_opportunity(conn, opp.id)
    assert (planned.kind, planned.subject, planned.status) == ("task", "Send proposal", "planned")
    assert planned.playbook_step == "rfp_received.send_proposal"
    assert planned.owner_id == team.seller.user_id
    assert planned.due_at == moved.stage_entered_at + timedelta(days=2)
    with pytest.raises(ValidationError) as raised:
        move(crm, team, opp.id, "quotation_sent")
    assert raised.value.field == "activities"
    assert "'Send proposal' must be done" in str(raised.value)
    with crm.transaction(team.seller) as tx:
        activities.complete_activity(tx, planned.id, "sent by mail")
    assert move(crm, team, opp.id, "quotation_sent").probability == 70
    with crm.read() as conn:
        steps = [a.playbook_step for a in activities.activities_of_opportunity(conn, opp.id)]
    assert steps == ["rfp_received.send_proposal", "quotation_sent.follow_up"]


def test_exit_activities_need_a_done_activity_of_that_kind(
    make_crm: Callable[..., Crm], new_party: PartyMaker, team: SalesTeam
) -> None:
    settings = Settings(
        plugin_settings={
            "sfa": {
                "pipeline": {
                    "pipelines": [
                        {
                            "key": "service",
                            "label": "After-sales",
                            "stages": [
                                {
                                    "key": "visit",
                                    "label": "Site visit",
                                    "probability": 40,
                                    "exit_activities": ["visit"],
                                },
                                {"key": "offer", "label": "Offer", "probability": 80},
                            ],
                        }
                    ]
                }
            }
        }
    )
    crm = make_crm(plugins=["sfa"], settings=settings, create_tables=False)
    party = new_party()
    with crm.transaction(team.seller) as tx:
        opp = service.create_opportunity(tx, {"party_id": party, "title": "Maintenance"})
        assert (opp.pipeline, opp.stage, opp.probability) == ("service", "visit", 40)
        visit = activities.create_activity(
            tx,
            {
                "party_id": opp.party_id,
                "opportunity_id": opp.id,
                "kind": "visit",
                "subject": "Inspect the plant",
            },
        )
        # A visit done for another deal does not count for this one.
        other = service.create_opportunity(tx, {"party_id": party, "title": "Spare parts"})
        elsewhere = activities.create_activity(
            tx,
            {"party_id": party, "opportunity_id": other.id, "kind": "visit", "subject": "Store"},
        )
        activities.complete_activity(tx, elsewhere.id)
    with pytest.raises(ValidationError) as raised:
        move(crm, team, opp.id, "offer")
    assert "a visit must be done before leaving stage 'Site visit'" in str(raised.value)
    with crm.transaction(team.seller) as tx:
        activities.complete_activity(tx, visit.id)
    assert move(crm, team, opp.id, "offer").probability == 80


def test_a_wrong_pipeline_configuration_stops_the_plugin_naming_the_key(
    make_crm: Callable[..., Crm],
) -> None:
    stages = [{"key": "a", "label": "A", "probability": 120}]
    settings = Settings(
        plugin_settings={
            "sfa": {"pipeline": {"pipelines": [{"key": "x", "label": "X", "stages": stages}]}}
        }
    )
    crm = make_crm(plugins=["sfa"], settings=settings)
    status = crm.host.statuses["sfa"]
    assert status.state == "failed"
    assert status.reason is not None and "plugins.sfa.pipeline.pipelines" in status.reason


def test_pipeline_defined_through_the_service_is_used_by_opportunities(
    crm: Crm, team: SalesTeam, new_party: PartyMaker
) -> None:
    definition = {
        "key": "renewals",
        "label": "Renewals",
        "stages": [
            {"key": "due", "label": "Renewal due", "probability": 60, "norm_days": 30},
            {"key": "signed", "label": "Signed", "probability": 95},
        ],
    }
    with crm.transaction(team.manager) as tx:
        assert define_pipeline(tx, definition).created
    party = new_party()
    with crm.transaction(team.seller) as tx:
        opp = service.create_opportunity(
            tx, {"party_id": party, "title": "2027 renewal", "pipeline": "renewals"}
        )
    assert (opp.stage, opp.probability) == ("due", 60)
    with crm.read() as conn:
        assert pipeline_of(crm, "renewals", conn).stages[0].norm_days == 30
    # A stage holding open opportunities cannot be dropped; a configured pipeline cannot be replaced.
    with pytest.raises(ValidationError) as raised, crm.transaction(team.manager) as tx:
        define_pipeline(tx, {**definition, "stages": definition["stages"][1:]})
    assert raised.value.field == "stages"
    with pytest.raises(ConflictError), crm.transaction(team.manager) as tx:
        define_pipeline(tx, {**definition, "key": "sales"})
    bad = {**definition, "stages": [{"key": "due", "label": "Due", "probability": "high"}]}
    with pytest.raises(ValidationError) as raised, crm.transaction(team.manager) as tx:
        define_pipeline(tx, bad)
    assert raised.value.field == "stages[0].probability"


def test_fields_given_with_a_stage_move_count_for_its_exit_criteria(
    crm: Crm, team: SalesTeam, opportunity: Callable[..., service.Opportunity]
) -> None:
    opp = opportunity(stage="qualification")
    changes = {"amount": "800", "expected_close": "2027-06-30", "stage": "rfp_received"}
    with crm.transaction(team.seller) as tx:
        moved = service.update_opportunity(tx, opp.id, changes, opp.version)
    assert (moved.stage, moved.probability, str(moved.amount)) == ("rfp_received", 50, "800.00")

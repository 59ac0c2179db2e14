"""The callnotes plugin's own tests; they run with this plugin alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from crmkit_callnotes import service

from crmkit import (
    SYSTEM,
    Actor,
    Crm,
    Event,
    PluginInfo,
    Settings,
    ValidationError,
    build_party,
    create_party,
    erase_party,
    export_party,
    hookimpl,
    merge_parties,
    timeline,
    utcnow,
)
from crmkit.testing import check_plugin, http_client, invoke, register_plugin

TODAY = utcnow().date()


@pytest.fixture
def crm(make_crm: Callable[..., Crm]) -> Crm:
    return make_crm(plugins=["callnotes"])


def new_prospect(crm: Crm, last_name: str = "Meier") -> int:
    with crm.transaction() as tx:
        prospect = create_party(tx, build_party("prospect", {"last_name": last_name}, region=None))
    assert prospect.id is not None
    return prospect.id


def log_call(crm: Crm, **call: Any) -> None:
    with crm.transaction() as tx:
        service.log_call(tx, call)


def due_in(crm: Crm, days: int) -> list[service.FollowUp]:
    with crm.read() as conn:
        return service.open_follow_ups(conn, TODAY + timedelta(days=days))


def test_plugin_honours_the_contract() -> None:
    check_plugin("callnotes")


def test_call_lands_on_the_party_timeline(crm: Crm) -> None:
    party = new_prospect(crm)
    log_call(crm, party_id=party, outcome="reached", summary="Wants a quote", duration_seconds=95)
    with crm.read() as conn:
        [call] = timeline(conn, party).items
    assert (call.channel, call.source, call.outcome) == ("phone", "callnotes", "reached")
    assert call.custom == {"callnotes_duration_seconds": 95}


def test_callback_is_due_after_the_configured_days(make_crm: Callable[..., Crm]) -> None:
    settings = Settings(plugin_settings={"callnotes": {"callback_days": 3}})
    crm = make_crm(plugins=["callnotes"], settings=settings)
    log_call(crm, party_id=new_prospect(crm), outcome="callback")
    assert due_in(crm, 2) == []
    [follow_up] = due_in(crm, 3)
    assert follow_up.due_on == TODAY + timedelta(days=3)


def test_promised_date_wins_over_the_callback_days(crm: Crm) -> None:
    promised = TODAY + timedelta(days=10)
    log_call(crm, party_id=new_prospect(crm), outcome="callback", follow_up_on=str(promised))
    assert [f.due_on for f in due_in(crm, 10)] == [promised]


def test_next_call_closes_the_open_follow_up(crm: Crm) -> None:
    party = new_prospect(crm)
    log_call(crm, party_id=party, outcome="voicemail", follow_up_on=str(TODAY))
    log_call(crm, party_id=party, outcome="reached")
    assert due_in(crm, 30) == []


def test_follow_up_moves_to_the_surviving_party_on_merge(crm: Crm) -> None:
    duplicate, survivor = new_prospect(crm, "Meier"), new_prospect(crm, "Meyer")
    log_call(crm, party_id=duplicate, outcome="callback")
    with crm.transaction() as tx:
        merge_parties(tx, survivor, duplicate)
    assert [(f.party_id, f.party_name) for f in due_in(crm, 30)] == [(survivor, "Meyer")]


def test_privacy_export_holds_the_follow_ups_and_erasure_removes_them(crm: Crm) -> None:
    party = new_prospect(crm)
    log_call(crm, party_id=party, outcome="callback", follow_up_on="2030-01-31")
    with crm.read() as conn:
        exported = export_party(conn, crm.host, party)["callnotes"]
    assert [(f["due_on"], f["done_at"]) for f in exported] == [("2030-01-31", None)]
    with crm.transaction() as tx:
        erase_party(tx, party)
    assert due_in(crm, 10_000) == []


def test_bad_call_is_refused_naming_the_field_and_writes_nothing(crm: Crm) -> None:
    party = new_prospect(crm)
    with pytest.raises(ValidationError) as refused:
        log_call(crm, party_id=party, outcome="callback", follow_up_on="next Friday")
    assert refused.value.field == "follow_up_on"
    with crm.read() as conn:
        assert timeline(conn, party).items == []


def test_due_follow_up_is_announced_once(make_crm: Callable[..., Crm]) -> None:
    announced: list[dict[str, Any]] = []

    class Listener:
        @hookimpl
        def on_event(self, event: Event) -> None:
            if event.type == "callnotes.follow_up_due":
                announced.append(event.payload)

    listener = register_plugin(Listener(), name="listener")
    crm = make_crm(plugins=["callnotes", listener])
    party = new_prospect(crm)
    log_call(crm, party_id=party, outcome="voicemail", follow_up_on=str(TODAY))
    assert crm.jobs.run("callnotes.announce_due").ok
    assert crm.jobs.run("callnotes.announce_due").ok
    assert announced == [{"party_id": party, "owner_id": None, "due_on": str(TODAY)}]


def acting_as(actor: Actor) -> PluginInfo:
    """A throwaway plugin that authenticates every request as ``actor``."""

    class SingleSignOn:
        @hookimpl
        def actor_from_request(self) -> Actor:
            return actor

    return register_plugin(SingleSignOn(), name="sso")


def test_route_logs_a_call_and_lists_its_follow_up(make_crm: Callable[..., Crm]) -> None:
    crm = make_crm(plugins=["callnotes", acting_as(SYSTEM)])
    party = new_prospect(crm)
    with http_client(crm) as client:
        created = client.post("/p/callnotes/calls", json={"party_id": party, "outcome": "callback"})
        assert created.status_code == 201, created.text
        assert created.json()["outcome"] == "callback"
        listed = client.get("/p/callnotes/follow-ups", params={"due_by": str(TODAY + timedelta(7))})
    assert [f["party_id"] for f in listed.json()] == [party]


def test_route_answers_bad_input_with_a_problem_naming_the_field(
    make_crm: Callable[..., Crm],
) -> None:
    crm = make_crm(plugins=["callnotes", acting_as(SYSTEM)])
    with http_client(crm) as client:
        response = client.post("/p/callnotes/calls", json={"party_id": 1, "outcome": "busy"})
    assert response.status_code == 422
    assert response.json()["field"] == "outcome"


def test_read_only_user_may_not_log_calls(make_crm: Callable[..., Crm]) -> None:
    reader = Actor(user_id=None, username="rita", role="read-only")
    crm = make_crm(plugins=["callnotes", acting_as(reader)])
    with http_client(crm) as client:
        response = client.post("/p/callnotes/calls", json={"party_id": 1, "outcome": "reached"})
    assert response.status_code == 403


def test_due_command_lists_follow_ups(crm: Crm) -> None:
    party = new_prospect(crm, "Meier")
    log_call(crm, party_id=party, outcome="voicemail", follow_up_on=str(TODAY))
    result = invoke(crm, "callnotes", "due", "--by", str(TODAY))
    assert result.exit_code == 0, result.output
    assert result.output == f"{TODAY}  Meier (party {party})\n1 follow-up(s) due by {TODAY}\n"

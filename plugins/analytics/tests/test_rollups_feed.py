"""The rollups: kept from events exactly once, rebuilt from the sources' tables to the same
figures, read back with totals (grouped, filtered by territory, team and owner)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from crmkit_analytics.rollups import feed
from crmkit_analytics.rollups.reading import metrics, totals
from crmkit_analytics.rollups.tables import applied_event
from crmkit_analytics.sources import FactSource, Measure
from sqlalchemy import func, select, update

from crmkit import (
    Crm,
    build_interaction,
    get_party,
    log_interaction,
    party_table,
    update_party,
)
from crmkit.testing import add_party

from .conftest import PartyMaker, Staff, rollup_cells


def _today() -> date:
    from crmkit import utcnow

    return utcnow().date()


def test_new_prospects_fill_the_lead_rollups_by_source_and_owner(
    crm: Crm, staff: Staff, new_party: PartyMaker
) -> None:
    new_party("prospect", owner_id=staff.manager.user_id, source="web")
    new_party("prospect", owner_id=staff.manager.user_id, source="web", emails=["b@example.org"])
    new_party("prospect", source="fair", emails=["c@example.org"])
    new_party("customer", emails=["d@example.org"])  # never a lead

    with crm.read() as conn:
        by_source = {
            r.dimension: r.count
            for r in totals(conn, "leads.created", _today(), _today(), group_by=("dimension",))
        }
        assert by_source == {"fair": 1, "web": 2}
        mine = totals(conn, "leads.open", _today(), _today(), owner_ids=[staff.manager.user_id])
        assert mine[0].count == 2
        north = totals(conn, "leads.open", _today(), _today(), teams=["north"])
        assert north[0].count == 2
        unowned = totals(conn, "leads.open", _today(), _today(), owner_ids=[None])
        assert unowned[0].count == 1
        # A territory filter is a territory as users have them: DE-10 covers DE-10117.
        berlin = totals(conn, "leads.open", _today(), _today(), territories=["DE-10"])
        assert berlin[0].count == 3
        paris = totals(conn, "leads.open", _today(), _today(), territories=["FR-75"])
        assert paris[0].count == 0
        by_owner = totals(conn, "leads.uncontacted", _today(), _today(), group_by=("owner_id",))
        assert {r.owner_id: r.count for r in by_owner} == {None: 1, staff.manager.user_id: 2}


def test_a_call_to_a_prospect_counts_it_contacted_and_a_customers_call_is_passed_over(
    crm: Crm, new_party: PartyMaker
) -> None:
    prospect = new_party("prospect", source="web")
    customer = new_party("customer")

    def call(party_id: int) -> int:
        """Log a call to the party; how many events analytics has applied then."""
        with crm.transaction() as tx:
            item = build_interaction(
                {"party_id": party_id, "channel": "phone", "direction": "outbound"}, source="core"
            )
            log_interaction(tx, item)
        with crm.read() as conn:
            return int(conn.execute(select(func.count()).select_from(applied_event)).scalar_one())

    before = call(prospect)
    with crm.read() as conn:
        assert sum(r.count for r in totals(conn, "leads.uncontacted", _today(), _today())) == 0
        assert totals(conn, "leads.open", _today(), _today())[0].count == 1
    # A customer's call touches no lead: the event is not even claimed.
    assert call(customer) == before


def test_a_changed_owner_moves_the_lead_to_the_new_owner_cell(
    crm: Crm, staff: Staff, new_party: PartyMaker
) -> None:
    party_id = new_party("prospect", owner_id=staff.manager.user_id, source="web")
    with crm.transaction() as tx:
        current = get_party(tx.conn, party_id)
        assert current is not None
        update_party(
            tx, party_id, {"owner_id": staff.outsider.user_id}, current.version, region="DE"
        )
    with crm.read() as conn:
        rows = totals(conn, "leads.open", _today(), _today(), group_by=("owner_id", "team"))
    assert [(r.owner_id, r.team, r.count) for r in rows] == [(staff.outsider.user_id, "west", 1)]


def test_a_redelivered_event_is_applied_once(crm_with_sources: Callable[..., Crm]) -> None:
    counted: list[int] = []

    def measures(conn, event):  # type: ignore[no-untyped-def]
        counted.append(event.id)
        yield Measure("test.created", event.occurred_at.date(), 1, 10.0, dimension="x")

    source = FactSource(
        name="test",
        event_types=frozenset({"prospect.created"}),
        measures=measures,
    )
    crm = crm_with_sources(source)
    add_party(crm, "prospect", source="web")
    with crm.read() as conn:
        event = conn.execute(select(func.max(applied_event.c.event_id))).scalar_one()
    from crmkit import Event, utcnow

    again = Event(event, "prospect.created", "prospect", "1", {"id": 1}, None, utcnow())
    assert feed.apply_event(crm, again) is False
    assert feed.apply_event(crm, again) is False
    assert len(counted) == 1
    assert rollup_cells(crm, "test.") == {("test.created", _today(), "x", "", "", 0): (1, 10.0)}


def test_a_failing_source_rolls_back_the_event_so_that_its_retry_applies_it_once(
    crm_with_sources: Callable[..., Crm],
) -> None:
    from crmkit import Event, utcnow

    calls: list[int] = []

    def measures(conn, event):  # type: ignore[no-untyped-def]
        calls.append(event.id)
        yield Measure("test.sum", event.occurred_at.date(), 1, 5.0)
        if len(calls) == 1:
            raise RuntimeError("the source's database hiccupped")

    source = FactSource(name="flaky", event_types=frozenset({"test.thing"}), measures=measures)
    crm = crm_with_sources(source)
    event = Event(10_001, "test.thing", None, None, {}, None, utcnow())
    with pytest.raises(RuntimeError):
        feed.apply_event(crm, event)
    assert rollup_cells(crm, "test.") == {}
    assert feed.apply_event(crm, event) is True
    assert feed.apply_event(crm, event) is False
    assert rollup_cells(crm, "test.") == {("test.sum", _today(), "", "", "", 0): (1, 5.0)}


def test_rebuild_gives_what_the_events_gave_and_later_events_add_to_it(
    crm: Crm, staff: Staff, new_party: PartyMaker
) -> None:
    for n in range(3):
        new_party("prospect", owner_id=staff.manager.user_id, source="web", emails=[f"{n}@x.org"])
    first = new_party("prospect", source="fair", emails=["f@x.org"])
    from_events = rollup_cells(crm, "leads.")
    assert from_events

    feed.rebuild(crm)
    assert rollup_cells(crm, "leads.") == from_events

    # Events after the rebuild are applied on top of it, as they would have been alone.
    with crm.transaction() as tx:
        current = get_party(tx.conn, first)
        assert current is not None
        update_party(tx, first, {"status": "disqualified"}, current.version, region="DE")
    new_party("prospect", source="fair", emails=["g@x.org"])
    after_events = rollup_cells(crm, "leads.")
    feed.rebuild(crm, "leads")
    assert rollup_cells(crm, "leads.") == after_events
    with crm.read() as conn:
        fair = totals(conn, "leads.open", _today(), _today(), group_by=("dimension",))
    assert {r.dimension: r.count for r in fair} == {"fair": 1, "web": 3}


def test_rebuild_corrects_figures_written_behind_the_feed(crm: Crm, new_party: PartyMaker) -> None:
    party_id = new_party("prospect", source="web")
    # A restore or a bulk fix writes the table directly: no event.
    with crm.transaction() as tx:
        tx.conn.execute(
            update(party_table).where(party_table.c.id == party_id).values(source="fair")
        )
    feed.rebuild(crm, "leads")
    with crm.read() as conn:
        rows = totals(conn, "leads.created", _today(), _today(), group_by=("dimension",))
    assert [(r.dimension, r.count) for r in rows] == [("fair", 1)]


def test_an_erased_party_leaves_the_rollups(crm: Crm, new_party: PartyMaker) -> None:
    from crmkit import erase_party

    party_id = new_party("prospect", source="web")
    with crm.transaction() as tx:
        erase_party(tx, party_id)
    assert rollup_cells(crm, "leads.") == {}


def test_totals_groups_by_month_and_refuses_unknown_groups(crm: Crm) -> None:
    from crmkit_analytics.rollups.feed import add_measures

    with crm.transaction() as tx:
        add_measures(
            tx.conn,
            [
                Measure("test.m", date(2026, 1, 5), 1, 2.0),
                Measure("test.m", date(2026, 1, 31), 2, 3.0),
                Measure("test.m", date(2026, 2, 1), 1, 1.5),
                Measure("test.m", date(2026, 3, 1), 1, 1.0),
            ],
        )
    with crm.read() as conn:
        rows = totals(conn, "test.m", date(2026, 1, 1), date(2026, 2, 28), group_by=("month",))
        assert [(r.month, r.count, r.amount) for r in rows] == [
            ("2026-01", 3, 5.0),
            ("2026-02", 1, 1.5),
        ]
        with pytest.raises(ValueError, match="week"):
            totals(conn, "test.m", date(2026, 1, 1), date(2026, 2, 28), group_by=("week",))
        empty = totals(conn, "test.m", date(2025, 1, 1), date(2025, 2, 1))
        assert (empty[0].count, empty[0].amount) == (0, 0.0)


def test_metrics_name_every_known_metric_with_its_source(crm: Crm) -> None:
    known = metrics(crm)
    source, metric = known["leads.open"]
    assert source.name == "leads"
    assert metric.drill is not None and metric.drill(dimension="web").startswith("/prospects")


def test_forgetting_old_applied_ids(crm: Crm, new_party: PartyMaker) -> None:
    new_party("prospect", source="web")
    assert feed.forget_applied(crm, timedelta(days=1)) == 0
    assert feed.forget_applied(crm, timedelta(seconds=-1)) >= 1


def test_the_rebuild_command_prints_json_last_and_refuses_an_unknown_source(
    crm: Crm, new_party: PartyMaker
) -> None:
    import json

    from crmkit.testing import invoke

    new_party("prospect", source="web")
    done = invoke(crm, "analytics", "rebuild", "--source", "leads")
    assert done.exit_code == 0, done.output
    last = json.loads(done.output.strip().splitlines()[-1])
    assert last["leads"]["cells"] > 0
    unknown = invoke(crm, "analytics", "rebuild", "--source", "nope")
    assert unknown.exit_code != 0
    assert "nope" in unknown.output and "Traceback" not in unknown.output


def test_the_catch_up_builds_a_source_never_built_then_refreshes_what_changed(
    crm_with_sources: Callable[..., Crm],
) -> None:
    from crmkit_analytics.rollups.tables import source_state

    calls: list[object] = []

    def facts(conn, keys):  # type: ignore[no-untyped-def]
        from crmkit_analytics.sources import Fact

        calls.append(keys)
        for key in keys or ["thing:1"]:
            yield Fact(key, (Measure("quiet.things", _today(), 1, 2.0),))

    def changed(conn, since):  # type: ignore[no-untyped-def]
        return ["thing:1"]

    quiet = FactSource(
        name="quiet",
        metrics=(),
        facts=facts,
        changed=changed,
    )
    crm = crm_with_sources(quiet)
    assert feed.catch_up(crm)["quiet"] == -1  # never built: rebuilt
    assert calls == [None]
    assert feed.catch_up(crm)["quiet"] == 1  # then only what changed, counted once
    assert rollup_cells(crm, "quiet.") == {("quiet.things", _today(), "", "", "", 0): (1, 2.0)}
    with crm.read() as conn:
        assert (
            conn.execute(
                select(source_state.c.caught_up_at).where(source_state.c.source == "quiet")
            ).scalar_one()
            is not None
        )


def test_the_jobs_are_registered(crm: Crm) -> None:
    assert {
        "analytics.catch_up",
        "analytics.rebuild_rollups",
        "analytics.forget_applied_events",
    } <= set(crm.jobs.jobs)
    assert crm.jobs.run("analytics.rebuild_rollups").ok
    assert crm.jobs.run("analytics.catch_up").ok
    assert crm.jobs.run("analytics.forget_applied_events").ok

"""The segment filter language, criterion by criterion, compiled to one query and run."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import pytest
from crmkit_campaigns.segments.targets import compile_segment
from sqlalchemy import ColumnElement, insert, update

from crmkit import (
    Actor,
    Crm,
    CustomField,
    ValidationError,
    build_interaction,
    hookimpl,
    log_interaction,
    party_table,
    record_consent,
    utcnow,
)
from crmkit.testing import register_plugin

MUNICH = [{"street": "Marienplatz 1", "postcode": "80331", "city": "München", "country": "DE"}]
PARIS = [{"street": "Rue de Rivoli 1", "postcode": "75001", "city": "Paris", "country": "FR"}]


class VipCriterion:
    """A plugin's criterion: parties whose custom field acme_tier is the ``tier`` parameter."""

    name = "acme.vip"
    label = "Is a VIP"
    parameters: Mapping[str, str] = {"tier": "choice:gold|silver"}

    def condition(
        self, parameters: Mapping[str, Any], party_id: ColumnElement[int]
    ) -> ColumnElement[bool]:
        from crmkit import ValidationError

        tier = parameters.get("tier", "gold")
        if tier not in ("gold", "silver"):
            raise ValidationError("tier", "expected gold or silver")
        return party_table.c.custom["acme_tier"].as_string() == tier


class Acme:
    """A throwaway plugin: a custom field on customers and a segment criterion, without
    depending on campaigns (optionalhook)."""

    @hookimpl
    def register_custom_fields(self) -> list[CustomField]:
        return [
            CustomField("customer", "acme_tier", "choice", choices=("gold", "silver")),
            CustomField("customer", "acme_seats", "integer"),
        ]

    @hookimpl(optionalhook=True)
    def campaigns_segment_criteria(self) -> list[Any]:
        return [VipCriterion()]


@pytest.fixture
def crm(make_campaigns: Any) -> Crm:
    return make_campaigns(sfa=True, plugins=(register_plugin(Acme(), name="acme"),))


def run(crm: Crm, actor: Actor, definition: Any) -> set[int]:
    with crm.transaction(actor) as tx:
        return {row.party_id for row in tx.conn.execute(compile_segment(tx, definition))}


def leaf(
    criterion: str, op: str | None = None, value: Any = None, **options: Any
) -> dict[str, Any]:
    found: dict[str, Any] = {"criterion": criterion}
    if op is not None:
        found["op"] = op
    if value is not None:
        found["value"] = value
    if options:
        found["with"] = options
    return found


def log(crm: Crm, party_id: int, days_ago: int, **data: Any) -> None:
    source = data.pop("source", "channels")
    with crm.transaction() as tx:
        log_interaction(
            tx,
            build_interaction(
                {
                    "party_id": party_id,
                    "channel": "email",
                    "direction": "outbound",
                    "occurred_at": utcnow() - timedelta(days=days_ago),
                    **data,
                },
                source=source,
            ),
        )


def test_party_fields(crm: Crm, staff: Any, new_party: Any) -> None:
    mia = staff.marketer
    customer = new_party(owner_id=mia.user_id, source="fair")
    prospect = new_party("prospect", source="web", last_name="Babbage")
    org = new_party(kind="organisation", organisation_name="Acme GmbH")
    everyone = {customer, prospect, org}
    assert run(crm, mia, leaf("role", "eq", "prospect")) == {prospect}
    assert run(crm, mia, leaf("role", "in", ["customer", "prospect"])) == everyone
    assert run(crm, mia, leaf("kind", "eq", "organisation")) == {org}
    assert run(crm, mia, leaf("name", "contains", "babb")) == {prospect}
    assert run(crm, mia, leaf("source", "eq", "fair")) == {customer}
    # A party without a source is "not fair" too.
    assert run(crm, mia, leaf("source", "ne", "fair")) == {prospect, org}
    assert run(crm, mia, leaf("source", "empty")) == {org}
    assert run(crm, mia, leaf("owner", "eq", "me")) == {customer}
    assert run(crm, mia, leaf("owner", "in", [mia.user_id])) == {customer}
    assert run(crm, mia, leaf("owner", "empty")) == {prospect, org}
    with crm.transaction() as tx:
        tx.conn.execute(
            update(party_table)
            .where(party_table.c.id == org)
            .values(created_at=utcnow() - timedelta(days=400), score=70)
        )
    assert run(crm, mia, leaf("created_at", "older_than_days", 365)) == {org}
    assert run(crm, mia, leaf("created_at", "within_days", 30)) == {customer, prospect}
    assert run(
        crm, mia, leaf("created_at", "before", (utcnow() - timedelta(days=399)).date().isoformat())
    ) == {org}
    assert run(crm, mia, leaf("score", "ge", 50)) == {org}
    assert run(crm, mia, leaf("score", "empty")) == {customer, prospect}
    # Every negative operator keeps the parties lacking the field, as NOT of its positive does.
    assert run(crm, mia, leaf("score", "ne", 70)) == {customer, prospect}
    assert run(crm, mia, leaf("score", "ne", 5)) == everyone
    assert run(crm, mia, {"not": leaf("score", "eq", 5)}) == everyone
    # Lists as comma text, as the form sends them, for owners too.
    assert run(crm, mia, leaf("owner", "in", f"{mia.user_id}, 9999")) == {customer}
    assert run(crm, mia, leaf("owner", "not_in", f"{mia.user_id},9999")) == {prospect, org}


def test_address_criteria_go_by_the_first_address(crm: Crm, staff: Any, new_party: Any) -> None:
    mia = staff.marketer
    berlin = new_party()
    munich = new_party(addresses=MUNICH)
    paris = new_party(addresses=[*PARIS, *MUNICH])
    nowhere = new_party(addresses=[])
    assert run(crm, mia, leaf("territory", "in", ["DE-8"])) == {munich}
    assert run(crm, mia, leaf("territory", "in", "de-8, FR")) == {munich, paris}
    assert run(crm, mia, leaf("territory", "not_in", ["DE"])) == {paris, nowhere}
    assert run(crm, mia, leaf("country", "eq", "de")) == {berlin, munich}
    assert run(crm, mia, leaf("country", "ne", "DE")) == {paris, nowhere}
    assert run(crm, mia, leaf("postcode", "starts_with", "80")) == {munich}
    assert run(crm, mia, leaf("city", "eq", "PARIS")) == {paris}
    assert run(crm, mia, leaf("city", "in", "berlin,paris")) == {berlin, paris}


def test_custom_fields_by_their_type(crm: Crm, staff: Any, new_party: Any) -> None:
    mia = staff.marketer
    gold = new_party(custom={"acme_tier": "gold", "acme_seats": 120})
    silver = new_party(custom={"acme_tier": "silver", "acme_seats": 9})
    plain = new_party()
    assert run(crm, mia, leaf("custom.acme_tier", "eq", "gold")) == {gold}
    assert run(crm, mia, leaf("custom.acme_seats", "gt", 10)) == {gold}
    assert run(crm, mia, leaf("custom.acme_seats", "gt", "10")) == {gold}
    # Without the field, a party is "not gold" (NOT of a missing value keeps it).
    assert run(crm, mia, {"not": leaf("custom.acme_tier", "eq", "gold")}) == {silver, plain}
    assert run(crm, mia, leaf("custom.acme_tier", "in", "gold,silver")) == {gold, silver}
    # Comma text is trimmed item by item.
    assert run(crm, mia, leaf("custom.acme_tier", "in", "gold, silver")) == {gold, silver}
    # ne keeps the parties without the field, as every negative operator does.
    assert run(crm, mia, leaf("custom.acme_tier", "ne", "gold")) == {silver, plain}
    assert run(crm, mia, leaf("custom.acme_seats", "ne", 9)) == {gold, plain}


def test_consent_in_force_is_the_latest_record(crm: Crm, staff: Any, new_party: Any) -> None:
    mia = staff.marketer
    granted = new_party()
    withdrawn = new_party()
    never = new_party(consent=())
    with crm.transaction() as tx:
        record_consent(tx, withdrawn, "marketing", "email", "withdrawn", source="test")
        record_consent(tx, granted, "newsletter", "email", "withdrawn", source="test")
    consent = {"purpose": "marketing"}
    assert run(crm, mia, leaf("consent", "eq", "granted", **consent)) == {granted}
    assert run(crm, mia, leaf("consent", "eq", "withdrawn", **consent)) == {withdrawn}
    assert run(crm, mia, leaf("consent", "eq", "none", **consent)) == {never}
    assert run(crm, mia, leaf("consent", "ne", "granted", **consent)) == {withdrawn, never}
    assert (
        run(crm, mia, leaf("consent", "eq", "granted", purpose="marketing", channel="sms")) == set()
    )


def test_interactions_by_channel_outcome_and_age(crm: Crm, new_user: Any, new_party: Any) -> None:
    # An admin reads every interaction (the marketing role reads none: see below).
    mia = new_user("root", "admin")
    opened_lately, opened_long_ago, called, quiet = (new_party() for _ in range(4))
    log(crm, opened_lately, 10, outcome="open")
    log(crm, opened_lately, 20, outcome="open")
    log(crm, opened_long_ago, 400, outcome="open")
    log(crm, called, 5, channel="phone", direction="inbound", outcome="reached", source="core")
    opened = {"channel": "email", "outcome": "open"}
    assert run(crm, mia, leaf("interactions", "any", **opened)) == {opened_lately, opened_long_ago}
    assert run(crm, mia, leaf("interactions", "none", within_days=180, **opened)) == {
        opened_long_ago,
        called,
        quiet,
    }
    assert run(crm, mia, leaf("interactions", "any", older_than_days=365, **opened)) == {
        opened_long_ago
    }
    assert run(crm, mia, leaf("interactions", "at_least", 2, **opened)) == {opened_lately}
    assert run(crm, mia, leaf("interactions", "at_most", 0)) == {quiet}
    assert run(crm, mia, leaf("interactions", "any", direction="inbound")) == {called}
    assert run(crm, mia, leaf("interactions", "any", source="core")) == {called}


def test_orders_by_product_group_age_and_amount(
    crm: Crm, staff: Any, new_party: Any, place_order: Any
) -> None:
    mia = staff.marketer
    old_heating, new_heating, solar, none = (new_party() for _ in range(4))
    place_order(crm, old_heating, utcnow() - timedelta(days=1200), {"heating": "5000.00"})
    place_order(
        crm, new_heating, utcnow() - timedelta(days=30), {"heating": "800.00", "solar": "100.00"}
    )
    place_order(crm, solar, utcnow() - timedelta(days=10), {"solar": "9000.00"})
    heating = {"product_group": "heating"}
    assert run(crm, mia, leaf("orders", "any", **heating)) == {old_heating, new_heating}
    assert run(crm, mia, leaf("orders", "any", older_than_days=1095, **heating)) == {old_heating}
    assert run(crm, mia, leaf("orders", "any", within_days=365, **heating)) == {new_heating}
    assert run(crm, mia, leaf("orders", "any", min_amount="1000", **heating)) == {old_heating}
    assert run(crm, mia, leaf("orders", "any", min_amount="900")) == {
        old_heating,
        solar,
        new_heating,
    }
    assert run(crm, mia, leaf("orders", "none")) == {none}
    assert run(crm, mia, leaf("orders", "at_least", 1, product_group="solar")) == {
        new_heating,
        solar,
    }


def test_the_issue_s_example(crm: Crm, new_user: Any, new_party: Any, place_order: Any) -> None:
    """Customers in DE-8 who bought product group X more than three years ago and opened no
    email in six months."""
    mia = new_user("root", "admin")
    target = new_party(addresses=MUNICH)
    opened = new_party(addresses=MUNICH)
    recent_buyer = new_party(addresses=MUNICH)
    berliner = new_party()
    prospect = new_party("prospect", addresses=MUNICH)
    for party in (target, opened, berliner, prospect):
        place_order(crm, party, utcnow() - timedelta(days=1200), {"X": "100.00"})
    place_order(crm, recent_buyer, utcnow() - timedelta(days=100), {"X": "100.00"})
    log(crm, opened, 30, outcome="open")
    log(crm, target, 300, outcome="open")
    log(crm, target, 3, outcome="sent")
    definition = {
        "all": [
            leaf("role", "eq", "customer"),
            leaf("territory", "in", ["DE-8"]),
            leaf("orders", "any", product_group="X", older_than_days=3 * 365),
            leaf("interactions", "none", channel="email", outcome="open", within_days=182),
        ]
    }
    assert run(crm, mia, definition) == {target}


def test_boolean_logic(crm: Crm, staff: Any, new_party: Any) -> None:
    mia = staff.marketer
    berlin = new_party()
    munich = new_party(addresses=MUNICH)
    paris = new_party("prospect", addresses=PARIS)
    assert run(crm, mia, {"all": []}) == {berlin, munich, paris}
    assert run(crm, mia, {"any": [leaf("city", "eq", "Paris"), leaf("city", "eq", "Berlin")]}) == {
        paris,
        berlin,
    }
    assert run(crm, mia, {"not": leaf("country", "eq", "DE")}) == {paris}
    nested = {
        "all": [
            leaf("role", "eq", "customer"),
            {"not": {"any": [leaf("city", "eq", "Berlin"), leaf("city", "eq", "Paris")]}},
        ]
    }
    assert run(crm, mia, nested) == {munich}


def test_a_plugin_criterion_from_the_hook(crm: Crm, staff: Any, new_party: Any) -> None:
    mia = staff.marketer
    gold = new_party(custom={"acme_tier": "gold"})
    silver = new_party(custom={"acme_tier": "silver"})
    assert run(crm, mia, leaf("acme.vip", "is")) == {gold}
    assert run(crm, mia, leaf("acme.vip", "is", tier="silver")) == {silver}
    assert run(crm, mia, leaf("acme.vip", "is_not", tier="silver")) == {gold}


def test_one_statement_whatever_the_number_of_parties(crm: Crm, staff: Any, new_party: Any) -> None:
    """Compiling reads nothing; running is one statement, its criteria subqueries in SQL."""
    from sqlalchemy import event

    for _ in range(5):
        new_party(addresses=MUNICH)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    definition = {
        "all": [
            leaf("territory", "in", ["DE-8"]),
            leaf("interactions", "none", channel="email", outcome="open", within_days=180),
            leaf("consent", "eq", "granted", purpose="marketing"),
        ]
    }
    with crm.transaction(staff.marketer) as tx:
        event.listen(crm.engine, "before_cursor_execute", seen)
        try:
            query = compile_segment(tx, definition)
            assert statements == []
            assert len(tx.conn.execute(query).all()) == 5
        finally:
            event.remove(crm.engine, "before_cursor_execute", seen)
    assert len(statements) == 1
    assert "core_interaction" in statements[0] and "core_consent" in statements[0]


def test_the_form_offers_custom_fields_and_plugin_criteria(crm: Crm, staff: Any) -> None:
    from crmkit_campaigns.segments.service import catalogue

    with crm.transaction(staff.marketer) as tx:
        found = {c.name: c for c in catalogue(tx)}
    assert found["acme.vip"].operators == ["is", "is_not"]
    assert found["acme.vip"].options == {"tier": "choice:gold|silver"}
    assert found["custom.acme_tier"].value == "choice:gold|silver"
    assert found["custom.acme_seats"].value == "integer"
    assert "orders" in found  # sfa is loaded here


def test_interactions_count_only_those_the_runner_may_read(
    crm: Crm, staff: Any, new_party: Any
) -> None:
    """The kernel gives the marketing role no interactions: a segment never reveals who has
    them (a complaint, say), so for a marketer every party has none."""
    complained = new_party()
    quiet = new_party()
    log(crm, complained, 5, channel="phone", direction="inbound", outcome="complaint")
    complaints = {"outcome": "complaint"}
    assert run(crm, staff.marketer, leaf("interactions", "any", **complaints)) == set()
    assert run(crm, staff.marketer, leaf("interactions", "none", **complaints)) == {
        complained,
        quiet,
    }
    # The manager of DE-10 reads the interactions of the Berlin parties they see.
    assert run(crm, staff.manager, leaf("interactions", "any", **complaints)) == {complained}


class Counter:
    """A plugin criterion whose parameters are a number, days, a date and a choice."""

    name = "acme.counter"
    label = "Counter"
    parameters: Mapping[str, str] = {
        "n": "number",
        "days": "days",
        "since": "date",
        "kind": "choice:a|b",
        "note": "text",
    }
    received: list[Mapping[str, Any]] = []

    def condition(
        self, parameters: Mapping[str, Any], party_id: ColumnElement[int]
    ) -> ColumnElement[bool]:
        self.received.append(dict(parameters))
        return party_id >= int(parameters.get("n", 0))


class Counting:
    @hookimpl(optionalhook=True)
    def campaigns_segment_criteria(self) -> list[Any]:
        return [Counter()]


@pytest.mark.parametrize(
    ("options", "value", "field"),
    [
        ({"n": "abc"}, None, "definition.with.n"),
        ({"n": {"a": 1}}, None, "definition.with.n"),
        ({"n": True}, None, "definition.with.n"),
        ({"days": -1}, None, "definition.with.days"),
        ({"since": "2026-02-30"}, None, "definition.with.since"),
        ({"kind": "zzz"}, None, "definition.with.kind"),
        ({"note": 5}, None, "definition.with.note"),
        ({"colour": "red"}, None, "definition.with.colour"),
        ({}, 5, "definition.value"),
    ],
)
def test_plugin_parameters_are_checked_by_their_declared_kind(
    make_campaigns: Any, staff: Any, options: dict[str, Any], value: Any, field: str
) -> None:
    crm = make_campaigns(plugins=(register_plugin(Counting(), name="counting"),))
    Counter.received.clear()
    definition = leaf("acme.counter", "is", value, **options)
    with crm.transaction(staff.marketer) as tx, pytest.raises(ValidationError) as refused:
        compile_segment(tx, definition)
    assert refused.value.field == field
    assert Counter.received == []


def test_plugin_parameters_reach_the_plugin_read(make_campaigns: Any, staff: Any) -> None:
    crm = make_campaigns(plugins=(register_plugin(Counting(), name="counting"),))
    Counter.received.clear()
    options = {"n": "2", "days": "7", "since": "2026-01-31", "kind": "b", "note": " hi "}
    with crm.transaction(staff.marketer) as tx:
        compile_segment(tx, leaf("acme.counter", "is_not", **options))
    assert Counter.received == [
        {"n": 2, "days": 7, "since": date(2026, 1, 31), "kind": "b", "note": "hi"}
    ]


def add_campaign(crm: Crm, name: str = "Spring mailing") -> int:
    """A sent campaign, straight into the campaigns part's table."""
    from crmkit_campaigns.campaigns.tables import campaign

    now = utcnow()
    with crm.transaction() as tx:
        campaign_id: int = tx.conn.execute(
            insert(campaign)
            .values(
                name=name,
                kind="one_off",
                status="completed",
                purpose="marketing",
                time_zone="Europe/Berlin",
                test_share=0,
                currency="EUR",
                created_at=now,
                updated_at=now,
                version=1,
            )
            .returning(campaign.c.id)
        ).scalar_one()
    return campaign_id


def add_member(
    crm: Crm, campaign_id: int, party_id: int, channel: str = "email", **days_ago: int
) -> None:
    """A member of ``campaign_id`` whose milestones (``opened=30``: opened 30 days ago) are set,
    as the results part records them."""
    from crmkit_campaigns.campaigns.tables import member

    now = utcnow()
    milestones = {f"{event}_at": now - timedelta(days=d) for event, d in days_ago.items()}
    latest = min(days_ago, key=days_ago.__getitem__, default="targeted")
    with crm.transaction() as tx:
        tx.conn.execute(
            insert(member).values(
                campaign_id=campaign_id,
                party_id=party_id,
                occurrence="",
                channel=channel,
                in_test=0,
                status=latest,
                targeted_at=now - timedelta(days=max(days_ago.values(), default=0) + 1),
                **milestones,
            )
        )


def test_engagement_by_event_age_campaign_and_channel(crm: Crm, staff: Any, new_party: Any) -> None:
    mia = staff.marketer
    spring, autumn = add_campaign(crm), add_campaign(crm, "Autumn mailing")
    opened_lately, opened_long_ago, clicked, texted, never = (new_party() for _ in range(5))
    add_member(crm, spring, opened_lately, sent=12, delivered=12, opened=10)
    add_member(crm, autumn, opened_lately, sent=3, delivered=3, opened=2)
    add_member(crm, spring, opened_long_ago, sent=402, delivered=402, opened=400)
    add_member(crm, autumn, opened_long_ago, sent=3, delivered=3)
    add_member(crm, autumn, clicked, sent=5, opened=4, clicked=4)
    add_member(crm, spring, texted, "sms", sent=6, delivered=6)
    opened = {"event": "opened"}
    assert run(crm, mia, leaf("engagement", "any", **opened)) == {
        opened_lately,
        opened_long_ago,
        clicked,
    }
    assert run(crm, mia, leaf("engagement", "none", within_days=180, **opened)) == {
        opened_long_ago,
        texted,
        never,
    }
    assert run(crm, mia, leaf("engagement", "any", older_than_days=365, **opened)) == {
        opened_long_ago
    }
    assert run(crm, mia, leaf("engagement", "at_least", 2, **opened)) == {opened_lately}
    assert run(crm, mia, leaf("engagement", "any", event="clicked")) == {clicked}
    assert run(crm, mia, leaf("engagement", "any", campaign=autumn, **opened)) == {
        opened_lately,
        clicked,
    }
    assert run(crm, mia, leaf("engagement", "any", campaign=str(spring), event="delivered")) == {
        opened_lately,
        opened_long_ago,
        texted,
    }
    assert run(crm, mia, leaf("engagement", "any", event="sent", channel="sms")) == {texted}
    assert run(crm, mia, leaf("engagement", "at_most", 0, event="sent")) == {never}


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        (leaf("engagement", "any"), "definition.with.event"),
        (leaf("engagement", "any", event="read"), "definition.with.event"),
        (leaf("engagement", "some", event="opened"), "definition.op"),
        (leaf("engagement", "none", 3, event="opened"), "definition.value"),
        (leaf("engagement", "at_least", "x", event="opened"), "definition.value"),
        (leaf("engagement", "any", event="opened", within_days=-1), "definition.with.within_days"),
        (leaf("engagement", "any", event="opened", channel="fax"), "definition.with.channel"),
        (leaf("engagement", "any", event="opened", campaign="one"), "definition.with.campaign"),
        (leaf("engagement", "any", event="opened", campaign=999_999), "definition.with.campaign"),
        (leaf("engagement", "any", event="opened", colour="red"), "definition.with.colour"),
        (
            {"all": [leaf("role", "eq", "customer"), leaf("engagement", "none", event=5)]},
            "definition.all[1].with.event",
        ),
    ],
)
def test_engagement_refusals_name_the_json_path(
    crm: Crm, staff: Any, definition: Any, field: str
) -> None:
    with crm.transaction(staff.marketer) as tx, pytest.raises(ValidationError) as refused:
        compile_segment(tx, definition)
    assert refused.value.field == field


def test_the_issue_s_example_for_a_marketer(
    crm: Crm, staff: Any, new_party: Any, place_order: Any
) -> None:
    """Customers in DE-8 who bought product group X more than three years ago (sfa) and opened
    no campaign email in six months, built by a marketer (who reads no interactions) from the
    campaigns plugin's own engagement data; the runner's party rule still decides."""
    otto = staff.outsider.user_id
    target = new_party(addresses=MUNICH)
    # Owned by a sales rep of another team: the manager of DE-10 does not see this one.
    someone_elses = new_party(owner_id=otto, addresses=MUNICH)
    bounced = new_party(addresses=MUNICH)
    opened = new_party(addresses=MUNICH)
    clicked_sms_era = new_party(addresses=MUNICH)
    recent_buyer = new_party(addresses=MUNICH)
    other_group = new_party(addresses=MUNICH)
    berliner = new_party()
    prospect = new_party("prospect", addresses=MUNICH)
    for party in (target, someone_elses, bounced, opened, clicked_sms_era, berliner, prospect):
        place_order(crm, party, utcnow() - timedelta(days=1200), {"X": "100.00"})
    place_order(crm, recent_buyer, utcnow() - timedelta(days=100), {"X": "100.00"})
    place_order(crm, other_group, utcnow() - timedelta(days=1200), {"Y": "100.00"})
    spring, autumn = add_campaign(crm), add_campaign(crm, "Autumn mailing")
    add_member(crm, spring, target, sent=300, delivered=300, opened=300)
    add_member(crm, autumn, target, sent=3, delivered=3)
    add_member(crm, autumn, bounced, sent=3, bounced=3)
    add_member(crm, spring, opened, sent=300, delivered=300)
    add_member(crm, autumn, opened, sent=30, delivered=30, opened=29)
    # An SMS reply is engagement, but not an opened email.
    add_member(crm, autumn, clicked_sms_era, "sms", sent=20, clicked=19)
    add_member(crm, autumn, berliner, sent=3)
    # A complaint the marketer may not read changes nothing here.
    log(crm, target, 5, channel="phone", direction="inbound", outcome="complaint")
    definition = {
        "all": [
            leaf("role", "eq", "customer"),
            leaf("territory", "in", ["DE-8"]),
            leaf("orders", "any", product_group="X", older_than_days=3 * 365),
            leaf("engagement", "none", event="opened", channel="email", within_days=182),
        ]
    }
    everyone = {target, someone_elses, bounced, clicked_sms_era}
    assert run(crm, staff.marketer, definition) == everyone
    assert run(crm, staff.manager, definition) == everyone - {someone_elses}
    # The sales rep of FR-75 sees, in DE-8, only the party they own.
    assert run(crm, staff.outsider, definition) == {someone_elses}
    # Compiled and run, it is one statement, the engagement criterion a subquery in it.
    from sqlalchemy import event

    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with crm.transaction(staff.marketer) as tx:
        event.listen(crm.engine, "before_cursor_execute", seen)
        try:
            rows = tx.conn.execute(compile_segment(tx, definition)).all()
        finally:
            event.remove(crm.engine, "before_cursor_execute", seen)
    assert {row.party_id for row in rows} == everyone
    assert len(statements) == 1 and "campaigns_member" in statements[0]


def test_the_form_offers_engagement(crm: Crm, staff: Any) -> None:
    from crmkit_campaigns.segments.service import catalogue

    with crm.transaction(staff.marketer) as tx:
        found = {c.name: c for c in catalogue(tx)}
    engagement = found["engagement"]
    assert engagement.operators == ["any", "none", "at_least", "at_most"]
    assert engagement.options["event"].startswith("choice:sent|delivered|opened|clicked")
    assert {"channel", "campaign", "within_days", "older_than_days"} <= set(engagement.options)

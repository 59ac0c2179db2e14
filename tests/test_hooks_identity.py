"""Identity hooks: matching, scoring, assignment, conversion, merge, and routing inbound messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Integer,
    String,
    Table,
    insert,
    select,
    update,
)

from crmkit import Customer, EmailAddress, PhoneNumber, Prospect, Transaction, hookimpl, metadata
from crmkit.app import Crm
from crmkit.core.matching.config import DEFAULT_MATCH_CONFIG
from crmkit.core.parties import (
    build_party,
    convert_prospect,
    create_party,
    get_party,
    merge_parties,
)
from crmkit.core.tables import party
from crmkit.testing import register_plugin


def create(app: Crm, role: str = "prospect", **data: Any) -> int:
    with app.transaction() as tx:
        created = create_party(tx, build_party(role, {"last_name": "Berg", **data}, region="DE"))
    assert created.id is not None
    return created.id


def matches(app: Crm, candidate: Prospect) -> Any:
    with app.engine.connect() as conn:
        return app.host.call("match_party", conn=conn, candidate=candidate)


def test_hook_match_party(crm: Crm) -> None:
    by_email = create(crm, emails=["Anna.Berg@Example.com"])
    by_phone = create(crm, "customer", phones=["+49 30 1234567"])
    create(crm, emails=["someone@else.example"])
    sure = DEFAULT_MATCH_CONFIG.auto_merge

    same_email = Prospect(last_name="Berg", emails=(EmailAddress.parse("anna.berg@EXAMPLE.com"),))
    found = matches(crm, same_email)
    assert found[0][0] == by_email and found[0][1] >= sure
    assert all(score < sure for _, score in found[1:])
    both = Prospect(
        last_name="Berg",
        emails=(EmailAddress.parse("anna.berg@example.com"),),
        phones=(PhoneNumber.parse("030 1234567", region="DE"),),
    )
    found_both = dict(matches(crm, both))
    assert found_both[by_email] >= sure
    assert found_both[by_phone] > dict(found)[by_phone]
    assert matches(crm, Prospect(last_name="Nobody")) == []
    itself = Prospect(id=by_email, last_name="Berg", emails=same_email.emails)
    assert by_email not in dict(matches(crm, itself))


class FuzzyNames:
    """A smarter matcher that answers only for names it knows, else lets the default match."""

    @hookimpl
    def match_party(self, conn: Connection, candidate: Any) -> list[tuple[int, float]] | None:
        if candidate.last_name != "Berg":
            return None
        rows = conn.execute(select(party.c.id).where(party.c.last_name == "Berg"))
        return [(row.id, 0.7) for row in rows]


def test_plugin_matcher_runs_before_the_default_one(make_crm: Callable[..., Crm]) -> None:
    app = make_crm(plugins=[register_plugin(FuzzyNames(), name="fuzzy")])
    berg = create(app, emails=["x@example.com"])
    lund = create(app, last_name="Lund", emails=["lund@example.com"])
    assert matches(app, Prospect(last_name="Berg")) == [(berg, 0.7)]
    lookalike = Prospect(last_name="Lund", emails=(EmailAddress.parse("lund@example.com"),))
    ((best, score),) = matches(app, lookalike)
    assert best == lund and score >= DEFAULT_MATCH_CONFIG.auto_merge


class Scorer:
    def __init__(self, points: int | None, reason: str) -> None:
        self.points, self.reason = points, reason

    @hookimpl
    def score_prospect(self, prospect: Prospect) -> tuple[int, str] | None:
        return None if self.points is None else (self.points, f"{self.reason}: {prospect.source}")


def test_hook_score_prospect(make_crm: Callable[..., Crm]) -> None:
    app = make_crm(
        plugins=[
            register_plugin(Scorer(30, "hot source"), name="sources"),
            register_plugin(Scorer(None, "abstains"), name="silent"),
            register_plugin(Scorer(-10, "free mail"), name="quality"),
        ],
        create_tables=False,
    )
    scores = app.host.call("score_prospect", prospect=Prospect(last_name="B", source="fair"))
    assert sorted(scores) == [(-10, "free mail: fair"), (30, "hot source: fair")]
    assert sum(points for points, _ in scores) == 20


class Assigner:
    def __init__(self, owner: int | None, calls: list[str], name: str) -> None:
        self.owner, self.calls, self.name = owner, calls, name

    @hookimpl
    def assign_owner(self, tx: Transaction, prospect: Prospect) -> int | None:
        self.calls.append(self.name)
        return self.owner


def test_hook_assign_owner(make_crm: Callable[..., Crm]) -> None:
    calls: list[str] = []
    app = make_crm(
        plugins=[
            register_plugin(Assigner(7, calls, "round_robin"), name="round_robin"),
            register_plugin(
                Assigner(None, calls, "territory"), name="territory", depends=["round_robin"]
            ),
        ],
        create_tables=False,
    )
    with app.transaction() as tx:
        owner = app.host.call("assign_owner", tx=tx, prospect=Prospect(last_name="B"))
    # "territory" depends on "round_robin", so it is asked first; it abstains.
    assert (owner, calls) == (7, ["territory", "round_robin"])


class Welcome:
    """Writes a welcome row in the conversion transaction; can refuse the conversion."""

    def __init__(self, table: Table, refuse: bool = False) -> None:
        self.table, self.refuse = table, refuse
        self.roles_seen: list[str] = []

    @hookimpl
    def register_tables(self) -> list[Table]:
        return [self.table]

    @hookimpl
    def prospect_converted(self, tx: Transaction, customer: Customer) -> None:
        role = tx.conn.execute(select(party.c.role).where(party.c.id == customer.id)).scalar()
        self.roles_seen.append(role)
        tx.conn.execute(insert(self.table).values(party_id=customer.id, kind="welcome pack"))
        if self.refuse:
            raise RuntimeError("welcome service down")


@pytest.fixture
def letters() -> Iterator[Table]:
    table = Table(
        "letters_sent",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("party_id", Integer, ForeignKey("core_party.id"), nullable=False),
        Column("kind", String(50), nullable=False),
    )
    yield table
    metadata.remove(table)


def test_hook_prospect_converted(make_crm: Callable[..., Crm], letters: Table) -> None:
    welcome = Welcome(letters)
    app = make_crm(plugins=[register_plugin(welcome, name="letters")])
    prospect_id = create(app)
    with app.transaction() as tx:
        convert_prospect(tx, prospect_id)
    # Called inside the conversion transaction: it already sees the party as a customer.
    assert welcome.roles_seen == ["customer"]
    with app.engine.connect() as conn:
        assert conn.execute(select(letters.c.party_id)).scalar() == prospect_id


def test_failing_prospect_converted_rolls_the_conversion_back(
    make_crm: Callable[..., Crm], letters: Table
) -> None:
    app = make_crm(plugins=[register_plugin(Welcome(letters, refuse=True), name="letters")])
    prospect_id = create(app)
    with pytest.raises(RuntimeError, match="welcome service down"), app.transaction() as tx:
        convert_prospect(tx, prospect_id)
    with app.engine.connect() as conn:
        assert get_party(conn, prospect_id).role == "prospect"
        assert conn.execute(select(letters.c.id)).first() is None


@pytest.fixture
def cards() -> Iterator[Table]:
    table = Table(
        "loyalty_card",
        metadata,
        Column("number", String(20), primary_key=True),
        Column("party_id", Integer, ForeignKey("core_party.id"), nullable=False),
    )
    yield table
    metadata.remove(table)


class Loyalty:
    def __init__(self, table: Table, refuse: bool = False) -> None:
        self.table, self.refuse = table, refuse

    @hookimpl
    def register_tables(self) -> list[Table]:
        return [self.table]

    @hookimpl
    def parties_merged(self, tx: Transaction, survivor_id: int, merged_id: int) -> None:
        if self.refuse:
            raise RuntimeError("cards are being reissued")
        tx.conn.execute(
            update(self.table)
            .where(self.table.c.party_id == merged_id)
            .values(party_id=survivor_id)
        )


def test_hook_parties_merged(make_crm: Callable[..., Crm], cards: Table) -> None:
    app = make_crm(plugins=[register_plugin(Loyalty(cards), name="loyalty")])
    survivor, merged = create(app), create(app, first_name="Anna")
    with app.engine.begin() as conn:
        conn.execute(
            insert(cards),
            [{"number": "C-1", "party_id": merged}, {"number": "C-2", "party_id": survivor}],
        )
    with app.transaction() as tx:
        merge_parties(tx, survivor, merged)
    with app.engine.connect() as conn:
        owners = dict(conn.execute(select(cards.c.number, cards.c.party_id)).all())
    assert owners == {"C-1": survivor, "C-2": survivor}


def test_failing_parties_merged_rolls_the_merge_back(
    make_crm: Callable[..., Crm], cards: Table
) -> None:
    app = make_crm(plugins=[register_plugin(Loyalty(cards, refuse=True), name="loyalty")])
    survivor, merged = create(app), create(app, first_name="Anna")
    with pytest.raises(RuntimeError, match="reissued"), app.transaction() as tx:
        merge_parties(tx, survivor, merged)
    with app.engine.connect() as conn:
        assert get_party(conn, merged).first_name == "Anna"
        assert get_party(conn, survivor).version == 1


class Router:
    def __init__(self, keyword: str, name: str) -> None:
        self.keyword, self.name = keyword, name

    @hookimpl
    def route_inbound(self, app: Crm, message: dict[str, str]) -> str | None:
        return self.name if self.keyword in message["subject"].lower() else None


def test_hook_route_inbound(make_crm: Callable[..., Crm]) -> None:
    app = make_crm(
        plugins=[
            register_plugin(Router("complaint", "service"), name="service"),
            register_plugin(Router("", "catch_all"), name="catch_all"),
        ],
        create_tables=False,
    )
    # "service" registers after "catch_all" (by name), so it is asked first.
    assert app.route_inbound({"subject": "Complaint: broken wiper"}) == "service"
    assert app.route_inbound({"subject": "Hello"}) == "catch_all"
    quiet = make_crm(plugins=[register_plugin(Router("complaint", "service"), name="service")])
    assert quiet.route_inbound({"subject": "Hello"}) is None

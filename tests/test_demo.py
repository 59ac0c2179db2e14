"""``crmkit demo``: generated data seeded once, the demo users' login, the pages with data."""

from __future__ import annotations

import random
import re
import sqlite3
from datetime import UTC, datetime
from typing import Any

import phonenumbers
import pytest
from click.testing import CliRunner
from markupsafe import escape
from sqlalchemy import Connection, func, select
from starlette.testclient import TestClient

from crmkit import hookimpl
from crmkit.app import Crm
from crmkit.cli.main import cli
from crmkit.core.tables import (
    contact_point,
    interaction,
    match_key,
    match_review,
    notification,
    party,
    task,
    user,
)
from crmkit.core.values import EmailAddress
from crmkit.demo.app import demo_asgi, demo_secret, plugin_settings
from crmkit.demo.data import ADMIN_USERNAME, DEMO_PASSWORD, USERS, Generator
from crmkit.demo.seed import seed
from crmkit.testing import register_plugin

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def counts(crm: Crm) -> dict[str, int]:
    with crm.engine.connect() as conn:
        roles = dict(conn.execute(select(party.c.role, func.count()).group_by(party.c.role)).all())
        return {
            "customer": roles.get("customer", 0),
            "prospect": roles.get("prospect", 0),
            "user": conn.execute(select(func.count()).select_from(user)).scalar_one(),
            "interaction": conn.execute(select(func.count()).select_from(interaction)).scalar_one(),
        }


def log_in(client: TestClient, username: str, password: str) -> Any:
    """Post the login form the way a browser does (its CSRF token comes with the form)."""
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    data = {"username": username, "password": password, "csrf_token": token.group(1)}
    return client.post("/login", data=data)


def test_demo_seeds_the_stated_counts(make_crm):
    crm = make_crm()

    seeded = seed(crm, customers=40, prospects=60, now=NOW)

    assert seeded is not None
    found = counts(crm)
    assert (found["customer"], found["prospect"], found["user"]) == (40, 60, len(USERS))
    assert found["interaction"] == seeded.interactions >= 40 * 2
    with crm.engine.connect() as conn:
        converted = conn.execute(
            select(func.count()).where(party.c.converted_at.is_not(None))
        ).scalar_one()
        countries = conn.execute(
            select(contact_point.c.data["country"].as_string())
            .where(contact_point.c.kind == "address")
            .distinct()
        ).scalars()
        assert 0 < converted < 40
        assert len(set(countries)) >= 7
        owners = conn.execute(select(party.c.owner_id).distinct()).scalars().all()
        assert None not in owners and len(owners) > 3


def test_seeding_again_writes_nothing(make_crm):
    crm = make_crm()
    seed(crm, customers=10, prospects=10, now=NOW)
    before = counts(crm)

    assert seed(crm, customers=500, prospects=500, now=NOW) is None
    assert counts(crm) == before


def test_demo_data_is_deterministic():
    def sample(random_seed: int) -> list[tuple[object, ...]]:
        parties = Generator(random_seed, NOW).parties(15, 15)
        return [
            (p.entity.display_name, p.entity.emails, p.entity.phones, p.owner, p.history)
            for p in parties
        ]

    assert sample(7) == sample(7)
    assert sample(7) != sample(8)


def test_demo_contact_points_are_valid(make_crm):
    crm = make_crm()
    seed(crm, customers=60, prospects=60, now=NOW)

    with crm.engine.connect() as conn:
        rows = conn.execute(select(contact_point.c.kind, contact_point.c.value)).all()
    phones = [value for kind, value in rows if kind == "phone"]
    emails = [value for kind, value in rows if kind == "email"]

    assert len(phones) >= 120 and len(emails) == len(set(emails)) >= 120
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(p)) for p in phones)
    # Reserved domains only: no demo message can reach a real mailbox.
    assert all(EmailAddress.parse(e).normalised.endswith(".example") for e in emails)


def test_demo_history_lies_in_the_last_two_years(make_crm):
    crm = make_crm()
    seed(crm, customers=20, prospects=20, now=NOW)

    with crm.engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(interaction.c.occurred_at), func.max(interaction.c.occurred_at))
        ).one()
        channels = set(conn.execute(select(interaction.c.channel).distinct()).scalars())

    assert NOW.replace(year=2023) <= first <= last <= NOW
    assert channels >= {"phone", "email", "meeting"}


def test_demo_home_page_renders_with_data(make_crm):
    crm = make_crm()
    seed(crm, customers=25, prospects=35, now=NOW)
    client = TestClient(demo_asgi(crm))
    log_in(client, ADMIN_USERNAME, DEMO_PASSWORD)

    home = client.get("/")
    customers = client.get("/customers")
    party_page = client.get("/parties/1")

    assert home.status_code == 200
    assert "Demo mode" in home.text
    assert (
        "<strong>25</strong> customers" in home.text
        and "<strong>35</strong> prospects" in home.text
    )
    assert "admin · admin" in home.text
    assert len(re.findall(r'href="/parties/\d+"', customers.text)) == 25
    assert party_page.status_code == 200 and "Timeline" in party_page.text


def test_demo_users_log_in_with_the_password_shown_on_the_login_page(make_crm):
    crm = make_crm()
    seed(crm, customers=2, prospects=2, now=NOW)
    client = TestClient(demo_asgi(crm))

    login_page = client.get("/customers")

    assert login_page.url.path == "/login" and DEMO_PASSWORD in login_page.text
    assert log_in(client, "j.weber", DEMO_PASSWORD).status_code == 200
    assert client.get("/api/v1/customers").status_code == 200


def test_demo_command_creates_the_database_once_then_reuses_it(tmp_path):
    database = tmp_path / "demo.db"
    runner = CliRunner()
    args = [
        "demo",
        "--database",
        str(database),
        "--customers",
        "12",
        "--prospects",
        "8",
        "--no-serve",
    ]

    first = runner.invoke(cli, args)
    second = runner.invoke(cli, args)

    assert first.exit_code == 0, first.output
    assert "12 customers, 8 prospects" in first.output
    with sqlite3.connect(database) as db:
        roles = dict(db.execute("SELECT role, count(*) FROM core_party GROUP BY role").fetchall())
    assert roles == {"customer": 12, "prospect": 8}
    assert second.exit_code == 0, second.output
    assert "reusing" in second.output and "customers," not in second.output


class DemoSeeder:
    """A plugin that seeds a row of its own in the demo, or fails doing so."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[tuple[int, random.Random, datetime]] = []

    @hookimpl
    def seed_demo(self, app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
        prospects = conn.execute(
            select(func.count()).where(party.c.role == "prospect")
        ).scalar_one()
        self.calls.append((prospects, rng, now))
        if self.fail:
            raise RuntimeError("cannot seed")


def test_hook_seed_demo(make_crm):
    seeder = DemoSeeder()
    crm = make_crm(plugins=[register_plugin(seeder, name="seeder")])

    seed(crm, customers=5, prospects=7, now=NOW)
    seed(crm, customers=5, prospects=7, now=NOW)

    # Called once, after the kernel's parties were written, with the demo's moment.
    assert [(found, now) for found, _, now in seeder.calls] == [(7, NOW)]


def test_a_failing_plugin_seed_leaves_the_database_unseeded(make_crm):
    crm = make_crm(plugins=[register_plugin(DemoSeeder(fail=True), name="seeder")])

    with pytest.raises(RuntimeError, match="cannot seed"):
        seed(crm, customers=5, prospects=5, now=NOW)

    assert counts(crm) == {"customer": 0, "prospect": 0, "user": 0, "interaction": 0}


def test_demo_prospects_carry_their_intake_results(make_crm):
    crm = make_crm()
    intake = crm.settings.intake
    seed(crm, customers=20, prospects=300, now=NOW)

    with crm.engine.connect() as conn:
        prospects = conn.execute(select(party).where(party.c.role == "prospect")).all()
        customers = conn.execute(select(party.c.quality).where(party.c.role == "customer"))
        assert set(customers.scalars()) == {None}

    assert all(0 < p.quality <= 100 and p.score_band in ("hot", "warm", "cold") for p in prospects)
    for p in prospects:
        assert p.score == max(0, min(100, sum(r["points"] for r in p.score_reasons)))
        assert p.first_contact_due_at == p.created_at + intake.first_contact_deadline(p.score_band)
    assert any(f["code"] == "name_incomplete" for p in prospects for f in p.findings)
    assert len({p.score_band for p in prospects}) >= 2
    expired = [p for p in prospects if p.status == "expired"]
    assert 0 < len(expired) < len(prospects)
    assert all(p.expired_at == p.updated_at <= NOW for p in expired)
    # In work and touched within the deadline: nothing the expiry job would still expire.
    working = [p for p in prospects if p.status in ("new", "working", "qualified")]
    assert all(p.updated_at > NOW - intake.expire_after for p in working)


def test_overdue_demo_prospects_are_escalated_to_their_managers(make_crm):
    crm = make_crm()
    seeded = seed(crm, customers=10, prospects=400, now=NOW)

    with crm.engine.connect() as conn:
        overdue = conn.execute(
            select(party.c.id, party.c.escalated_at).where(
                party.c.role == "prospect",
                party.c.first_contacted_at.is_(None),
                party.c.first_contact_due_at <= NOW,
                party.c.status.in_(("new", "working", "qualified")),
            )
        ).all()
        escalation_tasks = conn.execute(
            select(task.c.party_id).where(task.c.source == "core.perishability")
        ).scalars()
        contacted = conn.execute(
            select(func.count()).where(party.c.first_contacted_at.is_not(None))
        ).scalar_one()

    assert seeded is not None and seeded.escalated == len(overdue) > 0
    assert all(p.escalated_at == NOW for p in overdue)
    assert set(escalation_tasks) == {p.id for p in overdue}
    assert contacted > 400 // 2


def test_demo_has_open_reviews_of_near_duplicate_prospects(make_crm):
    crm = make_crm()
    seeded = seed(crm, customers=10, prospects=1200, now=NOW)

    with crm.engine.connect() as conn:
        reviews = conn.execute(select(match_review)).all()
        names = dict(conn.execute(select(party.c.id, party.c.display_name)).all())
        phones = conn.execute(
            select(contact_point.c.party_id, contact_point.c.value).where(
                contact_point.c.kind == "phone"
            )
        ).all()
    phones_of: dict[int, set[str]] = {}
    for party_id, phone in phones:
        phones_of.setdefault(party_id, set()).add(phone)

    assert seeded is not None and seeded.reviews == len(reviews) > 0
    for review in reviews:
        assert review.status == "open" and 60 <= review.score < 90
        assert names[review.candidate_id] != names[review.existing_id]
        assert phones_of[review.candidate_id] & phones_of[review.existing_id]
    client = TestClient(demo_asgi(crm))
    log_in(client, ADMIN_USERNAME, DEMO_PASSWORD)
    queue = client.get("/match-reviews")
    assert queue.status_code == 200
    assert all(str(escape(names[r.candidate_id])) in queue.text for r in reviews)


def test_demo_users_have_tasks_and_notifications(make_crm):
    crm = make_crm()
    seed(crm, customers=60, prospects=60, now=NOW)

    with crm.engine.connect() as conn:
        tasks = conn.execute(
            select(task, user.c.role).join(user, user.c.id == task.c.owner_id)
        ).all()
        notes = conn.execute(select(notification).where(notification.c.source == "demo")).all()

    demo_tasks = [t for t in tasks if t.source == "demo"]
    assert {t.role for t in demo_tasks} == {"sales", "manager"}
    assert any(t.status == "open" and t.due_at < NOW for t in demo_tasks)
    assert any(t.status == "done" for t in demo_tasks)
    assert any(n.read_at is None for n in notes) and any(n.read_at is not None for n in notes)


def test_demo_parties_can_be_found_by_the_matcher(make_crm):
    crm = make_crm()
    seed(crm, customers=15, prospects=5, now=NOW)

    with crm.engine.connect() as conn:
        keyed = conn.execute(select(func.count(match_key.c.party_id.distinct()))).scalar_one()

    assert keyed == 20


class DemoConfigured:
    """A plugin that needs its address and a signing key to work."""

    @hookimpl
    def demo_settings(self, url: str, secret: str) -> dict[str, Any]:
        return {"linker": {"public_url": url, "key": secret}}


def test_hook_demo_settings(make_crm, tmp_path):
    crm = make_crm(plugins=[register_plugin(DemoConfigured(), name="linker")])
    secret = demo_secret(tmp_path / "demo.db")

    asked = plugin_settings(crm, "http://127.0.0.1:8123", secret)

    assert asked == {"linker": {"public_url": "http://127.0.0.1:8123", "key": secret}}
    # The same secret every time the demo's database is opened; its file is its owner's alone.
    assert demo_secret(tmp_path / "demo.db") == secret and len(secret) >= 40
    assert (tmp_path / "demo.db.secret").stat().st_mode & 0o777 == 0o600

"""Perishability: first contact, escalation of missed deadlines exactly once, expiry of idle prospects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from crmkit import SYSTEM, Actor, intake_prospect
from crmkit.app import Crm
from crmkit.core import perishability
from crmkit.core.entities import User
from crmkit.core.interactions import build_interaction, log_interaction
from crmkit.core.parties import build_party, create_party, update_party
from crmkit.core.settings import IntakeSettings, Settings
from crmkit.core.tables import notification, outbox, party, task
from crmkit.core.users import create_user
from tests.test_tasks import client_as

NOW = datetime(2030, 6, 3, 12, 0, tzinfo=UTC)


def add_user(crm: Crm, username: str, role: str = "sales", manager_id: int | None = None) -> int:
    user = User(username=username, display_name=username.title(), role=role, manager_id=manager_id)
    with crm.transaction() as tx:
        created = create_user(tx, user)
    assert created.id is not None
    return created.id


def add_prospect(crm: Crm, name: str, owner_id: int | None = None, **columns: Any) -> int:
    """A prospect as the intake pipeline leaves it: ``columns`` are its perishability columns."""
    data = {"last_name": name, "owner_id": owner_id, "emails": [f"{name.lower()}@example.org"]}
    with crm.transaction() as tx:
        party_id = create_party(tx, build_party("prospect", data, region="DE")).id
        if columns:
            tx.conn.execute(update(party).where(party.c.id == party_id).values(**columns))
    assert party_id is not None
    return party_id


def column(crm: Crm, party_id: int, name: str) -> Any:
    with crm.read() as conn:
        return conn.execute(select(party.c[name]).where(party.c.id == party_id)).scalar_one()


def count(crm: Crm, table: Any, *where: Any) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def log(crm: Crm, party_id: int, direction: str, actor: Actor = SYSTEM) -> None:
    item = build_interaction({"party_id": party_id, "channel": "phone", "direction": direction})
    with crm.transaction(actor) as tx:
        log_interaction(tx, item)


# --- Deadlines


def test_pipeline_sets_the_first_contact_deadline_of_the_prospects_band(make_crm):
    intake = IntakeSettings(hot_deadline_hours=2, warm_deadline_hours=30, cold_deadline_hours=300)
    crm = make_crm(settings=Settings(database_url="sqlite://", intake=intake))

    result = intake_prospect(
        crm,
        SYSTEM,
        {"first_name": "Jana", "last_name": "Weber", "emails": ["jana.weber@gmail.com"]},
        source="test",
    )

    assert result.party_id is not None
    due, created = (
        column(crm, result.party_id, "first_contact_due_at"),
        column(crm, result.party_id, "created_at"),
    )
    assert due - created == intake.first_contact_deadline(result.band)


def test_only_prospects_past_their_bands_deadline_are_escalated(crm):
    add_user(crm, "ada", "admin")
    hot = add_prospect(crm, "Hot", score_band="hot", first_contact_due_at=NOW - timedelta(hours=1))
    warm = add_prospect(
        crm, "Warm", score_band="warm", first_contact_due_at=NOW + timedelta(hours=20)
    )

    assert perishability.escalate_missed_deadlines(crm, NOW) == 1

    assert column(crm, hot, "escalated_at") == NOW
    assert column(crm, warm, "escalated_at") is None
    assert perishability.escalate_missed_deadlines(crm, NOW + timedelta(days=1)) == 1
    assert column(crm, warm, "escalated_at") is not None


# --- Escalation


def test_escalation_gives_the_owners_manager_a_task_and_a_notification(crm):
    mia = add_user(crm, "mia", "manager")
    sam = add_user(crm, "sam", manager_id=mia)
    add_user(crm, "ada", "admin")
    prospect = add_prospect(crm, "Roth", sam, score_band="hot", first_contact_due_at=NOW)

    perishability.escalate_missed_deadlines(crm, NOW)

    with crm.read() as conn:
        tasks = conn.execute(select(task)).all()
        notes = conn.execute(select(notification)).all()
        event = conn.execute(
            select(outbox.c.payload).where(outbox.c.event_type == "core.prospect_escalated")
        ).scalar_one()
    assert [(t.owner_id, t.party_id, t.status) for t in tasks] == [(mia, prospect, "open")]
    assert "Roth" in tasks[0].title
    assert [(n.user_id, n.kind, n.link) for n in notes] == [
        (mia, "escalation", f"/parties/{prospect}")
    ]
    assert "Roth" not in notes[0].title  # notifications outlive the prospect
    assert event["id"] == prospect and event["notified"] == [mia]


def test_prospect_whose_owner_has_no_manager_is_escalated_to_every_active_admin(crm):
    ada, ben = add_user(crm, "ada", "admin"), add_user(crm, "ben", "admin")
    sue = add_user(crm, "sue")
    add_prospect(crm, "Roth", sue, first_contact_due_at=NOW)
    add_prospect(crm, "Nobody", None, first_contact_due_at=NOW)

    perishability.escalate_missed_deadlines(crm, NOW)

    with crm.read() as conn:
        owners = sorted(conn.execute(select(task.c.owner_id)).scalars())
    assert owners == sorted([ada, ben, ada, ben])


def test_escalation_happens_once_however_often_the_job_runs(crm):
    add_user(crm, "ada", "admin")
    add_prospect(crm, "Roth", first_contact_due_at=NOW)

    escalated = [
        perishability.escalate_missed_deadlines(crm, NOW + timedelta(hours=h)) for h in range(3)
    ]

    assert escalated == [1, 0, 0]
    assert count(crm, task) == 1 and count(crm, notification) == 1
    assert count(crm, outbox, outbox.c.event_type == "core.prospect_escalated") == 1


def test_crash_in_the_middle_of_an_escalation_leaves_nothing_and_the_next_run_does_it_once(
    crm, monkeypatch
):
    add_user(crm, "ada", "admin")
    prospect = add_prospect(
        crm, "Roth", first_contact_due_at=datetime.now(UTC) - timedelta(hours=1)
    )
    job = "core.escalate_missed_first_contacts"

    def crash(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("power cut")

    with monkeypatch.context() as patched:
        patched.setattr(perishability, "notify", crash)  # after the mark and the task
        failed = crm.jobs.run(job)
    after_crash = (column(crm, prospect, "escalated_at"), count(crm, task))
    retried, again = crm.jobs.run(job), crm.jobs.run(job)

    assert not failed.ok and "power cut" in (failed.error or "")
    assert after_crash == (None, 0)
    assert retried.ok and again.ok
    assert count(crm, task) == 1 and count(crm, notification) == 1
    assert column(crm, prospect, "escalated_at") is not None


def test_contacted_expired_and_disqualified_prospects_are_not_escalated(crm):
    add_user(crm, "ada", "admin")
    add_prospect(
        crm, "Called", first_contact_due_at=NOW, first_contacted_at=NOW - timedelta(hours=2)
    )
    add_prospect(crm, "Gone", first_contact_due_at=NOW, status="expired")
    add_prospect(crm, "No", first_contact_due_at=NOW, status="disqualified")
    add_prospect(crm, "Untimed")

    assert perishability.escalate_missed_deadlines(crm, NOW) == 0
    assert count(crm, task) == 0


# --- First contact


def test_outbound_interaction_marks_the_first_contact_and_a_later_one_keeps_it(crm):
    prospect = add_prospect(
        crm, "Roth", first_contact_due_at=datetime.now(UTC) + timedelta(hours=1)
    )

    log(crm, prospect, "outbound")
    first = column(crm, prospect, "first_contacted_at")
    log(crm, prospect, "outbound")

    assert first is not None
    assert column(crm, prospect, "first_contacted_at") == first
    assert perishability.escalate_missed_deadlines(crm, datetime.now(UTC) + timedelta(days=1)) == 0


def test_inbound_message_filed_by_the_system_is_no_contact_but_a_call_a_person_logs_is(crm):
    sam = add_user(crm, "sam")
    prospect = add_prospect(crm, "Roth", sam)

    log(crm, prospect, "inbound")
    log(crm, prospect, "internal", Actor(user_id=sam, username="sam", role="sales"))
    untouched = column(crm, prospect, "first_contacted_at")
    log(crm, prospect, "inbound", Actor(user_id=sam, username="sam", role="sales"))

    assert untouched is None
    assert column(crm, prospect, "first_contacted_at") is not None


def test_interactions_with_customers_do_not_mark_first_contact(crm):
    with crm.transaction() as tx:
        customer = create_party(tx, build_party("customer", {"last_name": "Roth"}, region="DE")).id
    assert customer is not None

    log(crm, customer, "outbound")

    assert column(crm, customer, "first_contacted_at") is None


# --- Expiry


def test_untouched_prospect_expires_and_one_with_a_recent_interaction_does_not(crm):
    now = datetime.now(UTC)
    old = now - timedelta(days=31)
    idle = add_prospect(crm, "Idle", updated_at=old)
    talked = add_prospect(crm, "Talked", updated_at=old)
    fresh = add_prospect(crm, "Fresh", updated_at=now - timedelta(days=29))
    log(crm, talked, "outbound")

    expired = perishability.expire_untouched(crm, now)

    assert expired == 1
    assert (column(crm, idle, "status"), column(crm, idle, "expired_at")) == ("expired", now)
    assert column(crm, idle, "version") == 2
    assert column(crm, talked, "status") == column(crm, fresh, "status") == "new"
    assert count(crm, outbox, outbox.c.event_type == "core.prospect_expired") == 1
    assert perishability.expire_untouched(crm, now + timedelta(hours=1)) == 0


def test_a_prospect_set_back_to_work_is_no_longer_expired(crm):
    now = datetime.now(UTC)
    idle = add_prospect(crm, "Idle", updated_at=now - timedelta(days=31))
    perishability.expire_untouched(crm, now)

    with crm.transaction() as tx:
        update_party(tx, idle, {"status": "working"}, 2, region=None)

    assert (column(crm, idle, "status"), column(crm, idle, "expired_at")) == ("working", None)


def test_expiry_follows_the_configured_number_of_days(make_crm):
    settings = Settings(database_url="sqlite://", intake=IntakeSettings(expire_after_days=7))
    crm = make_crm(settings=settings)
    now = datetime.now(UTC)
    week_old = add_prospect(crm, "Idle", updated_at=now - timedelta(days=8))

    assert perishability.expire_untouched(crm, now) == 1
    assert column(crm, week_old, "status") == "expired"


def test_expired_prospect_is_excluded_from_work_list_unless_asked_for(make_crm):
    crm = make_crm()
    now = datetime.now(UTC)
    sam = add_user(crm, "sam")
    actor = Actor(user_id=sam, username="sam", role="sales")
    gone = add_prospect(crm, "Gone", sam, updated_at=now - timedelta(days=40))
    kept = add_prospect(crm, "Kept", sam)
    perishability.expire_untouched(crm, now)
    client = client_as(make_crm, actor)

    default = client.get("/api/v1/prospects").json()["items"]
    asked = client.get("/api/v1/prospects", params={"status": "expired"}).json()["items"]
    page = client.get("/prospects").text

    assert [p["id"] for p in default] == [kept]
    assert [p["id"] for p in asked] == [gone]
    assert "Kept" in page and "Gone" not in page
    wrong = client.get("/api/v1/prospects", params={"status": "stale"})
    assert wrong.status_code == 422 and wrong.json()["field"] == "status"


def test_perishability_jobs_are_scheduled(crm):
    jobs = crm.jobs.jobs

    assert jobs["core.escalate_missed_first_contacts"].every == timedelta(minutes=5)
    assert jobs["core.expire_untouched_prospects"].every == timedelta(hours=1)
    assert "core.escalate_missed_first_contacts" in crm.jobs.due()


def test_prospect_age_is_shown_in_the_list(make_crm):
    crm = make_crm()
    sam = add_user(crm, "sam")
    add_prospect(crm, "Roth", sam, created_at=datetime.now(UTC) - timedelta(days=3))
    client = client_as(make_crm, Actor(user_id=sam, username="sam", role="sales"))

    assert "3 days" in client.get("/prospects").text

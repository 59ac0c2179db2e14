"""Routing stored mail in batches: two transactions for a batch, and a failure counted only
against the message at fault."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid
from typing import Any

import pytest
from crmkit_channels.inbound_tables import inbound_email
from crmkit_channels.mail_routing import route_each
from crmkit_channels.mail_store import store
from crmkit_channels.settings import ChannelsSettings
from sqlalchemy import event, select

from crmkit import SYSTEM, Crm, ValidationError, hookimpl, timeline
from crmkit.testing import register_plugin

DOMAIN = "crm.acme.example"
SENDERS = ("ada", "grace", "edsger", "barbara", "donald")


class Cases:
    """Claims every message; fails on a subject starting with ``[Boom``, refuses to log
    ``poison`` on a timeline. Keeps the ids it was asked about."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    @hookimpl
    def route_inbound(self, app: Crm, message: Any) -> str | None:
        self.asked.append(message.id)
        if message.subject.startswith("[Boom"):
            raise RuntimeError("the cases plugin is down")
        return "cases"

    @hookimpl
    def entity_validate(self, entity_type: str, entity: Any, changes: dict[str, Any]) -> None:
        if entity_type == "interaction" and entity.subject == "poison":
            raise ValidationError("subject", "no poison on a timeline")


@pytest.fixture
def cases() -> Cases:
    return Cases()


@pytest.fixture
def app(make_channels: Callable[..., Crm], make_crm: Callable[..., Crm], cases: Cases) -> Crm:
    crm = make_channels(mail_in={"domains": [DOMAIN], "vouched": True})
    return make_crm(
        plugins=["channels", register_plugin(cases, name="cases")],
        settings=crm.settings,
        create_tables=False,
    )


def stored(app: Crm, subjects: list[str]) -> list[int]:
    """A message of each subject, each from a sender of its own, stored as ``mail-in`` does."""
    settings: ChannelsSettings = app.settings_of["channels"]
    ids = []
    for n, subject in enumerate(subjects):
        message = MimeMessage()
        message["From"] = f"{SENDERS[n].title()} Hopper <{SENDERS[n]}@hopper.de>"
        message["To"] = f"support@{DOMAIN}"
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="example.org")
        message.set_content("Where is my parcel?")
        raw = message.as_bytes(policy=policy.SMTP)
        with app.transaction(SYSTEM) as tx:
            inbound_id = store(
                tx, raw, f"{SENDERS[n]}@hopper.de", [f"support@{DOMAIN}"], settings.mail_in
            )
        assert inbound_id is not None
        ids.append(inbound_id)
    return ids


def states(app: Crm, ids: list[int]) -> list[tuple[str, int, str | None]]:
    with app.read() as conn:
        rows = conn.execute(
            select(inbound_email).where(inbound_email.c.id.in_(ids)).order_by(inbound_email.c.id)
        ).all()
    return [(r.status, r.attempts, r.claimed_by) for r in rows]


def on_timeline(app: Crm, ids: list[int]) -> list[int]:
    """How many interactions of each message's party refer to it."""
    counts = []
    with app.read() as conn:
        for inbound_id in ids:
            party_id = conn.execute(
                select(inbound_email.c.party_id).where(inbound_email.c.id == inbound_id)
            ).scalar_one()
            items = timeline(conn, party_id).items if party_id is not None else []
            counts.append(sum(str(inbound_id) in [r.id for r in i.refs] for i in items))
    return counts


@contextmanager
def commits(app: Crm) -> Iterator[list[int]]:
    seen: list[int] = []

    def count(_conn: Any) -> None:
        seen.append(1)

    event.listen(app.engine, "commit", count)
    try:
        yield seen
    finally:
        event.remove(app.engine, "commit", count)


def test_a_batch_is_placed_and_routed_in_two_transactions(app: Crm, cases: Cases) -> None:
    ids = stored(app, [f"Question {n}" for n in range(5)])
    with commits(app) as committed:
        route_each(app, ids)
    assert len(committed) == 2
    assert states(app, ids) == [("routed", 0, "cases")] * 5
    assert on_timeline(app, ids) == [1] * 5
    assert cases.asked == ids


def test_a_batch_routed_again_is_left_alone(app: Crm, cases: Cases) -> None:
    ids = stored(app, ["Question 1", "Question 2"])
    route_each(app, ids)
    route_each(app, ids)
    assert cases.asked == ids
    assert on_timeline(app, ids) == [1, 1]


def test_a_claim_that_fails_counts_against_its_message_only(app: Crm, cases: Cases) -> None:
    ids = stored(app, ["Question 1", "[Boom] Question 2", "Question 3"])
    route_each(app, ids)
    assert states(app, ids) == [("routed", 0, "cases"), ("placed", 1, None), ("routed", 0, "cases")]
    assert on_timeline(app, ids) == [1, 1, 1]


def test_placing_that_fails_for_one_message_is_done_for_each_alone(app: Crm, cases: Cases) -> None:
    ids = stored(app, ["Question 1", "poison", "Question 3"])
    route_each(app, ids)
    assert states(app, ids) == [
        ("routed", 0, "cases"),
        ("received", 1, None),
        ("routed", 0, "cases"),
    ]
    assert on_timeline(app, [ids[0], ids[2]]) == [1, 1]
    assert cases.asked == [ids[0], ids[2]]

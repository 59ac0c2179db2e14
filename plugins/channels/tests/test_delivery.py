"""Delivery to a real SMTP server on loopback: outcomes, retries, consent checked again, the timeline."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_channels import EmailMessage, send
from crmkit_channels.delivery import (
    Pace,
    _hand_over_each,
    deliver_due,
    give_up_on_abandoned,
    retry_delay,
)
from crmkit_channels.handover import Handover
from crmkit_channels.suppression import suppress
from crmkit_channels.tables import email
from sqlalchemy import select, update

from crmkit import SYSTEM, Crm, timeline

if TYPE_CHECKING:
    from conftest import Inbox, PersonMaker

RETRY = 0.3
"""The tests' retry delay (conftest.RETRY): a deferred email is due again after it."""


def queue(crm: Crm, party_id: int, purpose: str = "newsletter", **values: object) -> int:
    message = EmailMessage(party_id, purpose, template="welcome", variables={"code": 7}, **values)  # type: ignore[arg-type]
    with crm.transaction(SYSTEM) as tx:
        return send(tx, message).id


def row_of(crm: Crm, email_id: int) -> dict[str, object]:
    with crm.read() as conn:
        return dict(conn.execute(select(email).where(email.c.id == email_id)).one()._mapping)


def outcomes(crm: Crm, party_id: int) -> list[str | None]:
    with crm.read() as conn:
        return [i.outcome for i in timeline(conn, party_id).items]


def test_queued_emails_reach_the_relay_over_one_connection_and_are_sent(
    crm: Crm, inbox: Inbox, new_person: PersonMaker, give_consent: Callable[..., None]
) -> None:
    parties = [new_person(f"p{i}@example.org") for i in range(5)]
    for party in parties:
        give_consent(party, "granted")
    ids = [queue(crm, party) for party in parties]

    assert deliver_due(crm) == 5

    assert inbox.connections == 1
    assert sorted(inbox.message_ids()) == sorted(str(row_of(crm, i)["message_id"]) for i in ids)
    received = inbox.messages[0]
    assert (
        received["To"] == "p0@example.org" and received["From"] == "Acme News <news@acme.example>"
    )
    for email_id, party in zip(ids, parties, strict=True):
        row = row_of(crm, email_id)
        assert (row["status"], row["attempts"]) == ("sent", 1)
        assert outcomes(crm, party) == ["sent"]
    # Nothing is left: another run sends nothing again.
    assert deliver_due(crm) == 0 and len(inbox.messages) == 5


def test_emails_go_out_over_the_connections_set_each_once(
    make_channels: Callable[..., Crm], inbox: Inbox, consenting_person: Callable[[Crm], int]
) -> None:
    smtp = {"host": "127.0.0.1", "port": inbox.port, "security": "none", "connections": 3}
    crm = make_channels(smtp=smtp, sending_batch=7)
    parties = [consenting_person(crm) for _ in range(20)]
    ids = [queue(crm, party) for party in parties]

    assert deliver_due(crm) == 20

    assert inbox.connections == 3
    sent = [str(row_of(crm, i)["message_id"]) for i in ids]
    assert sorted(inbox.message_ids()) == sorted(sent)
    assert all(row_of(crm, i)["status"] == "sent" for i in ids)
    assert all(outcomes(crm, party) == ["sent"] for party in parties)


class Meeting:
    """A carrier whose hand-over waits until ``together`` of them are handing over at once."""

    def __init__(self, barrier: threading.Barrier, fails_on: object = None) -> None:
        self.barrier, self.fails_on, self.closed = barrier, fails_on, False

    def hand_over(self, row: object) -> Handover:
        if row == self.fails_on:
            raise RuntimeError(f"hand-over of {row} failed")
        self.barrier.wait(timeout=10)
        return Handover("sent")

    def close(self) -> None:
        self.closed = True


def test_the_connections_hand_emails_over_at_the_same_time() -> None:
    together = threading.Barrier(3)
    outcomes: list[tuple[Any, Handover]] = []
    with ThreadPoolExecutor(3) as pool:
        _hand_over_each(
            [Meeting(together) for _ in range(3)], list(range(9)), Pace(1e6), outcomes, pool
        )
    # One after another, no hand-over would have met two others: the barrier breaks.
    assert sorted(row for row, _ in outcomes) == list(range(9))


def test_a_failed_hand_over_stops_the_batch_and_every_finished_one_is_kept() -> None:
    outcomes: list[tuple[Any, Handover]] = []
    alone = threading.Barrier(1)
    carriers = [Meeting(alone, fails_on=2), Meeting(alone, fails_on=2)]
    with ThreadPoolExecutor(2) as pool, pytest.raises(RuntimeError, match="of 2 failed"):
        _hand_over_each(carriers, list(range(50)), Pace(1e6), outcomes, pool)
    handed = sorted(row for row, _ in outcomes)
    # The rows taken before the failure are handed over and kept; no row is taken after it.
    assert 2 not in handed and len(handed) < 49 and handed[:2] == [0, 1]


def test_consent_withdrawn_after_send_suppresses_the_email_at_delivery(
    crm: Crm, inbox: Inbox, person: int, give_consent: Callable[..., None]
) -> None:
    email_id = queue(crm, person)
    give_consent(person, "withdrawn")

    deliver_due(crm)

    assert inbox.messages == []
    row = row_of(crm, email_id)
    assert (row["status"], row["last_error"]) == (
        "suppressed",
        "no consent to email for newsletter",
    )
    assert outcomes(crm, person) == ["suppressed"]


def test_each_email_of_a_sending_batch_is_checked_and_only_those_allowed_go_out(
    crm: Crm, inbox: Inbox, new_person: PersonMaker, give_consent: Callable[..., None]
) -> None:
    parties = [new_person(f"p{i}@example.org") for i in range(6)]
    for party in parties:
        give_consent(party, "granted")
    ids = [queue(crm, party) for party in parties]
    give_consent(parties[1], "withdrawn")
    with crm.transaction(SYSTEM) as tx:
        suppress(tx, " P4@Example.org", "complaint", "feedback type abuse", None)

    assert deliver_due(crm) == 4

    rows = [row_of(crm, i) for i in ids]
    assert [r["status"] for r in rows] == [
        "sent",
        "suppressed",
        "sent",
        "sent",
        "suppressed",
        "sent",
    ]
    assert rows[1]["last_error"] == "no consent to email for newsletter"
    assert rows[4]["last_error"] == (
        "the address is on the suppression list after a spam complaint (feedback type abuse)"
    )
    assert sorted(inbox.message_ids()) == sorted(
        str(r["message_id"]) for r in rows if r["status"] == "sent"
    )
    assert [outcomes(crm, p) for p in parties] == [
        ["sent"],
        ["suppressed"],
        ["sent"],
        ["sent"],
        ["suppressed"],
        ["sent"],
    ]


def test_a_permanent_refusal_fails_at_once_and_shows_on_the_timeline(
    crm: Crm, inbox: Inbox, person: int
) -> None:
    inbox.answers["ada@example.org"] = "550 5.1.1 no such mailbox"
    email_id = queue(crm, person)

    deliver_due(crm)

    row = row_of(crm, email_id)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert "550 5.1.1 no such mailbox" in str(row["last_error"])
    with crm.read() as conn:
        [entry] = timeline(conn, person).items
    assert entry.outcome == "failed" and "550 5.1.1 no such mailbox" in (entry.summary or "")


def test_a_temporary_refusal_is_retried_and_then_sent(
    crm: Crm, inbox: Inbox, person: int, new_person: PersonMaker, give_consent: Callable[..., None]
) -> None:
    other = new_person("eve@example.org")
    give_consent(other, "granted")
    inbox.answers["ada@example.org"] = "451 4.7.1 greylisted, try again later"
    deferred, fine = queue(crm, person), queue(crm, other)

    deliver_due(crm)

    row = row_of(crm, deferred)
    assert (row["status"], row["attempts"]) == ("queued", 1)
    assert "451 4.7.1" in str(row["last_error"])
    # The refusal of one recipient does not spoil the connection for the next.
    assert row_of(crm, fine)["status"] == "sent"
    assert outcomes(crm, person) == []  # a deferral is no outcome yet

    del inbox.answers["ada@example.org"]
    time.sleep(RETRY)
    deliver_due(crm)

    row = row_of(crm, deferred)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert outcomes(crm, person) == ["sent"]


def test_an_email_deferred_on_every_attempt_ends_failed(
    make_channels: Callable[..., Crm], inbox: Inbox, consenting_person: Callable[[Crm], int]
) -> None:
    crm = make_channels(max_attempts=3)
    party = consenting_person(crm)
    inbox.answers["ada@example.org"] = "421 4.3.2 shutting down"
    email_id = queue(crm, party)
    for _ in range(3):
        deliver_due(crm)
        time.sleep(RETRY)
    row = row_of(crm, email_id)
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert str(row["last_error"]).startswith("given up after 3 attempts; last: 421")
    assert outcomes(crm, party) == ["failed"]


def test_a_relay_that_cannot_be_reached_is_retried_later(
    make_channels: Callable[..., Crm], unused_port: int, consenting_person: Callable[[Crm], int]
) -> None:
    crm = make_channels(smtp={"host": "127.0.0.1", "port": unused_port, "security": "none"})
    party = consenting_person(crm)
    message = EmailMessage(party, "orders", subject="Hi", text="x", transactional=True)
    with crm.transaction(SYSTEM) as tx:
        email_id = send(tx, message).id
    deliver_due(crm)
    row = row_of(crm, email_id)
    assert (row["status"], row["attempts"]) == ("queued", 1)
    assert "ConnectionRefusedError" in str(row["last_error"])


def test_the_relay_login_is_used_when_configured(
    make_channels: Callable[..., Crm],
    person: int,
    smtp_server: Callable[..., Inbox],
    login_required: Callable[[str, str], object],
) -> None:
    guarded = smtp_server(authenticator=login_required("crm", "s3cret"), auth_require_tls=False)
    smtp = {"host": "127.0.0.1", "port": guarded.port, "security": "none"}
    wrong = make_channels(smtp={**smtp, "username": "crm", "password": "nope"}, create_tables=False)
    email_id = queue(wrong, person)
    deliver_due(wrong)
    assert row_of(wrong, email_id)["status"] == "queued" and guarded.messages == []
    assert "535" in str(row_of(wrong, email_id)["last_error"])

    right = make_channels(
        smtp={**smtp, "username": "crm", "password": "s3cret"}, create_tables=False
    )
    time.sleep(RETRY)
    deliver_due(right)
    assert row_of(right, email_id)["status"] == "sent" and len(guarded.messages) == 1


def test_an_email_left_in_sending_by_a_dead_worker_becomes_unknown_not_resent(
    make_channels: Callable[..., Crm], inbox: Inbox, consenting_person: Callable[[Crm], int]
) -> None:
    crm = make_channels(sending_timeout_seconds=0.01)
    party = consenting_person(crm)
    email_id = queue(crm, party)
    with crm.transaction() as tx:  # what a worker killed during the SMTP transaction leaves
        tx.conn.execute(
            update(email)
            .where(email.c.id == email_id)
            .values(status="sending", attempts=1, sending_at=email.c.created_at)
        )
    time.sleep(0.02)

    assert deliver_due(crm) == 0

    assert inbox.messages == []
    assert row_of(crm, email_id)["status"] == "unknown"
    with crm.read() as conn:
        [entry] = timeline(conn, party).items
    assert entry.outcome == "unknown" and "check with the relay" in (entry.summary or "")
    assert give_up_on_abandoned(crm, crm.settings_of["channels"]) == 0


def test_a_connection_lost_during_data_makes_the_email_unknown_and_the_next_one_goes_out(
    crm: Crm, inbox: Inbox, person: int, new_person: PersonMaker, give_consent: Callable[..., None]
) -> None:
    other = new_person("eve@example.org")
    give_consent(other, "granted")
    inbox.hang_up_after_data = True
    lost, fine = queue(crm, person), queue(crm, other)

    deliver_due(crm)
    time.sleep(RETRY)
    deliver_due(crm)

    # The relay has both, once each: the first is not sent again although nobody heard "250".
    assert sorted(inbox.message_ids()) == sorted(
        str(row_of(crm, i)["message_id"]) for i in (lost, fine)
    )
    assert row_of(crm, lost)["status"] == "unknown"
    assert "during DATA" in str(row_of(crm, lost)["last_error"])
    assert row_of(crm, fine)["status"] == "sent"
    assert outcomes(crm, person) == ["unknown"]


def test_retry_delays_double_with_jitter_up_to_the_cap(crm: Crm) -> None:
    from attrs import evolve

    settings = evolve(
        crm.settings_of["channels"], first_retry_seconds=60.0, max_retry_seconds=600.0
    )
    for attempts, full in [(1, 60), (2, 120), (3, 240), (4, 480), (5, 600), (9, 600)]:
        delays = {retry_delay(settings, attempts).total_seconds() for _ in range(20)}
        assert all(full / 2 <= d <= full for d in delays)
        assert len(delays) > 1  # jittered


def test_the_pace_keeps_hand_overs_apart() -> None:
    waits: list[float] = []
    pace = Pace(4.0, sleep=waits.append)
    for _ in range(5):
        pace.wait()
    assert waits[0] > 0.2 and len(waits) == 4
    assert sum(waits) > 0.9


def test_the_pace_keeps_hand_overs_apart_across_connections() -> None:
    pace = Pace(50.0)
    passed: list[float] = []

    def connection() -> None:
        for _ in range(4):
            pace.wait()
            passed.append(time.monotonic())

    threads = [threading.Thread(target=connection) for _ in range(3)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Twelve hand-overs 20 ms apart take 220 ms at least; a pace per connection, 60 ms.
    assert len(passed) == 12 and max(passed) - started >= 0.22

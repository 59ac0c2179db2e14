"""Transports other plugins register: queued in the caller's transaction, delivered once after
commit through the delivery loop, "not now" retried at the time given, "never" failed on the
timeline, consent checked for a message with a purpose."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from crmkit_channels import (
    ChannelMessage,
    Later,
    Never,
    Sent,
    Transport,
    Unknown,
    send,
)
from crmkit_channels.delivery import deliver_due
from crmkit_channels.transport_tables import transport_message
from crmkit_channels.transports import TRANSPORT
from sqlalchemy import select, update

from crmkit import SYSTEM, Crm, ValidationError, hookimpl, record_consent, timeline, utcnow
from crmkit.testing import register_plugin

from .conftest import add_person


class Platform:
    """A platform whose answers a test scripts: each ``deliver`` pops the next one."""

    def __init__(self) -> None:
        self.answers: list[Any] = []
        self.delivered: list[tuple[str, str, dict[str, Any]]] = []

    def deliver(self, app: Crm, row: Any) -> Any:
        answer = self.answers.pop(0) if self.answers else Sent(f"m-{row.id}")
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, Sent):
            self.delivered.append((row.recipient, row.body, dict(row.payload)))
        return answer


@pytest.fixture
def platform() -> Platform:
    return Platform()


@pytest.fixture
def crm(make_crm: Callable[..., Crm], inbox: Any, platform: Platform) -> Crm:
    from crmkit import Settings

    from .conftest import channel_settings

    class Plugin:
        @hookimpl
        def channels_transports(self) -> list[Transport]:
            return [
                Transport("chat.message", platform.deliver, channel="chat", per_second=1000),
                # On a channel the kernel records consent for.
                Transport("chat.call", platform.deliver, channel="phone", per_second=1000),
            ]

    settings = Settings(
        database_url="sqlite://",
        strict_plugins=True,
        plugin_settings={"channels": channel_settings(inbox.port)},
    )
    return make_crm(plugins=["channels", register_plugin(Plugin(), name="chat")], settings=settings)


def _status(crm: Crm, message_id: int) -> Any:
    with crm.read() as conn:
        return conn.execute(
            select(transport_message).where(transport_message.c.id == message_id)
        ).one()


def _due_now(crm: Crm, message_id: int) -> None:
    with crm.transaction(SYSTEM) as tx:
        tx.conn.execute(
            update(transport_message)
            .where(transport_message.c.id == message_id)
            .values(next_attempt_at=utcnow())
        )


def _queue(crm: Crm, party: int | None, **options: Any) -> int:
    with crm.transaction(SYSTEM) as tx:
        message = ChannelMessage(
            transport=options.pop("transport", "chat.message"),
            recipient="psid-1",
            body="Thanks, we are on it.",
            party_id=party,
            rate_key="page-1",
            transactional=options.pop("transactional", True),
            payload={"tag": "X"},
            **options,
        )
        return send(tx, message).id


def test_a_message_is_delivered_once_after_commit_and_logged(crm: Crm, platform: Platform) -> None:
    party = add_person(crm)
    message = _queue(crm, party)
    assert deliver_due(crm, TRANSPORT) == 1
    assert deliver_due(crm, TRANSPORT) == 0
    assert platform.delivered == [("psid-1", "Thanks, we are on it.", {"tag": "X"})]
    row = _status(crm, message)
    assert (row.status, row.receipt, row.attempts) == ("sent", f"m-{message}", 1)
    with crm.read() as conn:
        [item] = timeline(conn, party).items
    assert (item.channel, item.outcome, item.direction) == ("chat", "sent", "outbound")


def test_a_rolled_back_transaction_queues_nothing(crm: Crm, platform: Platform) -> None:
    party = add_person(crm)
    with pytest.raises(RuntimeError), crm.transaction(SYSTEM) as tx:
        send(tx, ChannelMessage("chat.message", "psid-1", "Hi", party_id=party, transactional=True))
        raise RuntimeError("the caller changed its mind")
    assert deliver_due(crm, TRANSPORT) == 0
    assert platform.delivered == []


def test_not_now_is_tried_again_at_the_time_given_then_sent_once(
    crm: Crm, platform: Platform
) -> None:
    party = add_person(crm)
    message = _queue(crm, party)
    at = utcnow() + timedelta(minutes=5)
    platform.answers = [Later("rate limited (613)", retry_at=at)]
    deliver_due(crm, TRANSPORT)
    row = _status(crm, message)
    assert (row.status, row.last_error) == ("queued", "rate limited (613)")
    assert abs((row.next_attempt_at - at).total_seconds()) < 1
    assert deliver_due(crm, TRANSPORT) == 0  # not due yet
    _due_now(crm, message)
    deliver_due(crm, TRANSPORT)
    assert _status(crm, message).status == "sent"
    assert len(platform.delivered) == 1


def test_never_fails_with_the_reason_on_the_timeline(crm: Crm, platform: Platform) -> None:
    party = add_person(crm)
    message = _queue(crm, party)
    platform.answers = [Never("the recipient blocked the page")]
    deliver_due(crm, TRANSPORT)
    row = _status(crm, message)
    assert (row.status, row.last_error) == ("failed", "the recipient blocked the page")
    with crm.read() as conn:
        [item] = timeline(conn, party).items
    assert item.outcome == "failed"
    assert "the recipient blocked the page" in (item.summary or "")


def test_an_exception_or_unknown_is_never_sent_again(crm: Crm, platform: Platform) -> None:
    party = add_person(crm)
    first, second = _queue(crm, party), _queue(crm, party)
    platform.answers = [RuntimeError("connection reset"), Unknown("timed out after sending")]
    deliver_due(crm, TRANSPORT)
    assert _status(crm, first).status == "unknown"
    assert _status(crm, second).status == "unknown"
    assert deliver_due(crm, TRANSPORT) == 0


def test_a_post_to_nobody_needs_no_party_and_leaves_no_timeline(
    crm: Crm, platform: Platform
) -> None:
    message = _queue(crm, None, transactional=False)
    deliver_due(crm, TRANSPORT)
    assert _status(crm, message).status == "sent"


def test_a_message_with_a_purpose_needs_consent_on_the_transport_channel(
    crm: Crm, platform: Platform
) -> None:
    party = add_person(crm)
    call = {"transport": "chat.call", "transactional": False, "purpose": "offers"}
    refused = _queue(crm, party, **call)
    assert _status(crm, refused).status == "suppressed"
    with crm.transaction(SYSTEM) as tx:
        record_consent(tx, party, "offers", "phone", "granted", source="test")
    allowed = _queue(crm, party, **call)
    deliver_due(crm, TRANSPORT)
    assert _status(crm, allowed).status == "sent"
    assert len(platform.delivered) == 1


def test_an_unknown_transport_is_refused_naming_the_field(crm: Crm) -> None:
    party = add_person(crm)
    with pytest.raises(ValidationError) as refused, crm.transaction(SYSTEM) as tx:
        send(tx, ChannelMessage("pigeon.post", "x", "Hi", party_id=party, transactional=True))
    assert refused.value.field == "transport"

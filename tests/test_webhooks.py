"""Outbound webhooks: signed deliveries from the outbox to a real receiver on loopback."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from sqlalchemy import func, select

from crmkit.app import Crm
from crmkit.core import webhook_delivery
from crmkit.core.actors import Actor
from crmkit.core.db import transaction
from crmkit.core.errors import ValidationError
from crmkit.core.notifications import list_notifications
from crmkit.core.parties import build_party, create_party
from crmkit.core.signatures import new_secret, secret_key, sign, verify
from crmkit.core.tables import webhook_delivery as delivery_table
from crmkit.core.tables import webhook_subscription
from crmkit.core.users import User, create_user
from crmkit.core.webhook_delivery import (
    DeliveryPolicy,
    Sender,
    deliver_due,
    deliver_webhooks,
    fan_out,
)
from crmkit.core.webhooks import (
    CreatedSubscription,
    add_subscription,
    get_subscription,
    list_deliveries,
    redeliver,
    set_active,
)
from crmkit.testing import invoke
from tests.webhook_receiver import Receiver, receiving

if TYPE_CHECKING:
    from crmkit.testing import TestDatabase

# The published test vector of the Standard Webhooks specification.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

QUICK = DeliveryPolicy(
    # Generous: a request that times out on a loaded machine is retried, and a test counting
    # attempts would see one too many. The timeout test sets its own.
    timeout=3.0,
    first_retry=timedelta(milliseconds=1),
    max_retry=timedelta(milliseconds=5),
    max_attempts=4,
    disable_after=3,
)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def subscribe(crm: Crm, url: str, *types: str, **options: Any) -> CreatedSubscription:
    with crm.transaction() as tx:
        return add_subscription(tx, url, list(types or ["*"]), **options)


def prospects(crm: Crm, *names: str) -> list[int]:
    ids = []
    with crm.transaction() as tx:
        for name in names:
            data = {"first_name": name, "last_name": "Hook", "emails": [f"{name}@example.org"]}
            created = create_party(tx, build_party("prospect", data, region="DE")).id
            assert created is not None
            ids.append(created)
    return ids


def deliveries(crm: Crm, subscription_id: int) -> list[Any]:
    with crm.read() as conn:
        return list(reversed(list_deliveries(conn, subscription_id, limit=500).items))


def deliver_until_settled(crm: Crm, policy: DeliveryPolicy = QUICK, rounds: int = 50) -> None:
    """Run the delivery job until no delivery is pending (retries come due within milliseconds)."""
    for _ in range(rounds):
        deliver_webhooks(crm, policy)
        with crm.read() as conn:
            pending = conn.execute(
                select(func.count()).where(
                    delivery_table.c.status == "pending",
                    delivery_table.c.subscription_id.in_(
                        select(webhook_subscription.c.id).where(webhook_subscription.c.active)
                    ),
                )
            ).scalar_one()
        if not pending:
            return
        time.sleep(0.01)
    raise AssertionError("deliveries still pending")


def test_signatures_reproduce_the_standard_webhooks_test_vector() -> None:
    key = secret_key(VECTOR_SECRET)
    assert sign(key, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE
    headers = {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TIMESTAMP),
        "webhook-signature": f"v1,bm90IGl0 {VECTOR_SIGNATURE}",
    }
    assert verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TIMESTAMP + 10)
    assert not verify(VECTOR_SECRET, headers, b'{"test": 2432232315}', now=VECTOR_TIMESTAMP)
    assert not verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TIMESTAMP + 301)
    assert not verify(new_secret(), headers, VECTOR_BODY, now=VECTOR_TIMESTAMP)


@pytest.mark.parametrize(
    "secret", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!", "whsec_c2hvcnQ="]
)
def test_a_secret_not_in_the_whsec_form_is_refused(secret: str) -> None:
    with pytest.raises(ValidationError) as refused:
        secret_key(secret)
    assert refused.value.field == "secret"


def test_each_event_is_delivered_signed_and_verifiable(crm: Crm, receiver: Receiver) -> None:
    created = subscribe(crm, receiver.url, "prospect.created")
    party_ids = prospects(crm, "ann", "bob")

    deliver_until_settled(crm)

    assert len(receiver.received) == 2
    # Events about different parties may arrive in any order.
    arrived = sorted(receiver.received, key=lambda r: int(r.headers["webhook-id"][4:]))
    for got, party_id in zip(arrived, party_ids, strict=True):
        assert verify(created.secret, got.headers, got.body)
        assert got.headers["content-type"] == "application/json"
        assert b'"type":"prospect.created"' in got.body
        assert f'"entity_id":"{party_id}"'.encode() in got.body
    logged = deliveries(crm, created.subscription.id)
    assert [d.status for d in logged] == ["succeeded", "succeeded"]
    assert [d.message_id for d in logged] == [r.headers["webhook-id"] for r in arrived]


def documented_verifier() -> Any:
    """The ``verify`` function docs/webhooks.md gives receivers, run as they would copy it."""
    page = (Path(__file__).parents[1] / "docs" / "webhooks.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", page, re.S) if "def verify" in b]
    namespace: dict[str, Any] = {}
    exec(block, namespace)
    return namespace["verify"]


def test_the_verifier_the_docs_give_receivers_accepts_deliveries_and_refuses_changed_ones(
    crm: Crm, receiver: Receiver
) -> None:
    created = subscribe(crm, receiver.url)
    prospects(crm, "ann")
    deliver_until_settled(crm)
    verify_as_documented = documented_verifier()

    (got,) = receiver.received
    assert verify_as_documented(created.secret, got.headers, got.body)
    assert not verify_as_documented(created.secret, got.headers, got.body.replace(b"ann", b"bob"))
    assert not verify_as_documented(new_secret(), got.headers, got.body)


def test_only_events_of_the_subscribed_types_and_entity_are_sent(
    crm: Crm, receiver: Receiver
) -> None:
    typed = subscribe(crm, receiver.url, "customer.created")
    about_prospects = subscribe(crm, receiver.url, "*", entity="prospect")
    prospects(crm, "ann")

    deliver_until_settled(crm)

    assert deliveries(crm, typed.subscription.id) == []
    assert [d.event_type for d in deliveries(crm, about_prospects.subscription.id)] == [
        "prospect.created"
    ]


def test_events_before_the_subscription_are_not_sent(crm: Crm, receiver: Receiver) -> None:
    prospects(crm, "early")
    subscribe(crm, receiver.url)
    prospects(crm, "late")

    deliver_until_settled(crm)

    assert len(receiver.received) == 1
    assert b"late" in receiver.received[0].body


def test_a_500_is_retried_with_the_same_webhook_id(crm: Crm, receiver: Receiver) -> None:
    created = subscribe(crm, receiver.url)
    prospects(crm, "ann")
    receiver.plan = [500, 503]

    deliver_until_settled(crm)

    assert len(set(receiver.ids())) == 1 and len(receiver.ids()) == 3
    (logged,) = deliveries(crm, created.subscription.id)
    assert (logged.status, logged.attempts, logged.response_status) == ("succeeded", 3, 204)
    assert all(verify(created.secret, r.headers, r.body) for r in receiver.received)


def test_a_timeout_is_retried(crm: Crm, receiver: Receiver) -> None:
    created = subscribe(crm, receiver.url)
    prospects(crm, "ann")
    receiver.plan = ["hang"]
    # The timeout leaves the answer to the retry ample time on a loaded machine (at 0.5 s, a
    # slow second answer timed out too); the hang outlasts it twice.
    receiver.hang_seconds = 4.0

    deliver_until_settled(crm, attrs.evolve(QUICK, timeout=2.0))

    (logged,) = deliveries(crm, created.subscription.id)
    assert (logged.status, logged.attempts) == ("succeeded", 2)
    assert len(set(receiver.ids())) == 1


def test_a_client_error_is_given_up_at_once(crm: Crm, receiver: Receiver) -> None:
    created = subscribe(crm, receiver.url)
    prospects(crm, "ann")
    receiver.plan = [400]

    deliver_until_settled(crm)

    (logged,) = deliveries(crm, created.subscription.id)
    assert (logged.status, logged.attempts, logged.response_status) == ("failed", 1, 400)


def test_the_retry_delay_grows_exponentially_with_jitter_up_to_a_cap() -> None:
    policy = DeliveryPolicy(first_retry=timedelta(seconds=5), max_retry=timedelta(minutes=1))
    for attempts, full in ((1, 5), (2, 10), (3, 20), (5, 60), (9, 60)):
        delays = {policy.retry_delay(attempts).total_seconds() for _ in range(50)}
        assert all(full / 2 <= d <= full for d in delays)
        assert len(delays) > 1, "jittered"


def test_a_failing_receiver_is_given_up_and_the_subscription_disabled_with_a_notification(
    crm: Crm, receiver: Receiver
) -> None:
    with crm.transaction() as tx:
        admin = create_user(tx, User(username="ada", display_name="Ada", role="admin")).id
        owner = create_user(tx, User(username="sam", display_name="Sam", role="sales")).id
    created = subscribe(crm, receiver.url, owner_id=owner)
    prospects(crm, "ann")
    receiver.plan = [500] * 3

    deliver_until_settled(crm)

    (logged,) = deliveries(crm, created.subscription.id)
    assert (logged.status, logged.attempts) == ("pending", 3), "held until it is enabled again"
    found = crm_subscription(crm, created.subscription.id)
    assert not found.active
    assert found.disabled_reason is not None and "3 failed attempts" in found.disabled_reason
    for user_id in (admin, owner):
        with crm.read() as conn:
            (note,) = list_notifications(conn, user_id).items
        assert note.title == f"Webhook {created.subscription.id} was disabled"
    # Disabled: later events are not sent; enabled again, the held delivery goes out.
    prospects(crm, "bob")
    deliver_until_settled(crm)
    assert len(receiver.received) == 3
    with crm.transaction() as tx:
        set_active(tx, created.subscription.id, True)
    deliver_until_settled(crm)
    assert len(receiver.received) == 4
    assert [d.status for d in deliveries(crm, created.subscription.id)] == ["succeeded"]


def crm_subscription(crm: Crm, subscription_id: int) -> Any:
    with crm.read() as conn:
        return get_subscription(conn, subscription_id)


def test_an_unreachable_receiver_is_retried_and_disables_the_subscription(crm: Crm) -> None:
    with receiving() as closed:
        url = closed.url
    created = subscribe(crm, url)
    prospects(crm, "ann")

    deliver_until_settled(crm)

    (logged,) = deliveries(crm, created.subscription.id)
    assert (logged.status, logged.attempts, logged.response_status) == ("pending", 3, None)
    assert logged.last_error and "Connect" in logged.last_error
    assert not crm_subscription(crm, created.subscription.id).active


def test_a_redelivery_sends_the_same_message_again(crm: Crm, receiver: Receiver) -> None:
    created = subscribe(crm, receiver.url)
    prospects(crm, "ann")
    deliver_until_settled(crm)
    (first,) = deliveries(crm, created.subscription.id)

    with crm.transaction() as tx:
        again = redeliver(tx, first.id)
    assert (again.status, again.attempts) == ("pending", 0)
    deliver_until_settled(crm)

    assert receiver.ids() == [first.message_id, first.message_id]
    assert receiver.received[0].body == receiver.received[1].body
    assert all(verify(created.secret, r.headers, r.body) for r in receiver.received)


def test_a_later_event_about_a_party_waits_for_the_earlier_one(
    crm: Crm, receiver: Receiver
) -> None:
    created = subscribe(crm, receiver.url)
    (ann,) = prospects(crm, "ann")
    with crm.transaction() as tx:
        tx.emit("prospect.updated", "prospect", ann, {"id": ann, "changed": ["first_name"]})
    prospects(crm, "bob")
    about_ann = f'"entity_id":"{ann}"'.encode()
    receiver.status_for = lambda body: 500 if about_ann in body else None

    fan_out(crm.engine)
    sender = Sender(QUICK)
    try:
        deliver_due(crm, sender, QUICK)
    finally:
        sender.close()

    first_round = sorted(r.body for r in receiver.received)
    assert len(first_round) == 2, "ann's update waits for her first event; bob's goes"
    assert not any(b'"prospect.updated"' in body for body in first_round)
    receiver.status_for = None
    deliver_until_settled(crm)
    to_ann = [r.body for r in receiver.received if about_ann in r.body]
    assert [b'"prospect.updated"' in body for body in to_ann] == [False, False, True]
    assert [d.status for d in deliveries(crm, created.subscription.id)] == ["succeeded"] * 3


def test_fan_out_does_not_pass_an_event_whose_transaction_has_not_committed(
    crm: Crm, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    if crm.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers take turns: an earlier id cannot commit after a later one")
    monkeypatch.setattr(webhook_delivery, "GAP_GRACE", timedelta(0))
    created = subscribe(crm, receiver.url)
    with ExitStack() as open_transaction:
        slow = open_transaction.enter_context(transaction(crm.engine, crm.host, app=crm))
        slow.emit("party.imported", None, None, {"rows": 1})
        prospects(crm, "ann")
        assert fan_out(crm.engine) == 0, "the later event waits for the earlier id"
    assert fan_out(crm.engine) == 2
    deliver_until_settled(crm)
    # Both reach the receiver (about no party and about ann, they need not arrive in order).
    made = [(d.event_type, d.status) for d in deliveries(crm, created.subscription.id)]
    assert made == [("party.imported", "succeeded"), ("prospect.created", "succeeded")]
    assert len(receiver.received) == 2


def test_fan_out_passes_the_id_of_a_rolled_back_transaction_once_it_ended(
    crm: Crm, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhook_delivery, "GAP_GRACE", timedelta(0))
    subscribe(crm, receiver.url)
    prospects(crm, "first")
    with pytest.raises(RuntimeError), transaction(crm.engine, crm.host, app=crm) as tx:
        tx.emit("party.imported", None, None, {"rows": 1})
        raise RuntimeError("rolled back")
    prospects(crm, "ann")

    # On PostgreSQL the first round sees the gap and waits until every transaction
    # running then has ended (on a shared server, others' too).
    deadline = time.monotonic() + 30
    while len(receiver.received) < 2:
        assert time.monotonic() < deadline, "the gap was never passed"
        deliver_until_settled(crm)
        time.sleep(0.05)
    arrived = sorted(receiver.received, key=lambda r: int(r.headers["webhook-id"][4:]))
    assert [b'"first Hook"' in r.body for r in arrived] == [True, False]


KILLED_WORKER = textwrap.dedent(
    """
    import sys, time
    from datetime import timedelta
    from crmkit.core.db import make_engine
    from crmkit.core.webhook_delivery import DeliveryPolicy, deliver_webhooks
    from crmkit.testing import TestDatabase, make_app

    url, schema = sys.argv[1], sys.argv[2]
    options = {"connect_args": {"options": f"-csearch_path={schema}"}} if schema else {}
    app = make_app([], database=TestDatabase(url, make_engine(url, **options), schema or None),
                   create_tables=False)
    policy = DeliveryPolicy(lease=timedelta(seconds=1), batch=4, concurrency=4,
                            first_retry=timedelta(milliseconds=10))
    while True:
        deliver_webhooks(app, policy)
        time.sleep(0.02)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_worker_killed_mid_delivery_and_restarted_delivers_every_event_at_least_once(
    crm: Crm, crm_db: TestDatabase, receiver: Receiver
) -> None:
    created = subscribe(crm, receiver.url, "prospect.created")
    prospects(crm, *(f"p{i}" for i in range(20)))
    command = [sys.executable, "-c", KILLED_WORKER, crm_db.url, crm_db.schema or ""]
    first = subprocess.Popen(command, stderr=subprocess.PIPE)

    def kill_on_the_seventh(count: int) -> None:
        if count == 7:
            os.kill(first.pid, signal.SIGKILL)  # while it waits for this answer

    receiver.after = kill_on_the_seventh
    assert first.wait(timeout=60) == -signal.SIGKILL
    receiver.after = None
    assert any(d.status == "pending" for d in deliveries(crm, created.subscription.id))

    second = subprocess.Popen(command, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while any(d.status != "succeeded" for d in deliveries(crm, created.subscription.id)):
            assert time.monotonic() < deadline, "not every event was delivered"
            assert second.poll() is None, second.stderr.read() if second.stderr else ""
            time.sleep(0.1)
    finally:
        second.kill()
        second.wait()

    expected = {d.message_id for d in deliveries(crm, created.subscription.id)}
    assert len(expected) == 20
    assert set(receiver.ids()) == expected, "every event at least once"
    assert len(receiver.ids()) > len(expected), "the batch cut short was sent again"
    # What a receiver keeps after de-duplicating by webhook-id: each event once.
    kept = {r.headers["webhook-id"]: r.body for r in receiver.received}
    assert len(kept) == 20


def test_cli_adds_lists_tests_logs_and_redelivers(crm: Crm, receiver: Receiver) -> None:
    added = invoke(crm, "webhooks", "add", receiver.url, "--event", "prospect.created")
    assert added.exit_code == 0, added.output
    secret = added.stdout.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    listed = invoke(crm, "webhooks", "list")
    assert f"1\tactive\t0\tprospect.created\t{receiver.url}" in listed.output

    tested = invoke(crm, "webhooks", "test", "1")
    assert tested.exit_code == 0, tested.output
    assert "HTTP 204" in tested.output
    assert verify(secret, receiver.received[0].headers, receiver.received[0].body)

    prospects(crm, "ann")
    deliver_until_settled(crm)
    (delivery,) = deliveries(crm, 1)
    logged = invoke(crm, "webhooks", "log", "1")
    assert logged.output.startswith(
        f"{delivery.id}\t{delivery.message_id}\tprospect.created\tsucceeded"
    )

    again = invoke(crm, "webhooks", "redeliver", str(delivery.id))
    assert again.exit_code == 0, again.output
    deliver_until_settled(crm)
    assert receiver.ids()[1:] == [delivery.message_id, delivery.message_id]


def test_cli_refuses_bad_input_naming_it(crm: Crm) -> None:
    bad_url = invoke(crm, "webhooks", "add", "ftp://example.org", "--event", "*")
    assert bad_url.exit_code != 0 and "url" in bad_url.output
    bad_type = invoke(crm, "webhooks", "add", "https://example.org", "--event", "nope.done")
    assert bad_type.exit_code != 0 and "event_types" in bad_type.output
    failed_test = invoke(crm, "webhooks", "test", "99")
    assert failed_test.exit_code != 0 and "webhook 99 does not exist" in failed_test.output
    assert invoke(crm, "webhooks", "list").output == ""


def admin_actor(crm: Crm) -> Actor:
    with crm.transaction() as tx:
        ada = create_user(tx, User(username="ada", display_name="Ada", role="admin"))
    return Actor(user_id=ada.id, username="ada", role="admin")

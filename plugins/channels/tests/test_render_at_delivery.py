"""Emails queued in bulk and rendered at delivery: one that cannot be rendered fails alone, a
link that is no URL is left as written, and the migration that brought it keeps ids unique."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_channels import EmailMessage, send, send_many
from crmkit_channels import outbox as outbox_module
from crmkit_channels.delivery import deliver_due
from crmkit_channels.tables import email
from sqlalchemy import select, text

from crmkit import SYSTEM, Crm, allocate_ids, build_party, create_party, utcnow
from crmkit.testing import invoke

if TYPE_CHECKING:
    from conftest import Inbox, PersonMaker


def test_an_email_whose_rendering_raises_fails_alone_and_the_others_go(
    crm: Crm,
    inbox: Inbox,
    new_person: PersonMaker,
    give_consent: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people = [new_person(f"{n}@example.org", first_name=n.title()) for n in ("ada", "bea", "cy")]
    for party in people:
        give_consent(party, "granted")
    messages = [EmailMessage(p, "newsletter", subject="Hi", text="Hello") for p in people]
    with crm.transaction(SYSTEM) as tx:
        sent = send_many(tx, messages)
    rendered = outbox_module._render

    def render(settings: Any, addressed: Any, party: Any, sources: Any) -> Any:
        if party.id == people[1]:
            raise RuntimeError("a bug of its own")
        return rendered(settings, addressed, party, sources)

    monkeypatch.setattr(outbox_module, "_render", render)

    assert deliver_due(crm) == 2

    with crm.read() as conn:
        stored = conn.execute(
            select(email.c.id, email.c.status, email.c.last_error).order_by(email.c.id)
        ).all()
    assert [(r.id, r.status) for r in stored] == [
        (sent[0].id, "sent"),
        (sent[1].id, "failed"),
        (sent[2].id, "sent"),
    ]
    assert stored[1].last_error == "not rendered: RuntimeError: a bug of its own"
    assert sorted(str(m["To"]) for m in inbox.messages) == ["ada@example.org", "cy@example.org"]
    assert deliver_due(crm) == 0


def test_a_link_that_is_no_url_is_left_as_written(
    crm: Crm, new_person: PersonMaker, give_consent: Callable[..., None]
) -> None:
    party = new_person("ada@example.org", first_name="http://[x")
    give_consent(party, "granted")
    message = EmailMessage(
        party,
        "newsletter",
        subject="Hi",
        text="{{ party.first_name }} and https://shop.acme.example/a",
    )
    with crm.transaction(SYSTEM) as tx:
        raw = tx.conn.execute(select(email.c.raw).where(email.c.id == send(tx, message).id))
        text = raw.scalar_one()
    assert "http://[x and https://crm.acme.example/p/channels/click?t=" in text.replace("=\r\n", "")


def test_upgrading_the_outbox_gives_no_deleted_emails_id_again(
    make_channels: Callable[..., Crm],
) -> None:
    crm = make_channels(create_tables=False)
    assert invoke(crm, "db", "upgrade").exit_code == 0
    assert invoke(crm, "db", "downgrade", "channels_0009").exit_code == 0
    now = utcnow()
    with crm.transaction(SYSTEM) as tx:
        party = create_party(tx, build_party("customer", {"last_name": "Lovelace"}, region="DE")).id
        for n in range(3):
            tx.conn.execute(
                text(
                    "INSERT INTO channels_email (party_id, purpose, transactional, recipient,"
                    " subject, message_id, raw, variables, status, attempts, created_by,"
                    " created_at) VALUES (:party, 'newsletter', false, 'ada@example.org', 'Hi',"
                    " :message_id, '', '{}', 'sent', 1, 'system', :now)"
                ),
                {"party": party, "message_id": f"<{n}@acme.example>", "now": now},
            )
        highest = tx.conn.execute(text("SELECT max(id) FROM channels_email")).scalar_one()
        tx.conn.execute(text("DELETE FROM channels_email WHERE id = :id"), {"id": highest})

    assert invoke(crm, "db", "upgrade").exit_code == 0

    with crm.transaction(SYSTEM) as tx:
        assert allocate_ids(tx.conn, email, 1)[0] > highest


def test_every_email_of_a_batch_sees_its_variables_as_stored(
    crm: Crm, inbox: Inbox, new_person: PersonMaker, give_consent: Callable[..., None]
) -> None:
    people = [new_person(f"{n}@example.org") for n in ("ada", "bea")]
    for party in people:
        give_consent(party, "granted")
    # Stored as JSON, a number as key becomes text: the first email, rendered at once,
    # sees it so too.
    messages = [
        EmailMessage(
            p, "newsletter", subject="{{ price['1'] }}", text="x", variables={"price": {1: "9 EUR"}}
        )
        for p in people
    ]
    with crm.transaction(SYSTEM) as tx:
        send_many(tx, messages)

    assert deliver_due(crm) == 2

    assert [str(m["Subject"]) for m in inbox.messages] == ["9 EUR", "9 EUR"]

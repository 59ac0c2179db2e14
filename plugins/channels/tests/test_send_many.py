"""``send_many``: what ``send`` stores, message for message, checked and stored a chunk at a time;
and the MIME text written without the email package, which must be the package's text."""

from __future__ import annotations

import contextlib
import itertools
import random
import re
import string
from collections.abc import Callable, Iterator
from email.message import EmailMessage as MimeMessage
from email.policy import SMTP
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_channels import EmailMessage, Outbound, send, send_many
from crmkit_channels import outbox as outbox_module
from crmkit_channels.delivery import deliver_due
from crmkit_channels.mime_writer import written
from crmkit_channels.rendering import build_mime
from crmkit_channels.resend import resend_email
from crmkit_channels.suppression import suppress
from crmkit_channels.tables import email, email_body
from sqlalchemy import insert, select

from crmkit import (
    SYSTEM,
    Actor,
    Crm,
    NotFound,
    PermissionDenied,
    Transaction,
    ValidationError,
    build_party,
    create_party,
    interaction_table,
    timeline,
    update_party,
    user_table,
    utcnow,
)

if TYPE_CHECKING:
    from conftest import Inbox, PersonMaker


class RolledBack(Exception):
    """Raised to leave a transaction without keeping what it stored."""


def _numbered_message_ids(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Message-IDs ``<n@acme.example>`` from 1, again from 1 after each call of the answer."""
    counter: Iterator[int] = itertools.count(1)

    def restart() -> None:
        nonlocal counter
        counter = itertools.count(1)

    monkeypatch.setattr(
        outbox_module, "new_message_id", lambda domain: f"<{next(counter)}@{domain}>"
    )
    return restart


def _comparable(raw: str) -> str:
    """The message less what differs between two builds: its Date and its boundary."""
    raw = re.sub(r"^Date: .*$", "Date: -", raw, flags=re.M)
    return re.sub(r"===============\d+==", "BOUNDARY", raw)


def _stored_in(tx: Transaction, email_ids: list[int]) -> list[dict[str, Any]]:
    """The outbox rows and the party's timeline entries, less ids and times."""
    rows = tx.conn.execute(select(email).where(email.c.id.in_(email_ids)).order_by(email.c.id))
    found = []
    for row in rows:
        values = dict(row._mapping)
        for name in ("id", "created_at", "next_attempt_at", "finished_at"):
            values[name] = values[name] is not None
        values["raw"] = _comparable(values["raw"])
        found.append(values)
    entries = tx.conn.execute(
        select(
            interaction_table.c.party_id,
            interaction_table.c.subject,
            interaction_table.c.summary,
            interaction_table.c.outcome,
        )
        .where(interaction_table.c.source == "channels")
        .order_by(interaction_table.c.id)
    )
    timeline = [
        {**entry._mapping, "summary": re.sub(r"\d+\)$", "N)", entry.summary)} for entry in entries
    ]
    return [*found, *timeline]


def _outcome(crm: Crm, queue: Callable[[Transaction], list[Any]]) -> list[dict[str, Any]]:
    with pytest.raises(RolledBack), crm.transaction(SYSTEM) as tx:
        sent = queue(tx)
        stored = _stored_in(tx, [s.id for s in sent])
        raise RolledBack
    return stored


def test_send_many_stores_what_send_stores_message_for_message(
    crm: Crm,
    person: int,
    new_person: PersonMaker,
    give_consent: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refused = new_person("grace@example.org", first_name="Grace", last_name="Hopper")
    give_consent(refused, "withdrawn")
    umlaut = new_person("jürgen@example.org", first_name="Jürgen", last_name="Weiß")
    give_consent(umlaut, "granted")
    bounced = new_person("alan@example.org", first_name="Alan", last_name="Turing")
    give_consent(bounced, "granted")
    with crm.transaction(SYSTEM) as tx:
        suppress(tx, "alan@example.org", "bounce", "5.1.1", None)
    messages = [
        EmailMessage(person, "newsletter", template="welcome", variables={"code": "<7>"}),
        EmailMessage(refused, "newsletter", template="welcome", variables={"code": 8}),
        EmailMessage(bounced, "newsletter", template="welcome", variables={"code": 9}),
        EmailMessage(
            umlaut,
            "newsletter",
            subject="Grüße, {{ party.first_name }}",
            text="Hallo {{ party.name }}: https://shop.acme.example/herbst?wer={{ party.id }}",
        ),
        EmailMessage(
            person,
            "orders",
            subject="Order {{ n }}",
            text="Thanks.",
            variables={"n": 42},
            transactional=True,
            references=("<a@example.org>", "<b@example.org>"),
        ),
    ]
    restart = _numbered_message_ids(monkeypatch)
    one_by_one = _outcome(crm, lambda tx: [send(tx, m) for m in messages])
    restart()
    together = _outcome(crm, lambda tx: send_many(tx, messages))
    assert together == one_by_one
    statuses = [row["status"] for row in together[:5]]
    assert statuses == ["queued", "suppressed", "suppressed", "queued", "queued"]
    # On the timeline, in their order: no consent, then the suppressed address.
    entries = together[5:]
    assert [(e["party_id"], e["outcome"]) for e in entries] == [
        (refused, "suppressed"),
        (bounced, "suppressed"),
    ]


def test_send_many_answers_in_order_and_stores_every_message(
    crm: Crm, person: int, inbox: Inbox
) -> None:
    messages = [
        EmailMessage(person, "newsletter", template="welcome", variables={"code": n})
        for n in range(2500)  # more than one chunk
    ]
    with crm.transaction(SYSTEM) as tx:
        sent = send_many(tx, messages)
    assert all(isinstance(s, Outbound) for s in sent)
    assert len({s.message_id for s in sent if isinstance(s, Outbound)}) == 2500
    with crm.read() as conn:
        stored = conn.execute(select(email.c.id, email.c.raw).order_by(email.c.id)).all()
        bodies = conn.execute(select(email_body.c.id)).all()
    assert [row.id for row in stored] == [s.id for s in sent]
    # The first of each chunk is rendered at once; the others wait for delivery, their
    # body stored once.
    assert [i for i, row in enumerate(stored) if row.raw is not None] == [0, 1000, 2000]
    assert len(bodies) == 1

    delivered = 0
    while handed := deliver_due(crm):  # one run's budget may end first on a loaded machine
        delivered += handed
    assert delivered == 2500

    codes = [
        message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        for message in inbox.messages[::500]
    ]
    assert [c.strip().rsplit(" ", 1)[1] for c in codes] == ["0.", "500.", "1000.", "1500.", "2000."]
    with crm.read() as conn:
        waiting = conn.execute(
            select(email.c.id).where(email.c.raw.is_(None) | email.c.pending.is_not(None))
        ).all()
    assert waiting == []


def test_a_waiting_email_is_rendered_for_the_party_as_it_is_and_fails_alone_if_it_cannot(
    crm: Crm, inbox: Inbox, new_person: PersonMaker, give_consent: Callable[..., None]
) -> None:
    ada, grace, alan = (
        new_person(f"{n}@example.org", first_name=n.title()) for n in ("ada", "grace", "alan")
    )
    for party in (ada, grace, alan):
        give_consent(party, "granted")
    messages = [
        EmailMessage(
            party,
            "newsletter",
            subject="{{ party.first_name }}, {{ 100 // share }} % off",
            text="Hello {{ party.first_name }}",
            variables={"share": share},
        )
        for party, share in ((ada, 4), (grace, 0), (alan, 5))
    ]
    with crm.transaction(SYSTEM) as tx:
        sent = send_many(tx, messages)  # the first renders at once: the others would not be checked
        [outbound] = [s for s in sent if s.party_id == ada]
        assert outbound.subject == "Ada, 25 % off"
        assert [s.subject for s in sent if s.party_id != ada] == [None, None]
    with crm.transaction(SYSTEM) as tx:
        update_party(tx, alan, {"first_name": "Alan M."}, 1, region="DE")

    assert deliver_due(crm) == 2

    assert sorted(str(m["Subject"]) for m in inbox.messages) == [
        "Ada, 25 % off",
        "Alan M., 20 % off",
    ]
    with crm.read() as conn:
        stored = conn.execute(select(email.c.status, email.c.last_error).order_by(email.c.id)).all()
        outcomes = [i.outcome for i in timeline(conn, grace).items]
    assert [row.status for row in stored] == ["sent", "failed", "sent"]
    assert stored[1].last_error == (
        "not rendered: subject: the template does not render: integer division or modulo by zero"
    )
    assert outcomes == ["failed"]
    assert deliver_due(crm) == 0 and len(inbox.messages) == 2


def test_an_email_that_failed_before_it_was_rendered_is_resent_to_be_rendered_anew(
    crm: Crm, inbox: Inbox, new_person: PersonMaker, give_consent: Callable[..., None]
) -> None:
    ada, bea = new_person("ada@example.org"), new_person("bea@example.org", first_name=None)
    for party in (ada, bea):
        give_consent(party, "granted")
    message = {"subject": "{{ 100 // party.first_name|length }} % for {{ party.first_name }}"}
    with crm.transaction(SYSTEM) as tx:
        sent = send_many(
            tx, [EmailMessage(p, "newsletter", text="Hi", **message) for p in (ada, bea)]
        )
    assert deliver_due(crm) == 1  # Bea has no first name: her email does not render
    with crm.transaction(SYSTEM) as tx:
        update_party(tx, bea, {"first_name": "Bea"}, 1, region="DE")
        again = resend_email(tx, sent[1].id)
    assert (again.status, again.subject) == ("queued", None)

    assert deliver_due(crm) == 1

    assert [str(m["Subject"]) for m in inbox.messages] == ["33 % for Ada", "33 % for Bea"]


def test_one_refused_message_refuses_the_batch_and_nothing_is_stored(crm: Crm, person: int) -> None:
    good = EmailMessage(person, "newsletter", template="welcome", variables={"code": 1})
    unknown = EmailMessage(person, "newsletter", template="no-such-template")
    with pytest.raises(ValidationError) as refused, crm.transaction(SYSTEM) as tx:
        send_many(tx, [good, good, unknown])
    assert refused.value.field == "template"
    with pytest.raises(NotFound), crm.transaction(SYSTEM) as tx:
        send_many(tx, [good, EmailMessage(person + 1000, "newsletter", template="welcome")])
    with crm.read() as conn:
        assert conn.execute(select(email.c.id)).first() is None


def test_an_actor_who_may_not_see_one_party_sends_none(
    crm: Crm, new_person: PersonMaker, give_consent: Callable[..., None]
) -> None:
    with crm.transaction(SYSTEM) as tx:
        rep_id = tx.conn.execute(
            insert(user_table)
            .values(
                username="rep",
                display_name="Rep",
                email="rep@acme.example",
                role="sales",
                territories=[],
                active=True,
                version=1,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            .returning(user_table.c.id)
        ).scalar_one()
    rep = Actor(user_id=rep_id, username="rep", role="sales")
    own = new_person(owner_id=rep_id)
    other = new_person("grace@example.org")
    for party in (own, other):
        give_consent(party, "granted")
    welcome = {"template": "welcome", "variables": {"code": 1}}
    with crm.transaction(rep) as tx:
        [sent] = send_many(tx, [EmailMessage(own, "newsletter", **welcome)])  # type: ignore[arg-type]
    assert sent.status == "queued"
    batch = [EmailMessage(p, "newsletter", **welcome) for p in (own, other)]  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied), crm.transaction(rep) as tx:
        send_many(tx, batch)
    with crm.read() as conn:
        assert conn.execute(select(email.c.party_id)).scalars().all() == [own]


def test_subject_tokens_of_a_batch_differ_and_are_stored(
    make_channels: Callable[..., Crm],
) -> None:
    crm = make_channels(subject_token=True)
    with crm.transaction(SYSTEM) as tx:
        party = create_party(
            tx,
            build_party(
                "customer",
                {"kind": "person", "last_name": "Lovelace", "emails": ["a@example.org"]},
                region="DE",
            ),
        )
    message = EmailMessage(party.id or 0, "orders", subject="Hi", text="x", transactional=True)
    with crm.transaction(SYSTEM) as tx:
        sent = send_many(tx, [message] * 300)
    with crm.read() as conn:
        tokens = conn.execute(
            select(email.c.subject_token, email.c.subject).order_by(email.c.id)
        ).all()
    assert len({t.subject_token for t in tokens}) == 300
    assert [s.subject for s in sent[:2] if isinstance(s, Outbound)] == [tokens[0].subject, None]
    deliver_due(crm)
    with crm.read() as conn:
        tokens = conn.execute(select(email.c.subject_token, email.c.subject)).all()
    assert all(t.subject == f"Hi [#{t.subject_token}]" for t in tokens)


def test_the_unsubscribe_header_is_written_as_links_not_encoded_words(
    crm: Crm, person: int
) -> None:
    with crm.transaction(SYSTEM) as tx:
        [sent] = send_many(
            tx, [EmailMessage(person, "newsletter", template="welcome", variables={"code": 1})]
        )
    with crm.read() as conn:
        raw = conn.execute(select(email.c.raw).where(email.c.id == sent.id)).scalar_one()
    header = re.search(r"^List-Unsubscribe: (.*?)\r\n(?! )", raw, re.M | re.S)
    assert header is not None
    assert header[1].startswith("<https://crm.acme.example/p/channels/unsubscribe?token=")
    assert ",\r\n <mailto:unsubscribe@acme.example?subject=unsubscribe%20" in header[1]
    assert "=?" not in header[1]


# --- The MIME text written directly is the email package's text.


def _by_the_package(headers: dict[str, str], text: str, html: str | None) -> str:
    mime = MimeMessage(policy=SMTP)
    for name, value in headers.items():
        mime[name] = value
    mime["Date"] = formatdate(usegmt=True)
    mime.set_content(text)
    if html is not None:
        mime.add_alternative(html, subtype="html")
    return mime.as_string()


_CHARACTERS = string.ascii_letters + string.digits + " .,;:!?()[]<>@\"'=-_/\\#%&*+~^`{|}$"


def _samples(rng: random.Random) -> Iterator[tuple[dict[str, str], str, str | None]]:
    def words(n: int) -> str:
        return "".join(rng.choice(_CHARACTERS) for _ in range(n))

    def body() -> str:
        pieces = [
            words(rng.randint(0, 60)),
            "https://shop.acme.example/p?x=" + words(80).replace(" ", ""),
            "Grüße äöü ß € " * rng.randint(1, 8),
            "\t a tab \r\n a CRLF \r a CR",
            "x" * rng.randint(70, 200),
        ]
        lines = [rng.choice(pieces) for _ in range(rng.randint(0, 14))]
        return "\n".join(lines) + rng.choice(["", "\n", "\n\n"])

    for _ in range(400):
        plain = rng.random() < 0.5  # values the writer writes itself, or any
        headers = {
            "From": "news@acme.example" if plain else "Acme News <news@acme.example>",
            "To": rng.choice(
                ["ada@example.org", "a.b+c@ex-ample.org"]
                if plain
                else [
                    "Ada Lovelace <ada@example.org>",
                    "jürgen@example.org",
                    "x" * 70 + "@example.org",
                    '"quoted"@example.org',
                ]
            ),
            "Subject": rng.choice(
                [words(rng.randint(1, 60)).strip() or "x", "a  b"]
                if plain
                else [words(rng.randint(60, 90)), "Grüße", "=?utf-8?q?x?="]
            ),
            "Message-ID": "<1765.42.7@acme.example>" if plain else "<a@b>",
            **rng.choice([{}, {"Auto-Submitted": "auto-replied", "In-Reply-To": "<a@b.c>"}]),
        }
        yield headers, body(), rng.choice([None, f"<p>{body()}</p>"])


def test_the_written_message_is_the_email_packages_text() -> None:
    direct = 0
    for headers, text, html in _samples(random.Random(16)):
        reference = _by_the_package(headers, text, html)
        extra = {
            k: v for k, v in headers.items() if k not in ("From", "To", "Subject", "Message-ID")
        }
        built = build_mime(
            sender=headers["From"],
            recipient=headers["To"],
            subject=headers["Subject"],
            text=text,
            html=html,
            message_id=headers["Message-ID"],
            extra_headers=extra,
        )
        assert _comparable(built) == _comparable(reference), (headers, text, html)
        plain = {**headers, "Date": formatdate(usegmt=True)}
        with contextlib.suppress(LookupError):  # a header left to the package
            direct += written(plain, _refuse, text, html) is not None
    assert direct > 60  # many of them did not need the package at all


def _refuse(name: str, value: str) -> str:
    if name == "Date":
        return f"Date: {value}\r\n"
    raise LookupError(name)

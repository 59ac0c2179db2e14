"""Auto-answers: mail to the real ``mail-in`` server on loopback, answers handed to a real relay (aiosmtpd)."""

from __future__ import annotations

import re
import smtplib
import time
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage as MimeMessage
from email.parser import BytesHeaderParser
from email.utils import make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_channels import EmailMessage, send
from crmkit_channels.auto_answer import Inbound, machine_sent, matches
from crmkit_channels.auto_answer_settings import AutoAnswerRule, AutoAnswerSettings, WorkingHours
from crmkit_channels.auto_answer_tables import auto_answer
from crmkit_channels.inbound_tables import inbound_email
from crmkit_channels.mail_in import server
from crmkit_channels.mail_routing import route_pending
from crmkit_channels.tables import email
from sqlalchemy import func, select, update

from crmkit import SYSTEM, Crm, PluginError, ValidationError, erase_party, export_party, utcnow

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conftest import Inbox, PersonMaker

DOMAIN = "crm.acme.example"
TO = f"support@{DOMAIN}"
ACK = {
    "name": "ack",
    "subject": "Re: {{ subject }}",
    "text": "Hello {{ party.first_name }}, we have your message and answer within a day.",
}
ACK_RULE = {"name": "first contact", "template": "ack", "first_contact": True}


@pytest.fixture
def rules() -> list[dict[str, Any]]:
    return [ACK_RULE]


@pytest.fixture
def app(make_channels: Callable[..., Crm], rules: list[dict[str, Any]]) -> Crm:
    return make_channels(
        mail_in={"domains": [DOMAIN], "vouched": True},
        templates=[ACK],
        auto_answer={"max_per_sender_per_day": 2, "rules": rules},
    )


@pytest.fixture
def port(app: Crm, unused_port: int) -> Iterator[int]:
    controller = server(app, "127.0.0.1", unused_port)
    controller.start()
    yield unused_port
    controller.stop()


def mail(subject: str = "Where is my parcel?", **headers: str) -> MimeMessage:
    message = MimeMessage()
    message["From"] = headers.pop("From", "Grace Hopper <grace@example.org>")
    message["To"] = TO
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("It was due on Monday.")
    return message


def deliver(port: int, message: MimeMessage, envelope_from: str = "grace@example.org") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(envelope_from, [TO], message.as_bytes(policy=policy.SMTP))


def decisions(app: Crm, count: int) -> list[dict[str, Any]]:
    """The auto-answer decisions in the order the messages came, once there are ``count``
    (they follow the 250)."""
    deadline = time.monotonic() + 10
    while True:
        with app.read() as conn:
            rows = conn.execute(select(auto_answer).order_by(auto_answer.c.inbound_email_id)).all()
        if len(rows) >= count:
            return [dict(r._mapping) for r in rows]
        assert time.monotonic() < deadline, f"{len(rows)} decisions, expected {count}"
        time.sleep(0.02)


def sent(app: Crm, inbox: Inbox) -> list[MimeMessage]:
    """Run the delivery job as ``crmkit worker`` does; what the relay has received."""
    result = app.jobs.run("channels.deliver_email")
    assert result.ok, result.error
    return inbox.messages


def test_a_first_message_is_answered_once_threaded_and_marked_auto_replied(
    app: Crm, port: int, inbox: Inbox, new_person: PersonMaker
) -> None:
    grace = new_person("grace@example.org", first_name="Grace", last_name="Hopper")
    first = mail("Where is my parcel?")
    deliver(port, first)
    deliver(port, mail("And another thing"))

    answered, second = decisions(app, 2)

    assert (answered["outcome"], answered["rule"], answered["sender"]) == (
        "answered",
        "first contact",
        "grace@example.org",
    )
    assert (second["outcome"], second["email_id"]) == ("no rule matched", None)
    [reply] = sent(app, inbox)
    assert reply["To"] == "grace@example.org"
    assert reply["Subject"] == "Re: Where is my parcel?"
    assert reply["In-Reply-To"] == first["Message-ID"]
    assert reply["References"] == first["Message-ID"]
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["List-Unsubscribe"] is None  # transactional
    assert "Hello Grace" in reply.get_content()
    with app.read() as conn:
        row = conn.execute(select(email).where(email.c.id == answered["email_id"])).one()
    assert (row.party_id, row.purpose, row.transactional) == (grace, "auto_answer", True)


def test_a_reply_in_a_thread_is_answered_with_the_whole_thread_in_references(
    app: Crm, port: int, inbox: Inbox, new_person: PersonMaker
) -> None:
    new_person("grace@example.org")
    message = mail(References="<a@example.org> <b@example.org>", In_Reply_To="<b@example.org>")
    deliver(port, message)

    [decision] = decisions(app, 1)

    assert decision["outcome"] == "answered"
    [reply] = sent(app, inbox)
    assert reply["References"].split() == [
        "<a@example.org>",
        "<b@example.org>",
        message["Message-ID"],
    ]
    assert reply["In-Reply-To"] == message["Message-ID"]


@pytest.mark.parametrize(
    ("headers", "envelope_from", "reason"),
    [
        ({"Auto_Submitted": "auto-replied"}, "grace@example.org", "Auto-Submitted: auto-replied"),
        ({"Auto_Submitted": "auto-generated"}, "grace@example.org", "Auto-Submitted"),
        ({"Precedence": "bulk"}, "grace@example.org", "Precedence: bulk"),
        ({"Precedence": "list"}, "grace@example.org", "Precedence: list"),
        ({"List_Id": "<news.example.org>"}, "grace@example.org", "List-Id"),
        ({}, "", "null sender"),
        ({"From": f"Help desk <desk@{DOMAIN}>"}, f"desk@{DOMAIN}", "our own addresses"),
        ({"From": "news@acme.example"}, "news@acme.example", "our own addresses"),
    ],
)
def test_the_loop_guard_never_answers_a_machine_or_ourselves(
    app: Crm,
    port: int,
    inbox: Inbox,
    new_person: PersonMaker,
    headers: dict[str, str],
    envelope_from: str,
    reason: str,
) -> None:
    new_person("grace@example.org")
    deliver(port, mail(**headers), envelope_from=envelope_from)

    [decision] = decisions(app, 1)

    assert reason in decision["outcome"] and decision["email_id"] is None
    assert sent(app, inbox) == []


def test_auto_submitted_no_is_a_person_and_is_answered(
    app: Crm, port: int, inbox: Inbox, new_person: PersonMaker
) -> None:
    new_person("grace@example.org")
    deliver(port, mail(Auto_Submitted="no"))

    assert decisions(app, 1)[0]["outcome"] == "answered"
    assert len(sent(app, inbox)) == 1


@pytest.mark.parametrize("rules", [[{"name": "everyone", "template": "ack"}]])
def test_one_sender_gets_at_most_the_daily_limit_of_answers(
    app: Crm, port: int, inbox: Inbox, new_person: PersonMaker
) -> None:
    new_person("grace@example.org")
    for n in range(3):  # one after the other: two routed at the same instant may both pass
        deliver(port, mail(f"message {n}"))
        decisions(app, n + 1)

    outcomes = [d["outcome"] for d in decisions(app, 3)]

    assert outcomes == ["answered", "answered", "already answered 2 times today"]
    assert len(sent(app, inbox)) == 2
    with app.transaction(SYSTEM) as tx:  # a day later the sender may be answered again
        tx.conn.execute(update(auto_answer).values(decided_at=utcnow() - timedelta(days=1)))
    deliver(port, mail("message 3"))
    assert decisions(app, 4)[-1]["outcome"] == "answered"


def test_a_message_routed_again_after_a_crash_is_not_answered_twice(
    app: Crm, port: int, inbox: Inbox, new_person: PersonMaker
) -> None:
    new_person("grace@example.org")
    deliver(port, mail())
    decisions(app, 1)
    # As if routing had to be done again: the pending-mail job takes the message anew.
    with app.transaction(SYSTEM) as tx:
        tx.conn.execute(
            update(inbound_email).values(
                status="placed", received_at=utcnow() - timedelta(minutes=5)
            )
        )

    assert route_pending(app) == 1

    with app.read() as conn:
        assert conn.execute(select(inbound_email.c.status)).scalar_one() == "routed"
    assert len(decisions(app, 1)) == 1
    assert len(sent(app, inbox)) == 1


def test_the_decisions_about_a_partys_mail_are_in_its_export_and_go_with_its_erasure(
    app: Crm, port: int, new_person: PersonMaker
) -> None:
    grace = new_person("grace@example.org", first_name="Grace")
    ada = new_person("ada@example.org", first_name="Ada")
    deliver(port, mail("Where is my parcel?"))
    deliver(port, mail("Hello", From="Ada <ada@example.org>"), envelope_from="ada@example.org")
    graces, adas = sorted(decisions(app, 2), key=lambda d: d["sender"] != "grace@example.org")

    with app.read() as conn:
        exported = export_party(conn, app.host, grace)["channels"]
    [answered] = exported["auto_answers"]
    assert answered == {
        "id": graces["id"],
        "inbound_email_id": graces["inbound_email_id"],
        "sender": "grace@example.org",
        "rule": "first contact",
        "email_id": graces["email_id"],
        "outcome": "answered",
        "decided_at": graces["decided_at"].isoformat(),
    }
    assert [m["id"] for m in exported["emails"]] == [graces["email_id"]]

    with app.transaction(SYSTEM) as tx:
        erase_party(tx, grace)

    assert decisions(app, 1) == [adas]
    with app.read() as conn:
        assert export_party(conn, app.host, ada)["channels"]["auto_answers"][0]["id"] == adas["id"]


def test_a_rule_naming_no_template_is_refused_at_start(make_channels: Callable[..., Crm]) -> None:
    with pytest.raises(PluginError, match="names no template"):
        make_channels(templates=[ACK], auto_answer={"rules": [{"name": "x", "template": "nope"}]})


@pytest.mark.parametrize(
    ("auto_answer_settings", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "not an IANA time zone"),
        ({"working_hours": {"mon": "9-17"}}, "expected a span"),
        ({"working_hours": {"mon": "17:00-09:00"}}, "not after the start"),
        ({"max_per_sender_per_day": 0}, "max_per_sender_per_day"),
    ],
)
def test_bad_auto_answer_settings_are_refused_naming_what_is_wrong(
    make_channels: Callable[..., Crm], auto_answer_settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(PluginError, match=message):
        make_channels(auto_answer=auto_answer_settings)


BERLIN = AutoAnswerSettings(timezone="Europe/Berlin", working_hours=WorkingHours.office())


def inbound(at: datetime, **values: Any) -> Inbound:
    headers = BytesHeaderParser().parsebytes(values.pop("headers", b"Subject: x\r\n\r\n"))
    defaults: dict[str, Any] = {
        "sender": "grace@example.org",
        "envelope_from": "grace@example.org",
        "subject": "Invoice 42 is wrong",
        "text": "Please send a corrected invoice.",
        "first_contact": False,
    }
    return Inbound(received_at=at, headers=headers, **{**defaults, **values})


# Monday 2026-12-07: 08:30 UTC is 09:30 in Berlin (working), 16:30 UTC is 17:30 (evening).
MONDAY_MORNING = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)
MONDAY_EVENING = datetime(2026, 12, 7, 16, 30, tzinfo=UTC)
SATURDAY_MORNING = datetime(2026, 12, 12, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rule", "at", "values", "expected"),
    [
        ({"hours": "working"}, MONDAY_MORNING, {}, True),
        ({"hours": "working"}, MONDAY_EVENING, {}, False),
        ({"hours": "outside"}, MONDAY_EVENING, {}, True),
        ({"hours": "outside"}, SATURDAY_MORNING, {}, True),
        ({"between": "17:00-24:00"}, MONDAY_EVENING, {}, True),
        ({"between": "17:00-24:00"}, MONDAY_MORNING, {}, False),
        ({"sender": "*@EXAMPLE.org"}, MONDAY_MORNING, {}, True),
        ({"sender": "*@example.com"}, MONDAY_MORNING, {}, False),
        ({"subject_keywords": ("refund", "INVOICE")}, MONDAY_MORNING, {}, True),
        ({"subject_keywords": ("refund",)}, MONDAY_MORNING, {}, False),
        ({"body_keywords": ("corrected",)}, MONDAY_MORNING, {}, True),
        ({"body_keywords": ("urgent",)}, MONDAY_MORNING, {}, False),
        ({"first_contact": True}, MONDAY_MORNING, {"first_contact": True}, True),
        ({"first_contact": True}, MONDAY_MORNING, {}, False),
        ({"first_contact": False}, MONDAY_MORNING, {}, True),
        (
            {"hours": "working", "subject_keywords": ("invoice",), "sender": "grace@*"},
            SATURDAY_MORNING,
            {},
            False,
        ),
    ],
)
def test_a_rule_matches_when_every_condition_it_gives_holds(
    rule: dict[str, Any], at: datetime, values: dict[str, Any], expected: bool
) -> None:
    assert matches(AutoAnswerRule("r", "ack", **rule), BERLIN, inbound(at, **values)) is expected


def test_the_loop_guard_reads_the_headers_of_the_message_as_received() -> None:
    own, domains = frozenset({"news@acme.example"}), frozenset({DOMAIN})

    def why(raw: bytes, **values: Any) -> str | None:
        return machine_sent(inbound(MONDAY_MORNING, headers=raw, **values), own, domains)

    assert why(b"Subject: hi\r\n\r\n") is None
    assert why(b"Auto-Submitted: No\r\n\r\n") is None
    assert why(b"Precedence: JUNK\r\n\r\n") == "Precedence: junk"
    assert why(b"Subject: hi\r\n\r\n", sender="NEWS@acme.example") is not None
    assert why(b"Subject: hi\r\n\r\n", sender=None) == "no sender address"


def test_a_day_left_out_of_configured_working_hours_is_off() -> None:
    mornings = AutoAnswerSettings(working_hours=WorkingHours(mon="08:00-12:00"))
    outside = AutoAnswerRule("r", "ack", hours="outside")
    monday, tuesday = datetime(2026, 12, 7, 10, tzinfo=UTC), datetime(2026, 12, 8, 10, tzinfo=UTC)

    assert not matches(outside, mornings, inbound(monday))
    assert matches(outside, mornings, inbound(tuesday))


def test_the_readme_example_loads(make_channels: Callable[..., Crm]) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Auto-answers to inbound mail")[1].split("\n## ")[0]
    [example] = re.findall(r"^```\n(.*?)^```$", section, re.M | re.S)
    closed = {**ACK, "name": "closed"}

    app = make_channels(
        templates=[ACK, closed],
        auto_answer=tomllib.loads(example)["plugins"]["channels"]["auto_answer"],
    )

    settings = app.settings_of["channels"].auto_answer
    assert (settings.timezone, settings.max_per_sender_per_day) == ("Europe/Berlin", 3)
    assert (settings.working_hours.mon, settings.working_hours.tue) == ("09:00-17:00", None)
    assert [(r.name, r.hours, r.first_contact) for r in settings.rules] == [
        ("closed", "outside", None),
        ("welcome", "any", True),
    ]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"references": ("<a@example.org>", "not-an-id")}, "references"),
        ({"references": ("<a@example.org>\r\nBcc: x@example.org",)}, "references"),
        ({"auto_submitted": "auto-replied\r\nBcc: x@example.org"}, "auto_submitted"),
    ],
)
def test_send_refuses_thread_headers_that_are_not_what_they_claim(
    app: Crm, new_person: PersonMaker, values: dict[str, Any], field: str
) -> None:
    grace = new_person("grace@example.org")
    with pytest.raises(ValidationError) as raised, app.transaction(SYSTEM) as tx:
        send(tx, EmailMessage(grace, "orders", subject="Hi", text="Hello", **values))
    assert raised.value.field == field
    with app.read() as conn:
        assert conn.execute(select(func.count()).select_from(email)).scalar_one() == 0

"""The send interface: what ``send`` records in the caller's transaction, and what it refuses."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_string, policy
from typing import TYPE_CHECKING

import pytest
from crmkit_channels import EmailMessage, send
from crmkit_channels.tables import email
from sqlalchemy import select

from crmkit import (
    SYSTEM,
    Actor,
    ConfigurationError,
    Crm,
    NotFound,
    PermissionDenied,
    PluginError,
    ValidationError,
    timeline,
)

if TYPE_CHECKING:
    from conftest import PersonMaker


def _stored(crm: Crm, email_id: int) -> dict[str, object]:
    with crm.read() as conn:
        return dict(conn.execute(select(email).where(email.c.id == email_id)).one()._mapping)


def test_send_records_a_rendered_multipart_message_in_the_outbox(crm: Crm, person: int) -> None:
    with crm.transaction(SYSTEM) as tx:
        out = send(
            tx, EmailMessage(person, "newsletter", template="welcome", variables={"code": "<7>"})
        )
    assert out.status == "queued" and out.recipient == "ada@example.org"
    row = _stored(crm, out.id)
    assert row["message_id"] == out.message_id and str(out.message_id).endswith("@acme.example>")
    parsed = message_from_string(str(row["raw"]), policy=policy.default)
    assert parsed["Subject"] == "Welcome, Ada"
    assert parsed["Message-ID"] == out.message_id
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content().strip() == "Hello Ada Lovelace, your code is <7>."
    # HTML is escaped, text is not.
    assert "<b>&lt;7&gt;</b>" in html.get_content()
    unsubscribe = parsed["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://crm.acme.example/p/channels/unsubscribe?token=")
    assert "<mailto:unsubscribe@acme.example?subject=unsubscribe%20" in unsubscribe
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https = unsubscribe.split(",")[0].strip("<>")
    assert f'<a href="{https}">Unsubscribe</a>' in html.get_content()


def test_a_transactional_email_needs_no_consent_and_has_no_unsubscribe_headers(
    crm: Crm, new_person: PersonMaker
) -> None:
    party = new_person()  # no consent at all
    message = EmailMessage(
        party,
        "orders",
        subject="Order {{ n }}",
        text="Thanks for order {{ n }}.",
        variables={"n": 42},
        transactional=True,
    )
    with crm.transaction(SYSTEM) as tx:
        out = send(tx, message)
    assert out.status == "queued" and out.subject == "Order 42"
    parsed = message_from_string(str(_stored(crm, out.id)["raw"]), policy=policy.default)
    assert parsed["List-Unsubscribe"] is None and parsed["List-Unsubscribe-Post"] is None
    assert parsed.get_content_type() == "text/plain"


def test_a_name_the_party_lacks_is_empty_in_templates_not_none(
    crm: Crm, new_person: PersonMaker
) -> None:
    party = new_person(
        "office@acme.example",
        kind="organisation",
        organisation_name="Acme GmbH",
        first_name=None,
        last_name=None,
    )
    message = EmailMessage(
        party,
        "orders",
        subject="For {{ party.first_name or party.name }}",
        text="Dear {{ party.first_name }}{{ party.last_name }}team",
        transactional=True,
    )
    with crm.transaction(SYSTEM) as tx:
        out = send(tx, message)
    assert out.subject == "For Acme GmbH"
    parsed = message_from_string(str(_stored(crm, out.id)["raw"]), policy=policy.default)
    assert parsed.get_content().strip() == "Dear team"


def test_the_outbox_row_is_rolled_back_with_the_callers_transaction(crm: Crm, person: int) -> None:
    with pytest.raises(RuntimeError), crm.transaction(SYSTEM) as tx:
        send(tx, EmailMessage(person, "newsletter", template="welcome", variables={"code": 1}))
        raise RuntimeError("the caller's own work failed")
    with crm.read() as conn:
        assert conn.execute(select(email.c.id)).all() == []


def test_without_consent_the_email_is_suppressed_and_the_timeline_says_so(
    crm: Crm, new_person: PersonMaker, give_consent: Callable[..., None]
) -> None:
    never_asked, withdrew = new_person(), new_person("bob@example.org", first_name="Bob")
    give_consent(withdrew, "granted")
    give_consent(withdrew, "withdrawn")
    give_consent(never_asked, "granted", purpose="other")
    with crm.transaction(SYSTEM) as tx:
        outs = [
            send(tx, EmailMessage(p, "newsletter", template="welcome", variables={"code": 1}))
            for p in (never_asked, withdrew)
        ]
    assert [o.status for o in outs] == ["suppressed", "suppressed"]
    with crm.read() as conn:
        [entry] = timeline(conn, withdrew).items
    assert (entry.channel, entry.outcome, entry.source) == ("email", "suppressed", "channels")
    assert "no consent to email for newsletter" in (entry.summary or "")


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (dict(template="nope"), "template"),
        (dict(template="welcome"), "text"),  # {{ code }} is undefined
        (
            dict(
                subject="Hi {{ name }}",
                text="x",
                variables={"name": "x\r\nBcc: all@victim.example"},
            ),
            "subject",
        ),
        (
            dict(
                subject="Hi {{ name }}", text="x", variables={"name": "x\nBcc: all@victim.example"}
            ),
            "subject",
        ),
        (dict(subject="{{ ''.__class__.__mro__ }}", text="x"), "subject"),
        (dict(subject="Hi", text=None), "subject"),
        (dict(template="welcome", subject="Hi", variables={"code": 1}), "template"),
        (dict(template="welcome", purpose="Not A Purpose", variables={"code": 1}), "purpose"),
        (dict(template="welcome", to="not an address", variables={"code": 1}), "to"),
        (dict(template="welcome", variables={"party": "spoofed"}), "variables"),
        (dict(template="welcome", variables={"code": object()}), "variables"),
        (
            dict(
                template="welcome", variables={"code": 1, "unsubscribe_url": "https://evil.example"}
            ),
            "variables",
        ),
    ],
)
def test_bad_messages_are_refused_naming_the_field_and_store_nothing(
    crm: Crm, person: int, message: dict[str, object], field: str
) -> None:
    values = {"purpose": "newsletter", **message}
    with pytest.raises(ValidationError) as refused, crm.transaction(SYSTEM) as tx:
        send(tx, EmailMessage(person, **values))  # type: ignore[arg-type]
    assert refused.value.field == field
    with crm.read() as conn:
        assert conn.execute(select(email.c.id)).all() == []


def test_a_party_without_an_address_or_that_does_not_exist_is_refused(
    crm: Crm, new_person: PersonMaker
) -> None:
    silent = new_person(None)
    message = EmailMessage(silent, "orders", subject="Hi", text="x", transactional=True)
    with pytest.raises(ValidationError) as refused, crm.transaction(SYSTEM) as tx:
        send(tx, message)
    assert refused.value.field == "party_id"
    with pytest.raises(NotFound), crm.transaction(SYSTEM) as tx:
        send(tx, EmailMessage(silent + 1000, "orders", subject="Hi", text="x", transactional=True))


def test_the_sender_must_be_allowed_to_see_the_party(crm: Crm, person: int) -> None:
    nobody = Actor(user_id=None, username="guest", role="nobody")
    with pytest.raises(PermissionDenied), crm.transaction(nobody) as tx:
        send(tx, EmailMessage(person, "newsletter", template="welcome", variables={"code": 1}))


@pytest.mark.parametrize(
    ("missing", "key"),
    [({"public_url": ""}, "public_url"), ({"link_secret": "short"}, "link_secret")],
)
def test_newsletters_need_unsubscribe_links_configured_transactional_mail_does_not(
    make_channels: Callable[..., Crm],
    consenting_person: Callable[[Crm], int],
    missing: dict[str, str],
    key: str,
) -> None:
    crm = make_channels(**missing)
    party = consenting_person(crm)
    with pytest.raises(ConfigurationError) as refused, crm.transaction(SYSTEM) as tx:
        send(tx, EmailMessage(party, "newsletter", template="welcome", variables={"code": 1}))
    assert refused.value.key == f"plugins.channels.{key}"
    with crm.transaction(SYSTEM) as tx:
        out = send(tx, EmailMessage(party, "orders", subject="Hi", text="x", transactional=True))
    assert out.status == "queued"


def test_a_template_that_does_not_parse_stops_the_crm_from_starting(
    make_channels: Callable[..., Crm],
) -> None:
    broken = [{"name": "bad", "subject": "Hi {{ party.name", "text": "x"}]
    with pytest.raises(PluginError) as refused:
        make_channels(templates=broken)
    assert "plugins.channels.templates[0].subject: not a valid template" in str(refused.value)


@pytest.mark.parametrize("port", [0, 65536])
def test_a_relay_port_out_of_range_stops_the_crm_from_starting(
    make_channels: Callable[..., Crm], port: int
) -> None:
    with pytest.raises(PluginError) as refused:
        make_channels(smtp={"host": "127.0.0.1", "port": port, "security": "none"})
    problem = f"plugins.channels.smtp.port: expected a port number from 1 to 65535, got {port}"
    assert problem in str(refused.value)


def test_without_a_from_address_nothing_is_sent(
    make_channels: Callable[..., Crm], consenting_person: Callable[[Crm], int]
) -> None:
    crm = make_channels(from_address="")
    party = consenting_person(crm)
    with pytest.raises(ConfigurationError) as refused, crm.transaction(SYSTEM) as tx:
        send(tx, EmailMessage(party, "orders", subject="Hi", text="x", transactional=True))
    assert refused.value.key == "plugins.channels.from_address"

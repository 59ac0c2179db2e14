"""Tracking: the open pixel, click redirects, bounces and complaints through mail-in, the suppression list."""

from __future__ import annotations

import re
import smtplib
import time
from collections.abc import Callable, Iterator
from email import message_from_string, policy
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from crmkit_channels import (
    EmailMessage,
    delivery_states,
    list_suppressions,
    remove_suppression,
    send,
)
from crmkit_channels.delivery import deliver_due
from crmkit_channels.inbound_tables import inbound_email
from crmkit_channels.mail_in import server
from crmkit_channels.tables import email
from crmkit_channels.tracking_tables import email_event, suppression
from sqlalchemy import select, update

from crmkit import (
    SYSTEM,
    Actor,
    Crm,
    PermissionDenied,
    ValidationError,
    erase_party,
    export_party,
    timeline,
)
from crmkit.testing import http_client, invoke

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "data" / "email" / "cpython_test_email"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/data is not here")
DOMAIN = "crm.acme.example"
BASE = "https://crm.acme.example"
LINKS = {
    "html": (
        '<html><body><p>Read <a href="https://acme.example/news?a=1&amp;b=2">the news</a>,'
        ' <a href="mailto:help@acme.example">write</a>,'
        ' <a href="{{ unsubscribe_url }}">unsubscribe</a>.</p></body></html>'
    ),
    "text": "Read https://acme.example/news?a=1&b=2. Leave: {{ unsubscribe_url }}",
}
NEWS = "https://acme.example/news?a=1&b=2"


@pytest.fixture
def app(make_channels: Callable[..., Crm]) -> Crm:
    return make_channels(mail_in={"domains": [DOMAIN], "vouched": True})


@pytest.fixture
def port(app: Crm, unused_port: int) -> Iterator[int]:
    controller = server(app, "127.0.0.1", unused_port)
    controller.start()
    yield unused_port
    controller.stop()


@pytest.fixture
def party(app: Crm, consenting_person: Callable[[Crm], int]) -> int:
    return consenting_person(app)


def newsletter_status(app: Crm, party_id: int) -> str:
    with app.transaction(SYSTEM) as tx:
        return send(tx, EmailMessage(party_id, "newsletter", subject="News", text="Hi")).status


def newsletter(app: Crm, party_id: int, **fields: Any) -> int:
    with app.transaction(SYSTEM) as tx:
        given = {"subject": "News", **LINKS, **fields}
        return send(tx, EmailMessage(party_id, "newsletter", **given)).id


def sent(app: Crm, party_id: int, **fields: Any) -> Any:
    """A newsletter handed to the relay: its outbox row."""
    email_id = newsletter(app, party_id, **fields)
    deliver_due(app)
    with app.read() as conn:
        row = conn.execute(select(email).where(email.c.id == email_id)).one()
    assert row.status == "sent"
    return row


def parts(row: Any) -> tuple[str, str]:
    message = message_from_string(row.raw, policy=policy.default)
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return text, html


def path_of(url: str) -> str:
    return url.removeprefix(BASE)


def events(app: Crm, email_id: int) -> list[tuple[str, str | None]]:
    with app.read() as conn:
        rows = conn.execute(
            select(email_event.c.kind, email_event.c.detail)
            .where(email_event.c.email_id == email_id)
            .order_by(email_event.c.id)
        )
        return [(r.kind, r.detail) for r in rows]


def outcomes(app: Crm, party_id: int) -> list[str | None]:
    with app.read() as conn:
        return [i.outcome for i in reversed(timeline(conn, party_id).items)]


def test_links_are_signed_redirects_and_the_html_carries_the_pixel(app: Crm, party: int) -> None:
    row = sent(app, party)
    text, html = parts(row)
    hrefs = [unescape(h) for h in re.findall(r'href="([^"]*)"', html)]
    assert hrefs[0].startswith(f"{BASE}/p/channels/click?t=")
    assert hrefs[1] == "mailto:help@acme.example"
    assert hrefs[2].startswith(f"{BASE}/p/channels/unsubscribe?token=")
    assert re.search(r'<img src="https://crm\.acme\.example/p/channels/open\?t=[^"]+"', html)
    assert html.index("<img") < html.index("</body>")
    found = re.search(r"Read (\S+)\. Leave: (\S+)", text)
    assert found is not None
    tracked, unsubscribe = found.groups()
    assert tracked.startswith(f"{BASE}/p/channels/click?t=")
    assert unsubscribe.startswith(f"{BASE}/p/channels/unsubscribe?token=")
    with http_client(app) as client:  # the full stop after the URL stayed out of it
        answer = client.get(path_of(tracked), follow_redirects=False)
    assert answer.headers["location"] == NEWS


def test_transactional_email_is_not_tracked(app: Crm, party: int) -> None:
    with app.transaction(SYSTEM) as tx:
        out = send(
            tx,
            EmailMessage(
                party,
                "orders",
                subject="Your order",
                text="See https://acme.example/orders/7",
                html='<p><a href="https://acme.example/orders/7">order</a></p>',
                transactional=True,
            ),
        )
    with app.read() as conn:
        raw = conn.execute(select(email.c.raw).where(email.c.id == out.id)).scalar_one()
    assert "/p/channels/" not in raw and "https://acme.example/orders/7" in raw


def test_an_email_of_secret_links_keeps_them_as_written_and_still_counts_opens(
    app: Crm, party: int
) -> None:
    row = sent(
        app,
        party,
        text="Your survey: https://crm.example/p/surveys/a/secret-token",
        html='<p><a href="https://crm.example/p/surveys/a/secret-token">answer</a></p></body>',
        track_clicks=False,
    )
    text, html = parts(row)
    assert "https://crm.example/p/surveys/a/secret-token" in text
    assert 'href="https://crm.example/p/surveys/a/secret-token"' in html
    assert "/p/channels/click" not in row.raw and "/p/channels/open" in html


def test_the_pixel_records_the_first_open_and_counts_the_others(app: Crm, party: int) -> None:
    row = sent(app, party)
    pixel = unescape(re.findall(r'<img src="([^"]+)"', parts(row)[1])[0])
    with http_client(app) as client:
        first = client.get(path_of(pixel))
        second = client.get(path_of(pixel))
    assert first.status_code == 200 and first.content.startswith(b"GIF89a")
    assert first.headers["content-type"] == "image/gif"
    assert first.headers["cache-control"] == "no-store"
    assert second.status_code == 200
    assert events(app, row.id) == [("open", None), ("open", None)]
    assert outcomes(app, party).count("open") == 1  # the timeline says it once
    with app.transaction(SYSTEM) as tx:
        state = delivery_states(tx, email_ids=[row.id]).messages[0]
    assert state.opens == 2 and state.first_opened_at is not None


def test_a_forged_or_altered_token_gets_404_and_records_nothing(app: Crm, party: int) -> None:
    row = sent(app, party)
    pixel = unescape(re.findall(r'<img src="([^"]+)"', parts(row)[1])[0])
    token = parse_qs(urlsplit(pixel).query)["t"][0]
    claim, signature = token.split(".")
    altered = f"{claim[:-2]}AA.{signature}"
    with http_client(app) as client:
        answers = [
            client.get(f"/p/channels/open?t={altered}"),
            client.get("/p/channels/open?t=garbage"),
            client.get("/p/channels/open"),
            # A valid open token is no click token: it names no URL to go to.
            client.get(f"/p/channels/click?t={token}", follow_redirects=False),
        ]
    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    assert events(app, row.id) == []


def test_a_click_is_recorded_and_redirected_to_the_signed_url_only(app: Crm, party: int) -> None:
    row = sent(app, party)
    link = unescape(re.findall(r'href="([^"]*)"', parts(row)[1])[0])
    token = parse_qs(urlsplit(link).query)["t"][0]
    claim, signature = token.split(".")
    with http_client(app) as client:
        click = client.get(path_of(link), follow_redirects=False)
        again = client.get(path_of(link), follow_redirects=False)
        # The same signature over another URL: no open redirect.
        elsewhere = client.get(
            f"/p/channels/click?t={claim}ZXZpbA.{signature}", follow_redirects=False
        )
    assert click.status_code == 302 and click.headers["location"] == NEWS
    assert again.status_code == 302
    assert elsewhere.status_code == 404
    assert events(app, row.id) == [("click", NEWS), ("click", NEWS)]
    assert outcomes(app, party).count("click") == 1
    with app.transaction(SYSTEM) as tx:
        states = delivery_states(tx, purpose="newsletter")
    assert states.messages[0].clicked_urls == (NEWS,)
    assert states.counts["clicked"] == 1 and states.counts["sent"] == 1


def returned(app: Crm, port: int, raw: bytes, sender: str = "") -> dict[str, Any]:
    """``raw`` handed to mail-in with the null reverse path a DSN has; the stored row once routed."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(sender, [f"bounces@{DOMAIN}"], raw)
    deadline = time.monotonic() + 10
    while True:
        with app.read() as conn:
            row = conn.execute(select(inbound_email).order_by(inbound_email.c.id.desc())).first()
        if row is not None and row.status in ("routed", "failed"):
            return dict(row._mapping)
        assert time.monotonic() < deadline, "not routed"
        time.sleep(0.02)


def sample(name: str) -> bytes:
    """A message of the corpus with the CRLF line ends SMTP carries."""
    return (CORPUS / name).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def with_message_id(app: Crm, email_id: int, message_id: str) -> None:
    """Give our email the Message-ID a sample bounce names (the sample returns someone else's)."""
    with app.transaction(SYSTEM) as tx:
        tx.conn.execute(update(email).where(email.c.id == email_id).values(message_id=message_id))


@needs_corpus
def test_a_real_dsn_marks_the_email_bounced_and_suppresses_the_address(
    app: Crm, port: int, party: int
) -> None:
    row = sent(app, party)
    with_message_id(app, row.id, "<edab.7804f5cb8070@python.org>")
    stored = returned(app, port, sample("msg_43.txt"))
    assert stored["status"] == "routed" and stored["claimed_by"] == "channels.tracking"
    assert stored["answers_email_id"] == row.id
    [(kind, detail)] = events(app, row.id)
    assert kind == "bounce" and detail is not None and detail.startswith("5.7.1")
    assert "bounce" in outcomes(app, party)
    with app.transaction(SYSTEM) as tx:
        states = delivery_states(tx, email_ids=[row.id])
        [entry] = list_suppressions(tx)
    assert states.messages[0].status == "bounced"
    assert states.counts["bounced"] == 1 and states.counts["delivered"] == 0
    assert (entry.address, entry.reason, entry.email_id) == ("ada@example.org", "bounce", row.id)
    # The next email to the address, transactional or not, is suppressed with the reason.
    later = newsletter(app, party)
    with app.transaction(SYSTEM) as tx:
        receipt = send(
            tx, EmailMessage(party, "orders", subject="Order", text="7", transactional=True)
        )
    assert receipt.status == "suppressed"
    with app.read() as conn:
        reasons = conn.execute(
            select(email.c.status, email.c.last_error).where(email.c.id.in_([later, receipt.id]))
        ).all()
    assert all(s == "suppressed" and "suppression list" in (r or "") for s, r in reasons)


@needs_corpus
def test_a_bounce_without_report_type_is_recognised_by_the_message_id_it_quotes(
    app: Crm, port: int, party: int
) -> None:
    row = sent(app, party)
    with_message_id(app, row.id, "<002001c144a6$8752e060$56104586@oxy.edu>")
    returned(app, port, sample("msg_16.txt"))
    assert [k for k, _ in events(app, row.id)] == ["bounce"]


def dsn(message_id: str, action: str, status: str) -> bytes:
    """A delivery status notification as RFC 3464 describes it, returning headers only."""
    boundary = "report-boundary"
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: news@acme.example
Subject: Delivery Status Notification
Message-ID: <dsn-{action}@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"

--{boundary}
Content-Type: text/plain

Your message to ada@example.org has not been delivered yet.

--{boundary}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; ada@example.org
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 452 {status} mailbox full

--{boundary}
Content-Type: text/rfc822-headers

From: Acme News <news@acme.example>
To: ada@example.org
Subject: News
Message-ID: {message_id}

--{boundary}--
""".replace("\n", "\r\n").encode()


def test_a_soft_bounce_is_noted_and_suppresses_nothing(app: Crm, port: int, party: int) -> None:
    row = sent(app, party)
    stored = returned(app, port, dsn(row.message_id, "delayed", "4.2.2"))
    assert stored["claimed_by"] == "channels.tracking"
    assert events(app, row.id) == [("soft_bounce", "4.2.2 452 4.2.2 mailbox full")]
    with app.transaction(SYSTEM) as tx:
        states = delivery_states(tx, email_ids=[row.id])
        assert list_suppressions(tx) == []
    assert states.messages[0].status == "sent" and states.counts["soft_bounced"] == 1


def test_a_delivered_dsn_or_one_about_mail_we_did_not_send_is_routed_as_mail(
    app: Crm, port: int, party: int
) -> None:
    row = sent(app, party)
    success = returned(app, port, dsn(row.message_id, "delivered", "2.0.0"))
    foreign = returned(app, port, dsn("<someone-else@example.net>", "failed", "5.1.1"))
    assert success["claimed_by"] is None and foreign["claimed_by"] is None
    assert events(app, row.id) == []


def arf(message_id: str) -> bytes:
    """A spam complaint as RFC 5965 describes it, the original message attached."""
    boundary = "arf-boundary"
    return f"""From: Feedback Loop <fbl@mailbox.example>
To: abuse@acme.example
Subject: FW: News
Message-ID: <complaint-1@mailbox.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="{boundary}"

--{boundary}
Content-Type: text/plain

This is an email abuse report for an email message received from IP 192.0.2.1.

--{boundary}
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Rcpt-To: <ada@example.org>

--{boundary}
Content-Type: message/rfc822

From: Acme News <news@acme.example>
To: ada@example.org
Subject: News
Message-ID: {message_id}

Read the news.

--{boundary}--
""".replace("\n", "\r\n").encode()


def test_a_complaint_suppresses_the_address(app: Crm, port: int, party: int) -> None:
    row = sent(app, party)
    returned(app, port, arf(row.message_id), sender="fbl@mailbox.example")
    assert events(app, row.id) == [("complaint", "feedback type abuse")]
    assert "complaint" in outcomes(app, party)
    with app.transaction(SYSTEM) as tx:
        states = delivery_states(tx, email_ids=[row.id])
        [entry] = list_suppressions(tx)
    assert states.counts["complained"] == 1 and entry.reason == "complaint"
    assert states.messages[0].status == "sent"  # it was delivered; the reader disliked it


def suppress_by_bounce(app: Crm, port: int, party: int) -> Any:
    row = sent(app, party)
    returned(app, port, dsn(row.message_id, "failed", "5.1.1"))
    return row


def test_an_admin_removes_an_entry_and_the_address_gets_email_again(
    app: Crm, port: int, party: int
) -> None:
    suppress_by_bounce(app, port, party)
    sales = Actor(user_id=None, username="bob", role="sales")
    with pytest.raises(PermissionDenied), app.transaction(sales) as tx:
        list_suppressions(tx)
    with app.transaction(SYSTEM) as tx:
        [entry] = list_suppressions(tx)
    with pytest.raises(PermissionDenied), app.transaction(sales) as tx:
        remove_suppression(tx, entry.id)
    with app.transaction(SYSTEM) as tx:
        remove_suppression(tx, entry.id)
        assert list_suppressions(tx) == []
    assert newsletter(app, party) and sent(app, party).status == "sent"


def test_a_queued_email_to_an_address_suppressed_since_is_not_handed_over(
    app: Crm, port: int, party: int, inbox: Any
) -> None:
    queued = newsletter(app, party)  # queued before the bounce, delivered after it
    with app.read() as conn:
        row = conn.execute(select(email).where(email.c.id == queued)).one()
    with app.transaction(SYSTEM) as tx:
        tx.conn.execute(update(email).where(email.c.id == queued).values(next_attempt_at=None))
    bounced = sent(app, party)
    returned(app, port, dsn(bounced.message_id, "failed", "5.1.1"))
    handed = len(inbox.messages)
    with app.transaction(SYSTEM) as tx:
        tx.conn.execute(
            update(email).where(email.c.id == queued).values(next_attempt_at=row.created_at)
        )
    deliver_due(app)
    assert len(inbox.messages) == handed
    with app.read() as conn:
        status, reason = conn.execute(
            select(email.c.status, email.c.last_error).where(email.c.id == queued)
        ).one()
    assert status == "suppressed" and "hard bounce (5.1.1" in reason


def test_erasure_keeps_only_the_hash_and_the_address_stays_suppressed(
    app: Crm, port: int, party: int, consenting_person: Callable[[Crm], int]
) -> None:
    row = suppress_by_bounce(app, port, party)
    with app.read() as conn:
        exported = export_party(conn, app.host, party)["channels"]
    assert [e["kind"] for e in exported["email_events"]] == ["bounce"]
    assert exported["suppressed_addresses"][0]["address"] == "ada@example.org"
    with app.transaction(SYSTEM) as tx:
        erase_party(tx, party)
    with app.read() as conn:
        kept = conn.execute(select(suppression.c.address, suppression.c.detail)).all()
        left = conn.execute(select(email_event).where(email_event.c.email_id == row.id)).all()
    assert [tuple(k) for k in kept] == [(None, None)] and left == []
    newcomer = consenting_person(app)  # the same address, under a new party
    assert newsletter_status(app, newcomer) == "suppressed"


def test_states_count_only_parties_the_actor_may_see_and_need_a_selection(
    app: Crm, party: int
) -> None:
    sent(app, party)
    # A salesperson sees the parties they own or of their territory: not this one.
    stranger = Actor(user_id=999, username="eve", role="sales")
    with app.transaction(SYSTEM) as tx:
        assert delivery_states(tx, purpose="newsletter").counts["messages"] == 1
        with pytest.raises(ValidationError) as refused:
            delivery_states(tx)
    assert refused.value.field == "email_ids"
    with app.transaction(stranger) as tx:
        states = delivery_states(tx, purpose="newsletter")
    assert states.messages == () and states.counts["messages"] == 0


def test_the_command_line_lists_and_removes_entries(app: Crm, port: int, party: int) -> None:
    suppress_by_bounce(app, port, party)
    listed = invoke(app, "channels", "suppression", "list")
    entry_id, address, reason, detail, _ = listed.output.strip().split("\t")
    assert (address, reason) == ("ada@example.org", "bounce") and detail.startswith("5.1.1")
    unknown = invoke(app, "channels", "suppression", "remove", "999")
    assert unknown.exit_code == 2 and "no suppression entry 999" in unknown.output
    assert invoke(app, "channels", "suppression", "remove", entry_id).exit_code == 0
    assert invoke(app, "channels", "suppression", "list").output == ""


def test_an_unsubscribe_by_the_link_counts_for_the_emails_sent_before_it(
    app: Crm, party: int
) -> None:
    row = sent(app, party)
    link = unescape(re.findall(r'href="([^"]*)"', parts(row)[1])[2])
    with app.transaction(SYSTEM) as tx:
        assert delivery_states(tx, email_ids=[row.id]).counts["unsubscribed"] == 0
    with http_client(app) as client:
        assert client.post(path_of(link), data={"List-Unsubscribe": "One-Click"}).is_success
    with app.transaction(SYSTEM) as tx:
        states = delivery_states(tx, email_ids=[row.id])
    assert states.messages[0].unsubscribed and states.counts["unsubscribed"] == 1


def test_the_public_routes_name_their_token_in_the_openapi_document(app: Crm) -> None:
    with http_client(app) as client:
        paths = client.get("/api/openapi.json").json()["paths"]

    for path, token in (
        ("/p/channels/open", "t"),
        ("/p/channels/click", "t"),
        ("/p/channels/unsubscribe", "token"),
    ):
        operation = next(op for op in paths[path].values() if "parameters" in op)
        named = {(p["name"], p["in"], p["required"]) for p in operation["parameters"]}
        assert (token, "query", True) in named, (path, named)
        assert operation["security"] == []

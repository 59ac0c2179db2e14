"""The message log, resending and stored templates over the JSON API, as users of different roles and records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from crmkit_channels import EmailMessage, send
from crmkit_channels.tables import email, sms
from sqlalchemy import insert, select, update

from crmkit import SYSTEM, Actor, Crm, build_party, create_party, hookimpl, record_consent, utcnow
from crmkit.core.tables import user as user_table
from crmkit.testing import http_client, register_plugin

EMAILS = "/p/channels/emails"


def add_user(crm: Crm, username: str, role: str) -> Actor:
    now = utcnow()
    with crm.transaction() as tx:
        user_id = tx.conn.execute(
            insert(user_table)
            .values(
                username=username,
                display_name=username.title(),
                email=f"{username}@example.com",
                role=role,
                territories=[],
                active=True,
                version=1,
                created_at=now,
                updated_at=now,
            )
            .returning(user_table.c.id)
        ).scalar_one()
    return Actor(user_id=user_id, username=username, role=role)


def add_customer(crm: Crm, owner: Actor, address: str) -> int:
    values = {
        "kind": "person",
        "first_name": "Ada",
        "last_name": owner.username,
        "emails": [address],
    }
    with crm.transaction() as tx:
        party = create_party(
            tx, build_party("customer", {**values, "owner_id": owner.user_id}, region="DE")
        )
        assert party.id is not None
        record_consent(tx, party.id, "newsletter", "email", "granted", source="test")
    return party.id


class World:
    def __init__(self, crm: Crm, make_crm: Callable[..., Crm]) -> None:
        self.crm, self.make_crm = crm, make_crm
        self.sam = add_user(crm, "sam", "sales")
        self.otto = add_user(crm, "otto", "sales")
        self.mia = add_user(crm, "mia", "marketing")
        self.rob = add_user(crm, "rob", "read-only")
        self.sams = add_customer(crm, self.sam, "ada@example.org")
        self.ottos = add_customer(crm, self.otto, "lin@example.org")

    def add_email(self, party_id: int, status: str = "queued", subject: str = "News") -> int:
        with self.crm.transaction(SYSTEM) as tx:
            sent = send(tx, EmailMessage(party_id, "newsletter", subject=subject, text="Hello."))
            tx.conn.execute(update(email).where(email.c.id == sent.id).values(status=status))
        return sent.id

    def client(self, actor: Actor) -> Any:
        class SignOn:
            @hookimpl
            def actor_from_request(self, app: Crm, request: Any) -> Actor:
                return actor

        app = self.make_crm(
            plugins=["channels", register_plugin(SignOn(), name="signon")],
            settings=self.crm.settings,
            create_tables=False,
        )
        return http_client(app)

    def rows(self, table: Any = email) -> list[dict[str, Any]]:
        with self.crm.read() as conn:
            return [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.id))]


@pytest.fixture
def world(crm: Crm, make_crm: Callable[..., Crm]) -> World:
    return World(crm, make_crm)


def test_the_log_shows_only_messages_of_visible_parties_newest_first_page_by_page(
    world: World,
) -> None:
    first, second = (
        world.add_email(world.sams, subject="One"),
        world.add_email(world.sams, subject="Two"),
    )
    world.add_email(world.ottos)

    with world.client(world.sam) as client:
        page = client.get(EMAILS, params={"limit": 1}).json()
        rest = client.get(EMAILS, params={"limit": 1, "cursor": page["next_cursor"]}).json()
        hidden = client.get(EMAILS, params={"party_id": world.ottos})
        hidden_one = client.get(f"{EMAILS}/{world.rows()[-1]['id']}")
        own = client.get(f"{EMAILS}/{first}").json()

    assert [e["id"] for e in page["items"] + rest["items"]] == [second, first]
    assert rest["next_cursor"] is None
    assert (own["subject"], own["status"], own["channel"]) == ("One", "queued", "email")
    assert "raw" not in own
    assert hidden.status_code == 404 and hidden_one.status_code == 404


def test_the_log_filters_by_status_and_refuses_what_it_does_not_know(world: World) -> None:
    world.add_email(world.sams)
    failed = world.add_email(world.sams, "failed")

    with world.client(world.sam) as client:
        found = client.get(EMAILS, params={"status": "failed", "party_id": world.sams}).json()
        bad_status = client.get(EMAILS, params={"status": "lost"})
        bad_party = client.get(EMAILS, params={"party_id": "x"})
        bad_limit = client.get(EMAILS, params={"limit": 0})

    assert [e["id"] for e in found["items"]] == [failed]
    for response, field in ((bad_status, "status"), (bad_party, "party_id"), (bad_limit, "limit")):
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field


def test_marketing_reads_no_message_log(world: World) -> None:
    world.add_email(world.sams)

    with world.client(world.mia) as client:
        assert client.get(EMAILS).status_code == 403


def test_a_failed_email_is_sent_again_once_as_a_new_email_linked_to_it(world: World) -> None:
    failed = world.add_email(world.sams, "failed")

    with world.client(world.sam) as client:
        again = client.post(f"{EMAILS}/{failed}/resend")
        twice = client.post(f"{EMAILS}/{failed}/resend", json={})

    assert again.status_code == 201, again.text
    assert twice.status_code == 409
    original, new = world.rows()
    assert (new["id"], new["status"], new["resent_from_id"]) == (
        again.json()["id"],
        "queued",
        failed,
    )
    assert (new["recipient"], new["subject"], new["created_by"]) == (
        original["recipient"],
        original["subject"],
        "sam",
    )
    assert new["message_id"] != original["message_id"]
    assert f"Message-ID: {new['message_id']}" in new["raw"]
    assert original["status"] == "failed"


def test_an_unknown_email_is_sent_again_only_when_a_duplicate_is_accepted(world: World) -> None:
    unknown = world.add_email(world.sams, "unknown")

    with world.client(world.sam) as client:
        refused = client.post(f"{EMAILS}/{unknown}/resend")
        wrong = client.post(f"{EMAILS}/{unknown}/resend", json={"confirm_duplicate": "yes"})
        stray = client.post(f"{EMAILS}/{unknown}/resend", json={"confirm": True})
        assert len(world.rows()) == 1
        confirmed = client.post(f"{EMAILS}/{unknown}/resend", json={"confirm_duplicate": True})

    for response, field in (
        (refused, "confirm_duplicate"),
        (wrong, "confirm_duplicate"),
        (stray, "confirm"),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field
    assert confirmed.status_code == 201, confirmed.text


def test_only_failed_or_unknown_messages_of_visible_parties_are_resent_by_whoever_may(
    world: World,
) -> None:
    sent = world.add_email(world.sams, "sent")
    ottos_failed = world.add_email(world.ottos, "failed")
    sams_failed = world.add_email(world.sams, "failed")

    with world.client(world.sam) as client:
        assert client.post(f"{EMAILS}/{sent}/resend").status_code == 409
        assert client.post(f"{EMAILS}/{ottos_failed}/resend").status_code == 404
        assert client.post(f"{EMAILS}/999999/resend").status_code == 404
    with world.client(world.rob) as client:
        assert client.post(f"{EMAILS}/{sams_failed}/resend").status_code == 403

    assert len(world.rows()) == 3


def test_a_resend_after_consent_was_withdrawn_is_suppressed(world: World) -> None:
    failed = world.add_email(world.sams, "failed")
    with world.crm.transaction(SYSTEM) as tx:
        record_consent(tx, world.sams, "newsletter", "email", "withdrawn", source="test")

    with world.client(world.sam) as client:
        again = client.post(f"{EMAILS}/{failed}/resend")

    assert again.status_code == 201
    assert again.json()["status"] == "suppressed"
    assert world.rows()[-1]["next_attempt_at"] is None


def test_a_failed_text_message_is_sent_again(world: World) -> None:
    with world.crm.transaction(SYSTEM) as tx:
        record_consent(tx, world.sams, "newsletter", "sms", "granted", source="test")
        sms_id = tx.conn.execute(
            insert(sms)
            .values(
                party_id=world.sams,
                purpose="newsletter",
                transactional=False,
                recipient="+4915112345678",
                body="Your code is 1234",
                encoding="GSM-7",
                segments=1,
                variables={},
                status="failed",
                attempts=3,
                created_by="system",
                created_at=utcnow(),
            )
            .returning(sms.c.id)
        ).scalar_one()

    with world.client(world.sam) as client:
        listed = client.get("/p/channels/sms", params={"status": "failed"}).json()
        again = client.post(f"/p/channels/sms/{sms_id}/resend")

    assert [m["id"] for m in listed["items"]] == [sms_id]
    assert again.status_code == 201, again.text
    new = world.rows(sms)[-1]
    assert (new["body"], new["status"], new["resent_from_id"]) == (
        "Your code is 1234",
        "queued",
        sms_id,
    )


TEMPLATES = "/p/channels/templates"
RECEIPT = {
    "name": "receipt",
    "channel": "email",
    "subject": "Receipt {{ number }}",
    "text": "Dear {{ party.name }}, thank you for order {{ number }}.",
    "html": "<p>Dear {{ party.name }}, <b>order {{ number }}</b></p>",
}


def test_a_stored_template_is_written_changed_with_versions_and_archived(world: World) -> None:
    admin = add_user(world.crm, "ann", "admin")
    with world.client(admin) as client:
        created = client.post(TEMPLATES, json=RECEIPT)
        template = created.json()
        url = f"{TEMPLATES}/{template['id']}"
        changed = client.put(url, json={**RECEIPT, "subject": "Your receipt", "version": 1})
        stale = client.put(url, json={**RECEIPT, "subject": "Lost", "version": 1})
        archived = client.post(f"{url}/archive", json={"version": 2})
        listed = client.get(TEMPLATES).json()
        everything = client.get(TEMPLATES, params={"include_archived": "true"}).json()

    assert created.status_code == 201, created.text
    assert (template["version"], template["source"]) == (1, "database")
    assert changed.json()["subject"] == "Your receipt" and changed.json()["version"] == 2
    assert stale.status_code == 409
    assert archived.json()["archived"] is True
    assert [(t["name"], t["source"]) for t in listed] == [("welcome", "settings")]
    assert [t["name"] for t in everything] == ["welcome", "receipt"]


def test_a_template_that_does_not_parse_is_refused_naming_its_field(world: World) -> None:
    admin = add_user(world.crm, "ann", "admin")
    with world.client(admin) as client:
        broken = client.post(TEMPLATES, json={**RECEIPT, "html": "<p>{% if x %}</p>"})
        no_text = client.post(TEMPLATES, json={**RECEIPT, "text": ""})
        settings_name = client.post(TEMPLATES, json={**RECEIPT, "name": "welcome"})
        sms_extra = client.post(
            TEMPLATES, json={"name": "c", "channel": "sms", "body": "x", "text": "y"}
        )
        twice = [client.post(TEMPLATES, json=RECEIPT).status_code for _ in range(2)]

    for response, field in (
        (broken, "html"),
        (no_text, "text"),
        (settings_name, "name"),
        (sms_extra, "text"),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field
    assert twice == [201, 409]


def test_only_writers_of_templates_write_them(world: World) -> None:
    with world.client(world.sam) as client:
        assert client.post(TEMPLATES, json=RECEIPT).status_code == 403
        assert client.get(TEMPLATES).status_code == 200
    with world.client(world.mia) as client:
        assert client.post(TEMPLATES, json=RECEIPT).status_code == 201


def test_a_stored_template_is_sent_and_previewed_for_a_visible_party_only(world: World) -> None:
    with world.client(world.mia) as client:
        client.post(TEMPLATES, json=RECEIPT)
        client.post(TEMPLATES, json={"name": "code", "channel": "sms", "body": "Code {{ c }} ✓"})
    with world.client(world.sam) as client:
        shown = client.post(
            f"{TEMPLATES}/preview",
            json={"name": "receipt", "party_id": world.sams, "variables": {"number": "<7>"}},
        )
        text = client.post(
            f"{TEMPLATES}/preview",
            json={"name": "code", "party_id": world.sams, "variables": {"c": 1}},
        )
        missing = client.post(
            f"{TEMPLATES}/preview", json={"name": "receipt", "party_id": world.sams}
        )
        hidden = client.post(
            f"{TEMPLATES}/preview",
            json={"name": "receipt", "party_id": world.ottos, "variables": {"number": 7}},
        )
    with world.crm.transaction(SYSTEM) as tx:
        sent = send(
            tx, EmailMessage(world.sams, "newsletter", template="receipt", variables={"number": 7})
        )

    assert shown.status_code == 200, shown.text
    assert shown.json()["subject"] == "Receipt <7>"
    assert shown.json()["html"] == "<p>Dear Ada sam, <b>order &lt;7&gt;</b></p>"
    assert (text.json()["body"], text.json()["encoding"], text.json()["segments"]) == (
        "Code 1 ✓",
        "UCS-2",
        1,
    )
    assert (missing.status_code, missing.json()["field"]) == (422, "subject")
    assert hidden.status_code == 404
    assert sent.subject == "Receipt 7"


def test_the_party_page_links_to_its_messages_where_unknown_ones_are_resent_after_confirming(
    world: World,
) -> None:
    unknown = world.add_email(world.sams, "unknown", subject="Invoice <b>7</b>")
    page = f"/p/channels/parties/{world.sams}/messages"

    with world.client(world.sam) as client:
        party = client.get(f"/parties/{world.sams}")
        shown = client.get(page)
        hidden = client.get(f"/p/channels/parties/{world.ottos}/messages")
        unconfirmed = client.post(f"/p/channels/emails/{unknown}/resend-form", data={})
        confirmed = client.post(
            f"/p/channels/emails/{unknown}/resend-form",
            data={"confirm_duplicate": "yes"},
            follow_redirects=False,
        )

    assert page in party.text
    assert shown.status_code == 200
    assert "Invoice &lt;b&gt;7&lt;/b&gt;" in shown.text and "may have arrived already" in shown.text
    assert hidden.status_code == 404
    assert unconfirmed.status_code == 422 and "confirm_duplicate" in unconfirmed.text
    assert (confirmed.status_code, confirmed.headers["location"]) == (303, page)
    assert [r["resent_from_id"] for r in world.rows()] == [None, unknown]

"""The message log, resending and stored templates over the JSON API and the pages, as users of different roles and records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from crmkit_channels import EmailMessage, send
from crmkit_channels.tables import email, sms
from sqlalchemy import insert, select, update

from crmkit import (
    SYSTEM,
    Actor,
    Crm,
    build_party,
    create_party,
    record_consent,
    user_table,
    utcnow,
)

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
    def __init__(
        self,
        crm: Crm,
        client_as: Callable[[Actor], Any],
        failed_sms: Callable[..., int],
    ) -> None:
        self.crm, self.client_as, self.failed_sms = crm, client_as, failed_sms
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
        return self.client_as(actor)

    def rows(self, table: Any = email) -> list[dict[str, Any]]:
        with self.crm.read() as conn:
            return [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.id))]


@pytest.fixture
def world(crm: Crm, client_as: Callable[[Actor], Any], failed_sms: Callable[..., int]) -> World:
    return World(crm, client_as, failed_sms)


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
        logged = client.get(f"{EMAILS}/{failed}").json()

    assert again.status_code == 201, again.text
    assert twice.status_code == 409
    assert (logged["resent_as_id"], logged["resent_from_id"]) == (again.json()["id"], None)
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


def test_a_resend_of_a_hidden_partys_message_answers_as_reading_it_does(world: World) -> None:
    ottos_email = world.add_email(world.ottos, "failed")
    ottos_sms = world.failed_sms(world.ottos)

    with world.client(world.sam) as client:
        for path in (f"{EMAILS}/{ottos_email}", f"/p/channels/sms/{ottos_sms}"):
            read = client.get(path)
            resent = client.post(f"{path}/resend")
            assert (resent.status_code, resent.json()) == (read.status_code, read.json())
            assert str(world.ottos) not in resent.text
    assert len(world.rows()) == 1 and len(world.rows(sms)) == 1


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
    sms_id = world.failed_sms(world.sams, body="Your code is 1234")

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
    assert "is at version 2, not 1: ann changed it last, at 20" in stale.json()["detail"]
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
        not_an_object, with_party = (
            client.post(
                f"{TEMPLATES}/preview",
                json={"name": "receipt", "party_id": world.sams, "variables": given},
            )
            for given in ([], {"party": "spoofed"})
        )
    with world.crm.transaction(SYSTEM) as tx:
        sent = send(
            tx, EmailMessage(world.sams, "newsletter", template="receipt", variables={"number": 7})
        )

    assert shown.status_code == 200, shown.text
    assert (not_an_object.status_code, not_an_object.json()["detail"]) == (
        422,
        "variables: expected an object",
    )
    assert with_party.status_code == 422 and "without the key party" in with_party.text
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


LOG = "/p/channels/message-log"
LIBRARY = "/p/channels/template-library"


def test_the_message_log_shows_a_channel_of_visible_parties_by_state_and_resends_back_to_itself(
    world: World,
) -> None:
    failed = world.add_email(world.sams, "failed", subject="Offer <i>A</i>")
    other = world.add_email(world.sams, "failed", subject="Offer B")
    world.add_email(world.sams, "sent", subject="Sent one")
    world.add_email(world.ottos, "failed", subject="Otto's offer")
    page = f"{LOG}?channel=email&status=failed"

    with world.client(world.sam) as client:
        everything = client.get(LOG)
        only_failed = client.get(page)
        unknown_state = client.get(LOG, params={"status": "lost"})
        resent = client.post(
            f"/p/channels/emails/{failed}/resend-form",
            data={"back": page},
            follow_redirects=False,
        )
        after = client.get(page)
        again = client.post(f"/p/channels/emails/{failed}/resend-form", data={"back": page})
        elsewhere = client.post(
            f"/p/channels/emails/{other}/resend-form",
            data={"back": "https://evil.example/"},
            follow_redirects=False,
        )
        menu = client.get("/").text
    with world.client(world.mia) as client:
        refused = client.get(LOG)

    assert "Offer &lt;i&gt;A&lt;/i&gt;" in everything.text and "Sent one" in everything.text
    assert "Otto&#39;s offer" not in everything.text and "Otto's offer" not in everything.text
    assert f"/p/channels/parties/{world.sams}/messages" in everything.text
    assert "Offer &lt;i&gt;A&lt;/i&gt;" in only_failed.text and "Sent one" not in only_failed.text
    assert unknown_state.status_code == 422 and "status" in unknown_state.text
    assert (resent.status_code, resent.headers["location"]) == (303, page)
    assert f"/p/channels/emails/{failed}/resend-form" not in after.text, "resent already"
    (new,) = [r["id"] for r in world.rows() if r["resent_from_id"] == failed]
    assert f"(resent as {new})" in after.text
    assert f"/p/channels/emails/{other}/resend-form" in after.text
    assert again.status_code == 409 and "sent again already" in again.text
    assert elsewhere.headers["location"] == f"/p/channels/parties/{world.sams}/messages"
    assert LOG in menu and LIBRARY in menu
    assert refused.status_code == 403


def test_a_template_is_written_previewed_with_unsaved_texts_changed_and_archived_on_its_pages(
    world: World,
) -> None:
    form = {
        "channel": "email",
        "name": "offer",
        "subject": "Offer {{ n }}",
        "text": "Hi {{ party.first_name }}",
    }
    with world.client(world.mia) as client:
        broken = client.post(f"{LIBRARY}/new", data={**form, "html": "<p>{% if x %}"})
        created = client.post(f"{LIBRARY}/new", data=form, follow_redirects=False)
        url = created.headers["location"]
        shown = client.get(url)
        previewed = client.post(
            f"{url}/preview",
            data={
                **form,
                "subject": "Unsaved {{ n }}",
                "party_id": str(world.sams),
                "variables": '{"n": 7}',
            },
        )
        bad_variables = client.post(
            f"{url}/preview", data={**form, "party_id": str(world.sams), "variables": "[1]"}
        )
        saved = client.post(url, data={**form, "subject": "Offer {{ n }}!", "version": "1"})
        stale = client.post(url, data={**form, "version": "1"})
        archived = client.post(url, data={"archive": "yes", "version": "2"}, follow_redirects=False)
        listed = client.get(LIBRARY).text
        with_archived = client.get(LIBRARY, params={"archived": "yes"}).text

    assert broken.status_code == 422 and 'aria-invalid="true"' in broken.text
    assert "not a valid template" in broken.text
    assert created.status_code == 303 and url.startswith(f"{LIBRARY}/")
    assert "Save a new version" in shown.text
    assert previewed.status_code == 200, previewed.text
    assert "Unsaved 7" in previewed.text and "Hi Ada" in previewed.text
    assert bad_variables.status_code == 422 and "JSON object" in bad_variables.text
    assert saved.status_code == 200 and "Version 2" in saved.text
    assert stale.status_code == 409 and "mia changed it last, at 20" in stale.text
    assert archived.status_code == 303
    assert ">offer<" not in listed and ">offer<" in with_archived
    with world.crm.read() as conn:
        from crmkit_channels.stored_templates import get_template

        stored = get_template(conn, int(url.rsplit("/", 1)[1]))
    assert (stored.subject, stored.version, stored.archived) == ("Offer {{ n }}!", 3, True)


def test_readers_see_templates_read_only_and_preview_the_saved_or_the_settings_ones(
    world: World,
) -> None:
    with world.client(world.mia) as client:
        client.post(
            f"{LIBRARY}/new", data={"channel": "sms", "name": "code", "body": "Code {{ c }}"}
        )
        url = next(
            f"{LIBRARY}/{t['id']}" for t in client.get(TEMPLATES).json() if t["name"] == "code"
        )
    with world.client(world.sam) as client:
        page = client.get(url)
        refused = client.post(url, data={"name": "x", "body": "y", "version": "1"})
        text = client.post(
            f"{url}/preview", data={"party_id": str(world.sams), "variables": '{"c": 4}'}
        )
        settings_page = client.get(f"{LIBRARY}/settings", params={"name": "welcome"})
        settings_preview = client.post(
            f"{LIBRARY}/settings/preview",
            data={"name": "welcome", "party_id": str(world.sams), "variables": '{"code": "X1"}'},
        )
        hidden_party = client.post(
            f"{url}/preview", data={"party_id": str(world.ottos), "variables": '{"c": 4}'}
        )
        new_form = client.get(f"{LIBRARY}/new")

    assert page.status_code == 200 and "<fieldset disabled>" in page.text
    assert "Save a new version" not in page.text
    assert refused.status_code == 403
    assert text.status_code == 200 and "Code 4" in text.text and "1 segment (GSM-7)" in text.text
    assert settings_page.status_code == 200 and "defined in the settings" in settings_page.text
    assert settings_preview.status_code == 200, settings_preview.text
    assert (
        "your code is X1" in settings_preview.text
        and 'sandbox title="HTML preview"' in settings_preview.text
    )
    assert (
        hidden_party.status_code == 422
        and f"party {world.ottos} does not exist" in hidden_party.text
    )
    assert new_form.status_code == 403


def test_the_openapi_document_requires_only_what_the_routes_require(world: World) -> None:
    with world.client(world.sam) as client:
        document = client.get("/api/openapi.json").json()

    schemas, paths = document["components"]["schemas"], document["paths"]
    required = {
        name: schemas[name].get("required", [])
        for name in ("TemplateInput", "TemplateChange", "PreviewInput", "ResendInput")
    }
    assert required == {
        "TemplateInput": ["name", "channel"],
        "TemplateChange": ["version", "name"],
        "PreviewInput": ["name", "party_id"],
        "ResendInput": [],
    }
    public = [
        op
        for path, items in paths.items()
        if path.startswith("/p/channels/")
        for op in items.values()
        if op.get("security") == []
    ]
    assert len(public) == 6
    for op in public:
        assert not op["summary"].startswith("Signed requests to"), op["summary"]
        assert "409" not in op["responses"], op["summary"]

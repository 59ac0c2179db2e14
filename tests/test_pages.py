"""The UI's pages and forms: search, lists, the 360-degree page, creating, editing, logging."""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, select

from crmkit import Actor, PluginInfo, hookimpl
from crmkit.app import Crm
from crmkit.core.consent import record_consent
from crmkit.core.entities import User
from crmkit.core.parties import build_party, create_party, get_party
from crmkit.core.tables import interaction
from crmkit.core.users import create_user
from crmkit.testing import http_client, register_plugin
from crmkit.web.pages import age

ADMIN = Actor(user_id=None, username="tester", role="admin")


def plugin(name: str, **hooks: Callable[..., Any]) -> PluginInfo:
    return register_plugin(
        types.SimpleNamespace(**{hook: hookimpl(f) for hook, f in hooks.items()}), name=name
    )


def login(actor: Actor = ADMIN, csrf_token: str | None = None) -> PluginInfo:
    def actor_from_request(app: Crm, request: Any) -> Actor:
        if csrf_token:
            request.state.csrf_token = csrf_token
        return actor

    return plugin("signon", actor_from_request=actor_from_request)


def add_party(crm: Crm, role: str = "customer", **data: Any) -> int:
    with crm.transaction() as tx:
        entity = create_party(tx, build_party(role, data, region="DE"))
    assert entity.id is not None
    return entity.id


def form_value(html: str, name: str) -> str:
    """The value an input or text area of the form shows."""
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'name="{name}"[^>]*>([^<]*)</textarea>', html
    )
    assert found, name
    return found[1]


def test_new_prospect_form_creates_it_and_shows_its_page(make_crm):
    crm = make_crm([login()])
    client = http_client(crm)
    assert 'name="status"' in client.get("/parties/new?role=prospect").text

    answer = client.post(
        "/parties/new",
        data={
            "role": "prospect",
            "kind": "person",
            "first_name": "Jana",
            "last_name": "Weber",
            "emails": "jana@example.com\n",
            "phones": "030 1234567\n+49 40 5550001",
            "status": "working",
            "source": "trade fair",
        },
        follow_redirects=False,
    )

    assert answer.status_code == 303
    party_id = int(answer.headers["location"].rsplit("/", 1)[1])
    with crm.read() as conn:
        saved = get_party(conn, party_id)
    assert saved.role == "prospect" and saved.status == "working"
    assert [p.e164 for p in saved.phones] == ["+49301234567", "+49405550001"]
    assert "Jana Weber" in client.get(answer.headers["location"]).text


def test_invalid_form_comes_back_with_the_field_named_and_nothing_saved(make_crm):
    crm = make_crm([login()])
    client = http_client(crm)

    answer = client.post(
        "/parties/new",
        data={"role": "customer", "last_name": "Weber", "emails": "jana@", "phones": ""},
    )

    assert answer.status_code == 422
    assert "Not saved: emails[0]" in answer.text
    assert 'aria-invalid="true" aria-describedby="emails-error"' in answer.text
    assert form_value(answer.text, "last_name") == "Weber"
    assert form_value(answer.text, "emails") == "jana@"
    assert "No customers" in client.get("/customers").text


def test_stale_edit_gets_a_conflict_message_and_keeps_what_was_typed(make_crm):
    crm = make_crm([login()])
    party_id = add_party(crm, first_name="Jana", last_name="Weber")
    client = http_client(crm)
    opened = client.get(f"/parties/{party_id}/edit").text
    assert form_value(opened, "version") == "1"
    client.post(
        f"/parties/{party_id}/edit",
        data={"version": "1", "first_name": "Jana", "last_name": "Weber-Hahn"},
    )

    stale = client.post(
        f"/parties/{party_id}/edit",
        data={"version": "1", "first_name": "Johanna", "last_name": "Weber"},
    )

    assert stale.status_code == 409
    assert "Someone else changed this customer" in stale.text
    assert "Weber-Hahn" in stale.text  # what was saved meanwhile
    assert form_value(stale.text, "first_name") == "Johanna"
    assert form_value(stale.text, "version") == "2"
    with crm.read() as conn:
        assert get_party(conn, party_id).display_name == "Jana Weber-Hahn"


def test_logged_interaction_appears_on_the_timeline(make_crm):
    crm = make_crm([login()])
    party_id = add_party(crm, last_name="Weber")
    client = http_client(crm)

    answer = client.post(
        f"/parties/{party_id}/interactions/new",
        data={
            "channel": "meeting",
            "direction": "outbound",
            "occurred_at": "2026-03-01T09:30",
            "subject": "Visited the shop",
            "summary": "",
            "outcome": "",
        },
    )

    assert answer.status_code == 200
    timeline = answer.text.split('id="timeline"', 1)[1]
    assert "Visited the shop" in timeline and "2026-03-01 09:30 UTC" in timeline


def test_invalid_interaction_keeps_the_form_and_logs_nothing(make_crm):
    crm = make_crm([login()])
    party_id = add_party(crm, last_name="Weber")
    client = http_client(crm)

    answer = client.post(
        f"/parties/{party_id}/interactions/new",
        data={"channel": "phone", "direction": "sideways", "subject": "Rang"},
    )

    assert answer.status_code == 422
    assert "Not saved: direction" in answer.text
    assert form_value(answer.text, "subject") == "Rang"
    with crm.read() as conn:
        assert conn.execute(select(interaction.c.id)).first() is None


def test_read_only_actor_sees_no_forms_and_may_not_post(make_crm):
    crm = make_crm([login(Actor(user_id=None, username="reader", role="read-only"))])
    party_id = add_party(crm, last_name="Weber")
    client = http_client(crm)

    page = client.get(f"/parties/{party_id}").text

    assert "/edit" not in page and "Log an interaction" not in page
    assert client.get(f"/parties/{party_id}/edit").status_code == 403
    assert client.get(f"/parties/{party_id}/interactions/new").status_code == 403
    assert client.post("/parties/new", data={"last_name": "X"}).status_code == 403
    edited = client.post(f"/parties/{party_id}/edit", data={"last_name": "X", "version": "1"})
    assert edited.status_code == 403
    denied = client.post(
        f"/parties/{party_id}/interactions/new", data={"channel": "phone", "direction": "inbound"}
    )
    assert denied.status_code == 403


def test_prospect_list_shows_source_status_age_and_owner(make_crm):
    crm = make_crm([login()])
    with crm.transaction() as tx:
        owner = create_user(tx, User(username="olga", display_name="Olga Owner", role="sales"))
    add_party(
        crm, "prospect", last_name="Weber", source="web form", status="qualified", owner_id=owner.id
    )

    row = http_client(crm).get("/prospects").text.split("<tbody>", 1)[1]

    for shown in ("Weber", "web form", "qualified", "Olga Owner", "today"):
        assert shown in row


def test_age_reads_like_a_person_would_say_it():
    now = datetime(2026, 6, 1, tzinfo=UTC)

    assert age(now - timedelta(hours=3), now) == "today"
    assert age(now - timedelta(days=1), now) == "1 day"
    assert age(now - timedelta(days=45), now) == "45 days"
    assert age(now - timedelta(days=200), now) == "6 months"
    assert age(now - timedelta(days=800), now) == "2 years"


def test_header_search_finds_by_phone_and_hides_what_the_actor_may_not_see(make_crm):
    def permission_filter(actor: Actor, entity_type: str, table: Table) -> Any:
        if entity_type in ("customer", "prospect"):
            return table.c.display_name != "Hidden Weber"
        return None

    crm = make_crm([login(), plugin("territory", permission_filter=permission_filter)])
    add_party(crm, last_name="Weber", phones=["+49 30 1234567"])
    add_party(crm, "prospect", last_name="Meyer", phones=["+49 30 1234599"])
    add_party(crm, first_name="Hidden", last_name="Weber", phones=["+49 30 1234500"])
    add_party(crm, last_name="Schulz", phones=["+49 89 5550002"])
    client = http_client(crm)

    page = client.get("/search", params={"q": "030 12345"}).text

    customers, prospects = page.split('data-role="customer"')[1].split('data-role="prospect"')
    assert "Weber" in customers and "Hidden" not in customers and "Schulz" not in customers
    assert "Meyer" in prospects
    assert 'action="/search"' in client.get("/").text


def test_header_search_is_refused_to_a_role_that_may_not_read_parties(make_crm):
    crm = make_crm([login(Actor(user_id=None, username="guest", role="guest"))])
    add_party(crm, last_name="Weber")

    assert http_client(crm).get("/search", params={"q": "Weber"}).status_code == 403


def test_forms_carry_the_sessions_csrf_token(make_crm):
    crm = make_crm([login(csrf_token="tok-123")])
    party_id = add_party(crm, last_name="Weber")
    client = http_client(crm)

    for path in (f"/parties/{party_id}", f"/parties/{party_id}/edit", "/parties/new"):
        page = client.get(path).text
        forms = re.findall(r'<form[^>]*method="post".*?</form>', page, re.S)
        assert forms, path
        for form in forms:
            assert '<input type="hidden" name="csrf_token" value="tok-123">' in form, path


def test_party_page_shows_consent_in_force_and_who_changed_what(make_crm):
    crm = make_crm([login()])
    party_id = add_party(crm, first_name="Jana", last_name="Weber")
    with crm.transaction() as tx:
        record_consent(tx, party_id, "newsletter", "email", "granted", source="web form")
        record_consent(tx, party_id, "newsletter", "email", "withdrawn", source="phone call")
    client = http_client(crm)
    client.post(
        f"/parties/{party_id}/edit",
        data={"version": "1", "first_name": "Jana", "last_name": "Weber-Hahn"},
    )

    page = client.get(f"/parties/{party_id}").text

    consent = page.split("<h2>Consent</h2>", 1)[1].split("</ul>", 1)[0]
    assert "newsletter" in consent and "withdrawn" in consent and "granted" not in consent
    history = page.split('id="history"', 1)[1]
    assert "tester · <strong>updated</strong>" in history
    assert "<del>Weber</del> → <ins>Weber-Hahn</ins>" in history


def test_party_page_hides_the_history_from_who_may_not_read_the_audit_trail(make_crm):
    def permission_check(actor: Actor, action: str, resource: Any) -> bool | None:
        return False if action == "core:audit.read" else None

    crm = make_crm([login(), plugin("no_audit", permission_check=permission_check)])
    party_id = add_party(crm, last_name="Weber")

    page = http_client(crm).get(f"/parties/{party_id}")

    assert page.status_code == 200
    assert 'id="history"' not in page.text


def test_party_page_shows_no_timeline_to_who_may_not_read_interactions(make_crm):
    crm = make_crm([login(Actor(user_id=None, username="max", role="marketing"))])
    party_id = add_party(crm, last_name="Weber")

    page = http_client(crm).get(f"/parties/{party_id}")

    assert page.status_code == 200 and "Weber" in page.text
    assert 'id="timeline"' not in page.text

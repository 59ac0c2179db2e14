"""Notifications: sent to one user, announced for channel plugins, read only by that user."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from crmkit import ValidationError, notify
from crmkit.app import Crm
from crmkit.core.notifications import get_notification, unread_count
from crmkit.core.tables import outbox
from tests.test_tasks import add_user, client_as


def note_for(crm: Crm, user_id: int | None, title: str = "Hello", **options: Any) -> int:
    assert user_id is not None
    with crm.transaction() as tx:
        return notify(tx, user_id, title, **options)


def test_notification_is_stored_unread_and_announced_for_channel_plugins(crm):
    ann = add_user(crm, "ann")

    note_id = note_for(
        crm,
        ann.user_id,
        "Quote accepted",
        body="Roth said yes",
        link="/parties/1",
        kind="sfa.alert",
    )

    with crm.read() as conn:
        note = get_notification(conn, note_id)
        events = conn.execute(
            select(outbox.c.payload).where(outbox.c.event_type == "core.notification_created")
        ).all()
        unread = unread_count(conn, ann.user_id or 0)
    assert (note.title, note.body, note.link, note.kind) == (
        "Quote accepted",
        "Roth said yes",
        "/parties/1",
        "sfa.alert",
    )
    assert note.read_at is None and unread == 1
    assert events[0].payload == {
        "id": note_id,
        "user_id": ann.user_id,
        "kind": "sfa.alert",
        "title": "Quote accepted",
        "body": "Roth said yes",
        "link": "/parties/1",
        "source": "core",
    }


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"title": ""}, "title"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"kind": "Not A Kind"}, "kind"),
        ({"user_id": 999}, "user_id"),
        ({"body": 42}, "body"),
    ],
)
def test_bad_notification_is_refused_naming_the_field(crm, options, field):
    ann = add_user(crm, "ann")
    arguments: dict[str, Any] = {"user_id": ann.user_id, "title": "Hello", **options}
    user_id, title = arguments.pop("user_id"), arguments.pop("title")

    with pytest.raises(ValidationError) as raised, crm.transaction() as tx:
        notify(tx, user_id, title, **arguments)

    assert raised.value.field == field


def test_user_lists_their_notifications_and_marks_one_read(make_crm):
    crm = make_crm()
    ann, bob = add_user(crm, "ann"), add_user(crm, "bob")
    first, second = note_for(crm, ann.user_id, "First"), note_for(crm, ann.user_id, "Second")
    note_for(crm, bob.user_id, "For Bob")
    client = client_as(make_crm, ann)

    read = client.post(f"/api/v1/notifications/{first}/read")
    again = client.post(f"/api/v1/notifications/{first}/read")
    everything = client.get("/api/v1/notifications").json()["items"]
    unread = client.get("/api/v1/notifications", params={"unread": "true"}).json()["items"]

    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert again.json()["read_at"] == read.json()["read_at"]
    assert [n["title"] for n in everything] == ["Second", "First"]
    assert [n["id"] for n in unread] == [second]
    bad = client.get("/api/v1/notifications", params={"unread": "maybe"})
    assert bad.status_code == 422 and bad.json()["field"] == "unread"


@pytest.mark.parametrize("role", ["sales", "admin"])
def test_another_users_notification_cannot_be_seen_or_marked_read(make_crm, role):
    crm = make_crm()
    ann, eve = add_user(crm, "ann"), add_user(crm, "eve", role)
    note_id = note_for(crm, ann.user_id, "Private")
    client = client_as(make_crm, eve)

    response = client.post(f"/api/v1/notifications/{note_id}/read")

    assert response.status_code == 404
    assert client.get("/api/v1/notifications").json()["items"] == []
    with crm.read() as conn:
        assert get_notification(conn, note_id).read_at is None


def test_my_work_page_shows_notifications_and_marks_one_read(make_crm):
    crm = make_crm()
    ann = add_user(crm, "ann")
    note_id = note_for(crm, ann.user_id, "Prospect escalated", link="/prospects/7")
    note_for(crm, add_user(crm, "bob").user_id, "Not Ann's to count")
    client = client_as(make_crm, ann, csrf_token="tok-123")

    page = client.get("/work").text
    form = re.search(rf'action="/work/notifications/{note_id}/read".*?</form>', page, re.S)
    assert '<a href="/prospects/7">Prospect escalated</a>' in page and form is not None
    assert '<a class="unread" href="/work">1 unread</a>' in page
    assert 'value="tok-123"' in form[0]

    client.post(f"/work/notifications/{note_id}/read", data={"csrf_token": "tok-123"})

    after = client.get("/work").text
    assert f"/work/notifications/{note_id}/read" not in after and "unread</a>" not in after
    with crm.read() as conn:
        assert get_notification(conn, note_id).read_at is not None

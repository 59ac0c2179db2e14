"""Tasks: created by anyone for a user, seen and changed only by that user, version-checked."""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from crmkit import (
    SYSTEM,
    Actor,
    ConflictError,
    NotFound,
    ValidationError,
    create_task,
    hookimpl,
    is_allowed,
)
from crmkit.app import Crm
from crmkit.core.audit import history
from crmkit.core.entities import User
from crmkit.core.pagination import encode_cursor
from crmkit.core.parties import build_party, create_party, merge_parties
from crmkit.core.privacy import erase_party, export_party
from crmkit.core.tables import outbox
from crmkit.core.tasks import get_task, set_task_status
from crmkit.core.users import create_user
from crmkit.testing import http_client, register_plugin

PROBLEM = "application/problem+json"


def add_user(crm: Crm, username: str, role: str = "sales") -> Actor:
    with crm.transaction() as tx:
        created = create_user(tx, User(username=username, display_name=username.title(), role=role))
    assert created.id is not None
    return Actor(user_id=created.id, username=username, role=role)


def client_as(make_crm: Callable[..., Crm], actor: Actor, csrf_token: str | None = None) -> Any:
    def actor_from_request(app: Crm, request: Any) -> Actor:
        if csrf_token:
            request.state.csrf_token = csrf_token
        return actor

    signon = types.SimpleNamespace(actor_from_request=hookimpl(actor_from_request))
    return http_client(make_crm([register_plugin(signon, name="signon")]))


def task_for(crm: Crm, actor: Actor, title: str = "Call back", **options: Any) -> int:
    assert actor.user_id is not None
    with crm.transaction() as tx:
        return create_task(tx, actor.user_id, title, **options)


# --- The service


def test_created_task_is_open_at_version_one_and_announced(crm):
    ann = add_user(crm, "ann")
    due = datetime(2030, 1, 2, 9, 0, tzinfo=UTC)
    with crm.transaction() as tx:
        party_id = create_party(tx, build_party("prospect", {"last_name": "Roth"}, region="DE")).id
    task_id = task_for(crm, ann, "Call Roth", party_id=party_id, due_at=due, source="sfa")

    with crm.read() as conn:
        task = get_task(conn, task_id)
        events = conn.execute(
            select(outbox.c.payload).where(outbox.c.event_type == "core.task_created")
        ).all()
    assert (task.status, task.version, task.owner_id) == ("open", 1, ann.user_id)
    assert (task.party_id, task.due_at, task.source) == (party_id, due, "sfa")
    assert [e.payload["id"] for e in events] == [task_id]
    assert events[0].payload["due_at"] == due.isoformat()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"owner_id": 999}, "owner_id"),
        ({"party_id": 999}, "party_id"),
        ({"due_at": datetime(2030, 1, 2)}, "due_at"),
        ({"source": ""}, "source"),
    ],
)
def test_bad_task_is_refused_naming_the_field_and_nothing_is_stored(crm, options, field):
    ann = add_user(crm, "ann")
    arguments: dict[str, Any] = {"owner_id": ann.user_id, "title": "Call back", **options}
    owner, title = arguments.pop("owner_id"), arguments.pop("title")

    with pytest.raises(ValidationError) as raised, crm.transaction() as tx:
        create_task(tx, owner, title, **arguments)

    assert raised.value.field == field
    with crm.read() as conn:
        assert (
            conn.execute(select(outbox).where(outbox.c.event_type == "core.task_created")).first()
            is None
        )


def test_done_task_records_when_and_a_stale_version_conflicts(crm):
    ann = add_user(crm, "ann")
    task_id = task_for(crm, ann)

    with crm.transaction() as tx:
        done = set_task_status(tx, task_id, "done", 1)
    with pytest.raises(ConflictError), crm.transaction() as tx:
        set_task_status(tx, task_id, "cancelled", 1)
    with crm.transaction() as tx:
        reopened = set_task_status(tx, task_id, "open", 2)

    assert done.status == "done" and done.done_at is not None and done.version == 2
    assert reopened.status == "open" and reopened.done_at is None and reopened.version == 3


def task_events(crm: Crm) -> list[dict[str, Any]]:
    with crm.read() as conn:
        rows = conn.execute(
            select(outbox.c.payload)
            .where(outbox.c.event_type == "core.task_updated")
            .order_by(outbox.c.id)
        )
        return [row.payload for row in rows]


def test_completing_and_reopening_a_task_is_audited_and_announced(crm):
    ann = add_user(crm, "ann")
    task_id = task_for(crm, ann, "Call Roth")

    with crm.transaction(ann) as tx:
        done = set_task_status(tx, task_id, "done", 1)
    with crm.transaction(ann) as tx:
        set_task_status(tx, task_id, "open", 2)

    with crm.read() as conn:
        reopened, completed = history(conn, "task", task_id)
    assert (completed.action, completed.actor_id, completed.actor_name) == (
        "updated",
        ann.user_id,
        "ann",
    )
    assert completed.changes == {
        "status": ["open", "done"],
        "done_at": [None, done.done_at.isoformat()],
    }
    assert reopened.changes == {
        "status": ["done", "open"],
        "done_at": [done.done_at.isoformat(), None],
    }
    assert [(e["status"], e["previous_status"], e["version"]) for e in task_events(crm)] == [
        ("done", "open", 2),
        ("open", "done", 3),
    ]
    first = task_events(crm)[0]
    assert (first["id"], first["owner_id"], first["title"]) == (task_id, ann.user_id, "Call Roth")


@pytest.mark.parametrize("status", ["open", "done"])
def test_setting_the_status_a_task_has_changes_nothing(crm, status):
    ann = add_user(crm, "ann")
    task_id = task_for(crm, ann)
    with crm.transaction(ann) as tx:
        before = set_task_status(tx, task_id, status, 1)
    version = before.version

    with crm.transaction(ann) as tx:
        again = set_task_status(tx, task_id, status, version)

    with crm.read() as conn:
        assert get_task(conn, task_id) == again == before
        assert len(history(conn, "task", task_id)) == version - 1
    assert len(task_events(crm)) == version - 1


def test_setting_the_status_a_task_has_from_a_stale_version_is_a_conflict(crm):
    ann = add_user(crm, "ann")
    task_id = task_for(crm, ann)
    with crm.transaction(ann) as tx:
        set_task_status(tx, task_id, "done", 1)

    with pytest.raises(ConflictError), crm.transaction(ann) as tx:
        set_task_status(tx, task_id, "done", 1)

    with crm.read() as conn:
        assert get_task(conn, task_id).version == 2
        assert len(history(conn, "task", task_id)) == 1


@pytest.mark.parametrize(("status", "version"), [("later", 1), ("done", 7)])
def test_refused_status_change_leaves_no_audit_entry_and_no_event(crm, status, version):
    ann = add_user(crm, "ann")
    task_id = task_for(crm, ann)

    with pytest.raises((ValidationError, ConflictError)), crm.transaction(ann) as tx:
        set_task_status(tx, task_id, status, version)

    with crm.read() as conn:
        assert history(conn, "task", task_id) == []
        assert get_task(conn, task_id).status == "open"
    assert task_events(crm) == []


# --- The API


def test_user_lists_only_their_own_tasks_filtered_by_status(make_crm):
    crm = make_crm()
    ann, bob = add_user(crm, "ann"), add_user(crm, "bob")
    first, second = task_for(crm, ann, "First"), task_for(crm, ann, "Second")
    task_for(crm, bob, "Bob's")
    with crm.transaction() as tx:
        set_task_status(tx, first, "done", 1)
    client = client_as(make_crm, ann)

    everything = client.get("/api/v1/tasks").json()
    open_only = client.get("/api/v1/tasks", params={"status": "open"}).json()

    assert [t["title"] for t in everything["items"]] == ["Second", "First"]
    assert [t["id"] for t in open_only["items"]] == [second]
    assert client.get("/api/v1/tasks", params={"status": "later"}).json()["field"] == "status"


def test_tasks_page_through_with_a_cursor(make_crm):
    crm = make_crm()
    ann = add_user(crm, "ann")
    ids = [task_for(crm, ann, f"Task {i}") for i in range(3)]
    client = client_as(make_crm, ann)

    first = client.get("/api/v1/tasks", params={"limit": 2}).json()
    rest = client.get("/api/v1/tasks", params={"limit": 2, "cursor": first["next_cursor"]}).json()

    assert [t["id"] for t in first["items"] + rest["items"]] == ids[::-1]
    assert rest["next_cursor"] is None


def test_open_tasks_come_soonest_due_first_and_undated_last_page_by_page(make_crm):
    crm = make_crm()
    ann = add_user(crm, "ann")
    soon = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    later = soon + timedelta(days=1)
    undated_first = task_for(crm, ann, "Undated 1")
    at_later = task_for(crm, ann, "Later", due_at=later)
    at_soon_a = task_for(crm, ann, "Soon A", due_at=soon)
    undated_second = task_for(crm, ann, "Undated 2")
    at_soon_b = task_for(crm, ann, "Soon B", due_at=soon)
    finished = task_for(crm, ann, "Done already", due_at=soon - timedelta(days=1))
    with crm.transaction(ann) as tx:
        set_task_status(tx, finished, "done", 1)
    client = client_as(make_crm, ann)

    seen, cursor, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"status": "open", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/tasks", params=params).json()
        seen += [t["id"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == [at_soon_a, at_soon_b, at_later, undated_first, undated_second]
    assert pages == 3
    page = client.get("/work").text
    titles = ["Soon A", "Soon B", "Later", "Undated 1", "Undated 2"]
    assert [page.index(title) for title in titles] == sorted(page.index(t) for t in titles)
    assert "Done already" not in page


@pytest.mark.parametrize(
    "values",
    [["2030-01-01T09:00:00", 1], ["next week", 1], ["2030-01-01T09:00:00+00:00", "1"], [None]],
)
def test_open_tasks_refuse_a_cursor_the_server_did_not_issue(make_crm, values):
    crm = make_crm()
    ann = add_user(crm, "ann")
    task_for(crm, ann)
    client = client_as(make_crm, ann)

    response = client.get(
        "/api/v1/tasks", params={"status": "open", "cursor": encode_cursor(values)}
    )

    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert response.json()["field"] == "cursor"


def test_owner_completes_a_task_with_the_version_they_read(make_crm):
    crm = make_crm()
    ann = add_user(crm, "ann")
    task_id = task_for(crm, ann)
    client = client_as(make_crm, ann)

    done = client.patch(f"/api/v1/tasks/{task_id}", json={"status": "done", "version": 1})
    stale = client.patch(
        f"/api/v1/tasks/{task_id}", json={"status": "open"}, headers={"If-Match": '"1"'}
    )
    unversioned = client.patch(f"/api/v1/tasks/{task_id}", json={"status": "open"})

    assert done.status_code == 200 and done.json()["status"] == "done"
    assert done.headers["etag"] == '"2"'
    assert stale.status_code == 412
    assert unversioned.status_code == 428
    bad = client.patch(f"/api/v1/tasks/{task_id}", json={"status": "later", "version": 2})
    assert bad.status_code == 422 and bad.json()["field"] == "status"


def test_marking_a_done_task_done_again_answers_it_unchanged(make_crm):
    crm = make_crm()
    ann = add_user(crm, "ann")
    task_id = task_for(crm, ann)
    client = client_as(make_crm, ann)
    url = f"/api/v1/tasks/{task_id}"
    done = client.patch(url, json={"status": "done", "version": 1})

    again = client.patch(url, json={"status": "done"}, headers={"If-Match": '"2"'})
    stale = client.patch(url, json={"status": "done"}, headers={"If-Match": '"1"'})

    assert again.status_code == 200 and again.headers["etag"] == '"2"'
    assert again.json() == done.json()
    assert stale.status_code == 412 and stale.headers["content-type"] == PROBLEM
    assert [e["status"] for e in task_events(crm)] == ["done"]


@pytest.mark.parametrize("role", ["sales", "admin"])
def test_another_users_task_is_not_found_even_for_an_admin(make_crm, role):
    crm = make_crm()
    ann, eve = add_user(crm, "ann"), add_user(crm, "eve", role)
    task_id = task_for(crm, ann)
    client = client_as(make_crm, eve)

    response = client.patch(f"/api/v1/tasks/{task_id}", json={"status": "done", "version": 1})

    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
    assert client.get("/api/v1/tasks").json()["items"] == []
    with crm.read() as conn:
        assert get_task(conn, task_id).status == "open"


def test_the_system_actor_has_no_tasks_of_its_own_but_may_change_anybodys(make_crm):
    crm = make_crm()
    task_id = task_for(crm, add_user(crm, "ann"))
    client = client_as(make_crm, SYSTEM)

    assert client.get("/api/v1/tasks").status_code == 403
    assert client.get("/api/v1/notifications").status_code == 403
    # Jobs run as the system actor.
    with crm.read() as conn:
        assert is_allowed(crm.host, SYSTEM, "core:task.write", get_task(conn, task_id))


def test_read_only_user_sees_their_tasks_but_may_not_change_them(make_crm):
    crm = make_crm()
    rob = add_user(crm, "rob", "read-only")
    task_id = task_for(crm, rob)
    client = client_as(make_crm, rob)

    assert [t["id"] for t in client.get("/api/v1/tasks").json()["items"]] == [task_id]
    response = client.patch(f"/api/v1/tasks/{task_id}", json={"status": "done", "version": 1})
    assert response.status_code == 403


def test_task_operations_are_in_the_openapi_document(make_crm):
    crm = make_crm()
    client = client_as(make_crm, add_user(crm, "ann"))

    paths = client.get("/api/openapi.json").json()["paths"]

    assert {"get"} <= set(paths["/api/v1/tasks"])
    assert "patch" in paths["/api/v1/tasks/{task_id}"]
    body = paths["/api/v1/tasks/{task_id}"]["patch"]["requestBody"]
    assert body["content"]["application/json"]["schema"]


# --- The "My work" page


def test_my_work_page_lists_open_tasks_and_marks_one_done_with_the_csrf_token(make_crm):
    crm = make_crm()
    ann = add_user(crm, "ann")
    due = datetime.now(UTC) + timedelta(hours=2)
    task_id = task_for(crm, ann, "Call Roth", due_at=due)
    client = client_as(make_crm, ann, csrf_token="tok-123")

    page = client.get("/work").text
    form = re.search(rf'<form method="post" action="/work/tasks/{task_id}".*?</form>', page, re.S)
    assert "Call Roth" in page and form is not None
    assert 'name="csrf_token" value="tok-123"' in form[0]
    assert 'href="/work"' in page  # the menu entry

    refused = client.post(f"/work/tasks/{task_id}", data={"status": "done", "version": "1"})
    done = client.post(
        f"/work/tasks/{task_id}",
        data={"status": "done", "version": "1", "csrf_token": "tok-123"},
        follow_redirects=False,
    )

    assert refused.status_code == 403
    assert done.status_code == 303 and done.headers["location"] == "/work"
    assert "Call Roth" not in client.get("/work").text


# --- The party a task is about


def add_prospect(crm: Crm, name: str) -> int:
    with crm.transaction() as tx:
        party_id = create_party(tx, build_party("prospect", {"last_name": name}, region="DE")).id
    assert party_id is not None
    return party_id


def test_tasks_about_a_merged_party_move_to_the_survivor(crm):
    ann = add_user(crm, "ann")
    survivor, merged = add_prospect(crm, "Roth"), add_prospect(crm, "Rot")
    task_id = task_for(crm, ann, "Call Rot", party_id=merged)

    with crm.transaction() as tx:
        merge_parties(tx, survivor, merged)

    with crm.read() as conn:
        assert get_task(conn, task_id).party_id == survivor


def test_privacy_export_holds_the_tasks_about_the_party(crm):
    ann = add_user(crm, "ann")
    prospect = add_prospect(crm, "Roth")
    task_id = task_for(crm, ann, "Call Roth", party_id=prospect)

    with crm.read() as conn:
        document = export_party(conn, crm.host, prospect)

    assert [(t["id"], t["title"], t["status"]) for t in document["tasks"]] == [
        (task_id, "Call Roth", "open")
    ]


def test_erasing_a_party_erases_its_tasks_and_their_titles_in_past_events(crm):
    ann = add_user(crm, "ann")
    prospect = add_prospect(crm, "Roth")
    task_id = task_for(crm, ann, "Call Roth", party_id=prospect)
    kept = task_for(crm, ann, "Plan the week")

    with crm.transaction() as tx:
        erase_party(tx, prospect)

    with crm.read() as conn:
        payloads = dict(
            conn.execute(
                select(outbox.c.entity_id, outbox.c.payload).where(outbox.c.entity == "task")
            ).all()
        )
        with pytest.raises(NotFound):
            get_task(conn, task_id)
        assert get_task(conn, kept).title == "Plan the week"
    assert payloads[str(task_id)] == {"id": task_id}
    assert payloads[str(kept)]["title"] == "Plan the week"


def test_erasing_a_party_forgets_the_titles_in_its_tasks_status_changes_too(crm):
    ann = add_user(crm, "ann")
    prospect = add_prospect(crm, "Roth")
    task_id = task_for(crm, ann, "Call Roth", party_id=prospect)
    with crm.transaction(ann) as tx:
        set_task_status(tx, task_id, "done", 1)

    with crm.transaction() as tx:
        erase_party(tx, prospect)

    assert task_events(crm) == [{"id": task_id}]
    with crm.read() as conn:
        (entry,) = history(conn, "task", task_id)
    assert "Roth" not in str(entry.changes)

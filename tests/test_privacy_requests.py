"""A person's data request: their export over the API and the CLI, and erasure from the CLI."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from crmkit.app import Crm
from crmkit.core import auth
from crmkit.core.audit import history
from crmkit.core.entities import User
from crmkit.core.notifications import notify, withdraw_notifications
from crmkit.core.tables import notification, outbox, party
from crmkit.core.users import create_user
from crmkit.testing import invoke


def exported_entries(crm: Crm, party_id: int) -> list[tuple[str, dict[str, Any]]]:
    with crm.read() as conn:
        return [
            (e.actor_name, e.changes)
            for e in history(conn, "party", party_id)
            if e.action == "exported"
        ]


def exists(crm: Crm, party_id: int) -> bool:
    with crm.read() as conn:
        return conn.execute(select(party.c.id).where(party.c.id == party_id)).first() is not None


# --- The API.


def test_the_export_is_an_attachment_of_everything_held_and_is_audited(
    crm: Crm, world: Any, client_as: Callable[..., Any]
) -> None:
    party_id = world.parties["sam_own"]
    with client_as(world.actors["mia"]) as client:
        response = client.get(f"/api/v1/parties/{party_id}/export")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="party-{party_id}-export.json"'
    )
    assert response.headers["cache-control"] == "no-store"
    document = response.json()
    # Stable: the same data is the same text, keys sorted at every level.
    assert (
        response.text == json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    )
    assert document["party"]["id"] == party_id
    assert document["party"]["last_name"] == "Leakcheck"
    assert {p["value"] for p in document["contact_points"]} >= {"sam_own@example.org"}
    assert [i["id"] for i in document["interactions"]] == [world.interactions["sam_own"]]
    assert {"external_ids", "consents", "tasks"} <= set(document)
    # Who exported, and when; never what.
    assert exported_entries(crm, party_id) == [("mia", {})]


def test_a_caller_who_may_not_see_the_party_is_told_it_does_not_exist(
    crm: Crm, world: Any, client_as: Callable[..., Any]
) -> None:
    hidden = world.parties["sam_own"]  # sue sees neither sam's own prospects nor his team's
    with client_as(world.actors["sue"]) as client:
        response = client.get(f"/api/v1/parties/{hidden}/export")
        unknown = client.get("/api/v1/parties/999999/export")

    assert response.status_code == 404
    assert response.json()["status"] == 404 and unknown.status_code == 404
    assert exported_entries(crm, hidden) == []


def test_seeing_a_party_is_not_enough_to_export_it(
    crm: Crm, world: Any, client_as: Callable[..., Any]
) -> None:
    customer = world.parties["sam_territory"]
    for name in ("sid", "max", "rob", "sam"):  # each sees it; none holds core:party.export
        with client_as(world.actors[name]) as client:
            assert client.get(f"/api/v1/parties/{customer}/export").status_code == 403, name
    assert exported_entries(crm, customer) == []


def test_the_export_takes_no_query_parameters(world: Any, client_as: Callable[..., Any]) -> None:
    with client_as(world.actors["ada"]) as client:
        response = client.get(f"/api/v1/parties/{world.parties['sam_own']}/export?format=csv")
    assert response.status_code == 422
    assert "format" in response.text


# --- The CLI.


def test_cli_export_writes_a_file_only_its_owner_reads(
    crm: Crm, world: Any, client_as: Callable[..., Any], tmp_path: Path
) -> None:
    party_id = world.parties["ada_de2"]
    target = tmp_path / "request.json"
    target.write_text("an older export")
    target.chmod(0o644)
    refused = tmp_path / "refused.json"

    result = invoke(crm, "privacy", "export", str(party_id), "--as", "ada", "--output", str(target))
    hidden = invoke(crm, "privacy", "export", str(party_id), "--as", "sue", "-o", str(refused))

    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with client_as(world.actors["ada"]) as client:
        over_http = client.get(f"/api/v1/parties/{party_id}/export").text
    assert target.read_text(encoding="utf-8") == over_http
    assert exported_entries(crm, party_id) == [("ada", {}), ("ada", {})]
    assert hidden.exit_code != 0 and not refused.exists()


def test_cli_export_to_standard_output_obeys_the_record_rules(crm: Crm, world: Any) -> None:
    party_id = world.parties["sam_own"]

    shown = invoke(crm, "privacy", "export", str(party_id), "--as", "mia")
    hidden = invoke(crm, "privacy", "export", str(party_id), "--as", "sue")
    not_allowed = invoke(crm, "privacy", "export", str(party_id), "--as", "sam")

    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["party"]["id"] == party_id
    assert hidden.exit_code != 0 and "does not exist" in hidden.output
    assert not_allowed.exit_code != 0 and "may not core:party.export" in not_allowed.output
    assert exported_entries(crm, party_id) == [("mia", {})]


def test_cli_commands_need_an_active_user(crm: Crm, world: Any) -> None:
    party_id = world.parties["sam_own"]
    with crm.transaction() as tx:
        auth.deactivate_user(tx, "mia")

    nobody = invoke(crm, "privacy", "export", str(party_id), "--as", "ghost")
    gone = invoke(crm, "privacy", "erase", str(party_id), "--as", "mia", "--yes")
    unnamed = invoke(crm, "privacy", "export", str(party_id))

    assert nobody.exit_code != 0 and "no user 'ghost'" in nobody.output
    assert gone.exit_code != 0 and "mia is deactivated" in gone.output
    assert unnamed.exit_code != 0 and "--as" in unnamed.output
    assert exists(crm, party_id) and exported_entries(crm, party_id) == []


def test_cli_erase_asks_first_and_records_who_erased(crm: Crm, world: Any) -> None:
    party_id = world.parties["sam_own"]

    declined = invoke(crm, "privacy", "erase", str(party_id), "--as", "sam", input="n\n")
    assert declined.exit_code != 0 and "sam_own Leakcheck" in declined.output
    assert exists(crm, party_id)

    confirmed = invoke(crm, "privacy", "erase", str(party_id), "--as", "sam", input="y\n")

    assert confirmed.exit_code == 0, confirmed.output
    assert not exists(crm, party_id)
    with crm.read() as conn:
        (last, *_) = history(conn, "party", party_id)
    assert (last.action, last.actor_name) == ("erased", "sam")


def test_cli_erase_keeps_a_party_changed_since_the_version_named(crm: Crm, world: Any) -> None:
    party_id = world.parties["sam_own"]

    stale = invoke(
        crm, "privacy", "erase", str(party_id), "--as", "ada", "--yes", "--expected-version", "7"
    )
    hidden = invoke(crm, "privacy", "erase", str(party_id), "--as", "sue", "--yes")

    assert stale.exit_code != 0 and "not 7" in stale.output
    assert hidden.exit_code != 0 and "does not exist" in hidden.output
    assert exists(crm, party_id)
    done = invoke(
        crm, "privacy", "erase", str(party_id), "--as", "ada", "--yes", "--expected-version", "1"
    )
    assert done.exit_code == 0, done.output
    assert not exists(crm, party_id)


# --- Withdrawing notifications, for a plugin's erase_party.


def test_withdrawn_notifications_and_their_events_forget_what_they_said(crm: Crm) -> None:
    with crm.transaction() as tx:
        owner = create_user(tx, User(username="olga", display_name="Olga", role="sales"))
        assert owner.id is not None
        named = notify(tx, owner.id, "Call Zebulonia Quirrelwhistle", body="+4915227318946")
        other = notify(tx, owner.id, "Quarterly targets are set")

    with crm.transaction() as tx:
        withdraw_notifications(tx, [named, 999])

    with crm.read() as conn:
        left = conn.execute(select(notification.c.id)).scalars().all()
        payloads = dict(
            conn.execute(
                select(outbox.c.entity_id, outbox.c.payload).where(
                    outbox.c.event_type == "core.notification_created"
                )
            ).all()
        )
    assert left == [other]
    assert payloads[str(named)] == {"id": named}
    assert payloads[str(other)]["title"] == "Quarterly targets are set"

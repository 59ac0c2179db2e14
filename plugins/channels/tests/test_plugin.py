"""The plugin as a whole: the contract, its job, and a party's emails when merged, exported, erased."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from crmkit_channels import EmailMessage, send
from crmkit_channels.tables import email
from sqlalchemy import select

from crmkit import SYSTEM, Crm, erase_party, export_party, merge_parties
from crmkit.testing import check_plugin

if TYPE_CHECKING:
    from conftest import Inbox, PersonMaker


def test_plugin_honours_the_contract() -> None:
    check_plugin("channels")


def _queue(crm: Crm, party: int) -> int:
    with crm.transaction(SYSTEM) as tx:
        return send(
            tx, EmailMessage(party, "orders", subject="Hi", text="x", transactional=True)
        ).id


def test_the_worker_job_delivers_the_outbox(crm: Crm, person: int, inbox: Inbox) -> None:
    _queue(crm, person)
    result = crm.jobs.run("channels.deliver_email")
    assert result.ok, result.error
    assert len(inbox.messages) == 1
    assert crm.jobs.jobs["channels.deliver_email"].every is not None


def test_merge_moves_the_emails_to_the_survivor(crm: Crm, new_person: PersonMaker) -> None:
    survivor, merged = new_person(), new_person("ada.l@example.org")
    email_id = _queue(crm, merged)
    with crm.transaction(SYSTEM) as tx:
        merge_parties(tx, survivor, merged)
    with crm.read() as conn:
        assert (
            conn.execute(select(email.c.party_id).where(email.c.id == email_id)).scalar_one()
            == survivor
        )


def test_export_lists_the_emails_and_erasure_removes_them_unsent(
    crm: Crm, person: int, new_person: PersonMaker, inbox: Inbox, give_consent: Callable[..., None]
) -> None:
    other = new_person("bob@example.org")
    kept = _queue(crm, other)
    email_id = _queue(crm, person)
    with crm.read() as conn:
        [exported] = export_party(conn, crm.host, person)["channels"]["emails"]
    assert (exported["id"], exported["recipient"], exported["status"]) == (
        email_id,
        "ada@example.org",
        "queued",
    )
    with crm.transaction(SYSTEM) as tx:
        erase_party(tx, person)
    crm.jobs.run("channels.deliver_email")
    assert [m["To"] for m in inbox.messages] == ["bob@example.org"]
    with crm.read() as conn:
        assert conn.execute(select(email.c.id)).scalars().all() == [kept]

"""SMS in the plugin as a whole: the worker's job, and a party's SMS when merged, exported, erased."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from crmkit_channels import SmsMessage, send
from crmkit_channels.sms_in import take_in
from crmkit_channels.tables import sms, sms_received
from sqlalchemy import select

from crmkit import SYSTEM, Crm, erase_party, export_party, merge_parties

if TYPE_CHECKING:
    from conftest import Gateway


def _queue(crm: Crm, party: int) -> int:
    with crm.transaction(SYSTEM) as tx:
        return send(tx, SmsMessage(party, "orders", body="Hi", transactional=True)).id


def test_the_worker_job_delivers_the_sms_outbox(
    sms_crm: Crm, texter: int, gateway: Gateway
) -> None:
    _queue(sms_crm, texter)
    result = sms_crm.jobs.run("channels.deliver_sms")
    assert result.ok, result.error
    assert len(gateway.taken) == 1


def test_merge_moves_sms_sent_and_received_to_the_survivor(
    sms_crm: Crm, new_texter: Callable[..., int]
) -> None:
    survivor, merged = new_texter(), new_texter(phones=("+49 170 9876543",))
    sms_id = _queue(sms_crm, merged)
    with sms_crm.transaction(SYSTEM) as tx:
        take_in(tx, "SM" + "a" * 32, "+491709876543", "+4915112345678", "Hello")
    with sms_crm.transaction(SYSTEM) as tx:
        merge_parties(tx, survivor, merged)
    with sms_crm.read() as conn:
        assert (
            conn.execute(select(sms.c.party_id).where(sms.c.id == sms_id)).scalar_one() == survivor
        )
        assert conn.execute(select(sms_received.c.party_id)).scalar_one() == survivor


def test_export_lists_the_sms_and_erasure_removes_them_unsent(
    sms_crm: Crm, texter: int, new_texter: Callable[..., int], gateway: Gateway
) -> None:
    other = new_texter(phones=("+49 170 9876543",))
    kept = _queue(sms_crm, other)
    sms_id = _queue(sms_crm, texter)
    with sms_crm.transaction(SYSTEM) as tx:
        take_in(tx, "SM" + "b" * 32, "+4915123456789", "+4915112345678", "Thanks!")
    with sms_crm.read() as conn:
        exported = export_party(conn, sms_crm.host, texter)["channels"]
    [sent] = exported["sms"]
    assert (sent["id"], sent["recipient"], sent["body"], sent["status"]) == (
        sms_id,
        "+4915123456789",
        "Hi",
        "queued",
    )
    assert [r["body"] for r in exported["sms_received"]] == ["Thanks!"]
    with sms_crm.transaction(SYSTEM) as tx:
        erase_party(tx, texter)
    sms_crm.jobs.run("channels.deliver_sms")
    assert [t.form["To"] for t in gateway.taken] == ["+491709876543"]
    with sms_crm.read() as conn:
        assert conn.execute(select(sms.c.id)).scalars().all() == [kept]
        assert conn.execute(select(sms_received.c.id)).all() == []

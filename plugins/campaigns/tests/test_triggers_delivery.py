"""An after-sales campaign end to end: the daily job enters the customer whose warranty ends,
the send job and the channels delivery mail them through a real SMTP relay, once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmkit_campaigns.campaigns import definition, lifecycle
from crmkit_service.assets import service as assets

from crmkit import utcnow

JOBS = ("campaigns.triggers", "campaigns.send", "channels.deliver_email")


def test_a_warranty_reminder_reaches_the_relay_once_however_often_the_jobs_run(
    relayed: Any, smtp_relay: Any, new_user: Any, new_party: Any
) -> None:
    crm = relayed(plugins=("service",))
    marketer = new_user("mia", "marketing")
    ada = new_party(first_name="Ada", emails=["ada@example.org"])
    new_party(first_name="Alan", emails=["alan@example.org"])  # owns nothing
    with crm.transaction() as tx:
        assets.create_asset(
            tx,
            {
                "party_id": ada,
                "product": "Heat pump X1",
                "serial_number": "SN-1",
                "warranty_end": (utcnow().date() + timedelta(days=30)).isoformat(),
            },
        )
    with crm.transaction(marketer) as tx:
        made = definition.create_campaign(
            tx,
            {
                "name": "Warranty ending",
                "kind": "triggered",
                "purpose": "marketing",
                "trigger": {"name": "service.warranty_ending", "parameters": {"days": 30}},
                "variants": [
                    {
                        "channel": "email",
                        "subject": "Your warranty ends soon, {{ party.first_name }}",
                        "text": "Extend it now.",
                    }
                ],
            },
        )
        lifecycle.start(tx, made.id)

    for _ in range(2):
        for job in JOBS:
            result = crm.jobs.run(job)
            assert result.ok, result.error

    assert [str(m["To"]) for m in smtp_relay.handler.messages] == ["ada@example.org"]
    assert str(smtp_relay.handler.messages[0]["Subject"]) == "Your warranty ends soon, Ada"

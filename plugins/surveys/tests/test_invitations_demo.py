"""The demo's invitations: two surveys sent to about 150 customers each, invitations in the
statuses this part sets, the after-event rules of the plugins loaded, quickly."""

from __future__ import annotations

from collections import Counter
from typing import Any

from crmkit_surveys.definitions.tables import survey
from crmkit_surveys.invitations.tables import invitation, rule, send
from sqlalchemy import select

from crmkit.testing import seed_demo_data


def test_the_demo_sends_two_surveys_and_defines_the_rules_of_the_plugins_loaded(
    make_surveys: Any,
) -> None:
    crm = make_surveys(with_plugins=("service", "sfa"))
    seed_demo_data(crm, customers=300, prospects=20)
    with crm.read() as conn:
        names = {r.id: r.name for r in conn.execute(select(survey.c.id, survey.c.name))}
        sends = conn.execute(select(send)).all()
        statuses = Counter(
            (names[r.survey_id], r.status)
            for r in conn.execute(select(invitation.c.survey_id, invitation.c.status))
        )
        rules = {(names[r.survey_id], r.event_type) for r in conn.execute(select(rule))}
    assert sorted(names[s.survey_id] for s in sends) == [
        "Delivery satisfaction",
        "Service follow-up",
    ]
    assert all(140 <= s.invited <= 150 for s in sends)
    for name in ("Delivery satisfaction", "Service follow-up"):
        assert {"sent", "opened", "expired", "failed"} <= {s for n, s in statuses if n == name}
    assert statuses["Delivery satisfaction", "queued"] == 3
    assert rules == {
        ("Service follow-up", "service.case_status_changed"),
        ("Delivery satisfaction", "sfa.order_erp_status"),
    }

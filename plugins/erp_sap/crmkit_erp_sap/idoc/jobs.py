"""The idoc part's scheduled job: the inbox, looked into every minute while an inbox is set."""

from __future__ import annotations

from datetime import timedelta

from crmkit import Crm, Job
from crmkit_erp_sap.idoc.intake import import_inbox


def take_in_inbox(app: Crm) -> None:
    import_inbox(app)


JOBS = [
    Job(
        "erp_sap.idoc_inbox",
        take_in_inbox,
        every=timedelta(minutes=1),
        description="Take in the IDoc XML files waiting in [plugins.erp_sap.idoc] inbox",
    )
]

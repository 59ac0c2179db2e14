"""The partners part's scheduled job: a delta pull of every configured system.

The job is looked at every minute; it pulls a system only when
``sync_every_minutes`` (0: off, the default) have passed since that system's last run
started, so the setting, not the registration, decides how often.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from crmkit import Crm, Job, utcnow
from crmkit_erp_sap.partners.settings import PartnersSettings
from crmkit_erp_sap.partners.sync import sync
from crmkit_erp_sap.partners.tables import sync_run


def pull_due_systems(app: Crm) -> None:
    """Pull each configured SAP system whose last run is older than the setting."""
    settings: PartnersSettings = app.settings_of["erp_sap"].partners
    if settings.sync_every_minutes == 0:
        return
    due_before = utcnow() - timedelta(minutes=settings.sync_every_minutes)
    for system in app.settings_of["erp_sap"].connection.systems:
        with app.engine.connect() as conn:
            last = conn.execute(
                select(func.max(sync_run.c.started_at)).where(sync_run.c.system == system)
            ).scalar()
        if last is None or last <= due_before:
            sync(app, system, trigger="job")


JOBS = [
    Job(
        "erp_sap.pull_partners",
        pull_due_systems,
        every=timedelta(minutes=1),
        description="Pull SAP business partners changed since the last run, every "
        "[plugins.erp_sap.partners] sync_every_minutes (off when 0)",
    )
]

"""The portal's housekeeping: what no longer signs anyone in, nor counts against a budget, goes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, or_

from crmkit import Job, utcnow
from crmkit_service.portal.settings import PortalSettings
from crmkit_service.portal.tables import link_request, portal_link, portal_session

KEPT = timedelta(days=1)
"""Expired links and ended sessions are kept a day, so that a customer told "used already" can be helped."""


def prune_portal(app: Any) -> None:
    """Delete expired links and sessions, and link requests older than the budgets' window."""
    settings: PortalSettings = app.settings_of["service"].portal
    now = utcnow()
    window = timedelta(minutes=settings.link_request_window_minutes)
    with app.transaction() as tx:
        tx.conn.execute(delete(link_request).where(link_request.c.requested_at < now - window))
        tx.conn.execute(delete(portal_link).where(portal_link.c.expires_at < now - KEPT))
        tx.conn.execute(
            delete(portal_session).where(
                or_(
                    portal_session.c.expires_at < now - KEPT,
                    portal_session.c.ended_at < now - KEPT,
                )
            )
        )


JOBS = [
    Job(
        "service.portal_prune",
        prune_portal,
        every=timedelta(hours=1),
        description="Delete expired portal sign-in links and sessions, and old link requests",
    )
]

"""The demo's data in a test's CRM, for plugins testing what their ``seed_demo`` hook writes."""

from __future__ import annotations

from datetime import datetime

from crmkit.app import Crm
from crmkit.demo.data import DEMO_PASSWORD

__all__ = ["DEMO_PASSWORD", "seed_demo_data"]


def seed_demo_data(
    crm: Crm, *, customers: int, prospects: int, now: datetime | None = None
) -> None:
    """Write what ``crmkit demo`` writes: the kernel's users and parties, then each plugin's.

    Each enabled plugin's ``seed_demo`` runs in the same transaction; the data
    depend only on the counts and ``now`` (default: the current time). Every demo
    user logs in with :data:`DEMO_PASSWORD`.
    """
    # Imported here: crmkit.testing loads with every pytest run, and few tests seed the demo.
    from crmkit.demo.seed import seed

    if seed(crm, customers=customers, prospects=prospects, now=now) is None:
        raise RuntimeError("the CRM holds demo data already")

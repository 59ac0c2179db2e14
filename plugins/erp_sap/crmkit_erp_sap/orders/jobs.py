"""The orders part's jobs: due pushes are sent every minute, statuses read back as settings say."""

from __future__ import annotations

from datetime import timedelta

from crmkit import Job
from crmkit_erp_sap.orders.sending import push_due
from crmkit_erp_sap.orders.status import pull_statuses

JOBS = [
    Job(
        "erp_sap.push_orders",
        push_due,
        every=timedelta(minutes=1),
        description="Send queued sfa orders to SAP as sales orders (exactly once)",
    ),
    Job(
        "erp_sap.pull_order_status",
        pull_statuses,
        every=timedelta(minutes=1),
        description="Read back the status of orders created in SAP (each every "
        "status_every_minutes) onto the sfa order",
    ),
]

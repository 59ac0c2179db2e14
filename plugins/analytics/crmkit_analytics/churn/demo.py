"""Demo data: every customer's churn risk from the demo's purchases, contacts and signals."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import Connection

from crmkit import SYSTEM, Crm, Transaction
from crmkit_analytics.churn import service


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    service.rescore(app, Transaction(conn=conn, hooks=app.host, actor=SYSTEM, app=app), now)

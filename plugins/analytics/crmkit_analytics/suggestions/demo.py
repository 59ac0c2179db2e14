"""The suggestions part of ``crmkit demo``: the rules learned from the demo's purchases.

Runs after the transactions part has seeded purchases (parts seed in order), so that the
party pages of the demo show suggested next products at once.
"""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import Connection

from crmkit import Crm
from crmkit_analytics.suggestions import service


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    service.store_rules(conn, service.settings_of(app))

"""The connection part of ``crmkit demo``."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import Connection

from crmkit import Crm


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    pass

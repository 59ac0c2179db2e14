"""Demo data: the profiles of whatever purchases the demo's sources have put in by now."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import Connection

from crmkit import Crm
from crmkit_analytics.profiles import service


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    service.rebuild(conn, app.settings_of["analytics"].profiles, now)

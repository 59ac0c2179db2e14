"""``crmkit analytics profiles``: rebuild the profiles now."""

from __future__ import annotations

import json
from collections import Counter

import click
from sqlalchemy import select

from crmkit import Crm
from crmkit_analytics.profiles import service
from crmkit_analytics.profiles.tables import profile


@click.command("profiles")
@click.pass_obj
def profiles(app: Crm) -> None:
    """Rebuild every customer's RFM profile; print how many fall in each band (JSON)."""
    count = service.refresh(app)
    with app.read() as conn:
        bands = Counter(band for (band,) in conn.execute(select(profile.c.band)))
    click.echo(json.dumps({"profiles": count, "bands": dict(sorted(bands.items()))}))


COMMANDS = [profiles]

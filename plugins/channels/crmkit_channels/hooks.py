"""The plugin's hook implementations: its tables, delivery jobs, public routes, privacy."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import Connection, Table
from starlette.routing import BaseRoute

from crmkit import Job, Transaction, hookimpl
from crmkit_channels import jobs, privacy, sms_in, sms_status, unsubscribe
from crmkit_channels.inbound_tables import inbound_attachment, inbound_email
from crmkit_channels.tables import email, sms, sms_received


@hookimpl
def register_tables() -> list[Table]:
    return [email, sms, sms_received, inbound_email, inbound_attachment]


@hookimpl
def register_jobs() -> list[Job]:
    return list(jobs.JOBS)


@hookimpl
def register_commands() -> list[click.Command]:
    # The SMTP server (and aiosmtpd) loads only when a command of the plugin runs.
    from crmkit_channels.mail_in import mail_in

    return [mail_in]


@hookimpl
def register_routes() -> list[BaseRoute]:
    return [*unsubscribe.ROUTES, *sms_status.ROUTES, *sms_in.ROUTES]


@hookimpl
def parties_merged(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    privacy.move_to_survivor(tx, survivor_id, merged_id)


@hookimpl
def export_party(conn: Connection, party_id: int) -> dict[str, Any]:
    return {"channels": privacy.export_of(conn, party_id)}


@hookimpl
def erase_party(tx: Transaction, party_id: int) -> None:
    privacy.erase(tx, party_id)

"""The plugin's hook implementations: its tables, delivery jobs, public routes, privacy."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import click
from sqlalchemy import Connection, Table
from starlette.routing import BaseRoute

from crmkit import Actor, Job, MenuItem, Permission, Transaction, hookimpl
from crmkit_channels import (
    access,
    api,
    api_suppression,
    api_templates,
    demo,
    jobs,
    pages,
    privacy,
    sms_in,
    sms_status,
    stored_templates,
    template_pages,
    tracking_routes,
    unsubscribe,
)
from crmkit_channels.auto_answer_tables import auto_answer
from crmkit_channels.imap_tables import imap_mailbox
from crmkit_channels.inbound_tables import inbound_attachment, inbound_email
from crmkit_channels.suppression import ADMIN as SUPPRESSION_ADMIN
from crmkit_channels.tables import email, email_body, sms, sms_received
from crmkit_channels.template_tables import template
from crmkit_channels.tracking_tables import email_event, suppression
from crmkit_channels.transport_tables import transport_message


@hookimpl
def register_tables() -> list[Table]:
    return [
        email_body,
        email,
        sms,
        sms_received,
        inbound_email,
        inbound_attachment,
        imap_mailbox,
        auto_answer,
        email_event,
        suppression,
        template,
        transport_message,
    ]


@hookimpl
def add_hookspecs() -> ModuleType:
    from crmkit_channels import hookspecs

    return hookspecs


@hookimpl
def register_permissions() -> list[Permission]:
    return [SUPPRESSION_ADMIN, *access.PERMISSIONS, *stored_templates.PERMISSIONS]


@hookimpl
def register_jobs() -> list[Job]:
    return list(jobs.JOBS)


@hookimpl
def register_commands() -> list[click.Command]:
    # The SMTP server (and aiosmtpd), the IMAP poller (and imapclient) load only when a
    # command of the plugin runs.
    from crmkit_channels.imap_cli import imap_poll
    from crmkit_channels.mail_in import mail_in
    from crmkit_channels.suppression_cli import suppression_group

    return [mail_in, imap_poll, suppression_group]


@hookimpl
def register_routes() -> list[BaseRoute]:
    return [
        *unsubscribe.ROUTES,
        *sms_status.ROUTES,
        *sms_in.ROUTES,
        *tracking_routes.ROUTES,
        *api.ROUTES,
        *api_templates.ROUTES,
        *api_suppression.ROUTES,
        *pages.ROUTES,
        *template_pages.ROUTES,
    ]


@hookimpl
def parties_merged(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    privacy.move_to_survivor(tx, survivor_id, merged_id)


@hookimpl
def export_party(conn: Connection, party_id: int) -> dict[str, Any]:
    return {"channels": privacy.export_of(conn, party_id)}


@hookimpl
def erase_party(tx: Transaction, party_id: int) -> None:
    privacy.erase(tx, party_id)


@hookimpl
def entity_actions(actor: Actor, entity_type: str, entity: Any) -> list[MenuItem]:
    return pages.party_actions(entity_type, entity)


@hookimpl
def menu_items(actor: Actor) -> list[MenuItem]:
    return [*pages.MENU, *template_pages.MENU]


seed_demo = hookimpl(demo.seed_demo)


@hookimpl
def demo_settings(url: str, secret: str) -> dict[str, Any]:
    # Without an address and a key no email could be queued in the demo, and no link of
    # another plugin (the portal, event registration) could be signed.
    return {
        "channels": {
            "from_address": "Demo CRM <crm@demo.example>",
            "public_url": url,
            "link_secret": secret,
        }
    }

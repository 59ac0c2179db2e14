"""The partners part's commands under ``crmkit dms``: list partners, link a partner user.

They run as the operator (the system actor), like ``crmkit users``: whoever runs them
administers the CRM.
"""

from __future__ import annotations

import click
from sqlalchemy import select

from crmkit import Crm, CrmError, ValidationError, user_table
from crmkit_dms.partners import service
from crmkit_dms.partners.tables import partner


@click.command("partners")
@click.pass_obj
def list_partners(app: Crm) -> None:
    """Every partner: code, kind, whether active, brands and name."""
    with app.read() as conn:
        for found in service.list_partners(conn):
            brands = ",".join(found.brands) or "*"
            state = "active" if found.active else "inactive"
            click.echo(f"{found.code}\t{found.kind}\t{state}\t{brands}\t{found.name}")


@click.command("partner-user")
@click.argument("code")
@click.argument("username")
@click.option("--remove", is_flag=True, help="Unlink the user instead.")
@click.pass_obj
def partner_user(app: Crm, code: str, username: str, remove: bool) -> None:
    """Link USERNAME (a user of the partner role: ``crmkit users add --role partner``) to the
    partner CODE, so that they see its leads and nothing else; or unlink them."""
    try:
        with app.transaction() as tx:
            partner_id = tx.conn.execute(
                select(partner.c.id).where(partner.c.code == code)
            ).scalar()
            if partner_id is None:
                raise ValidationError("code", f"no partner has the code {code!r}")
            user_id = tx.conn.execute(
                select(user_table.c.id).where(user_table.c.username == username)
            ).scalar()
            if user_id is None:
                raise ValidationError("username", f"no user is called {username!r}")
            if remove:
                service.remove_partner_user(tx, partner_id, user_id)
            else:
                service.add_partner_user(tx, partner_id, {"user_id": user_id})
    except CrmError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{username} {'no longer works' if remove else 'works'} for {code}")


COMMANDS = [list_partners, partner_user]

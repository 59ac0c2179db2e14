"""``crmkit erp_sap orders push``: send the due order pushes now."""

from __future__ import annotations

import click

from crmkit import Crm
from crmkit_erp_sap.orders.sending import push_due
from crmkit_erp_sap.orders.status import pull_statuses


@click.group("orders")
def orders() -> None:
    """Sales orders sent to SAP."""


@orders.command("push")
@click.option(
    "--status/--no-status", default=True, help="Also read back the status of created orders."
)
@click.pass_obj
def push(app: Crm, status: bool) -> None:
    """Send every due order push to SAP now (what the job erp_sap.push_orders does)."""
    report = push_due(app)
    click.echo(
        f"created {report.created}, found already in SAP {report.found}, failed {report.failed}, "
        f"to retry {report.deferred}, given up {report.gave_up}"
    )
    if status:
        click.echo(f"status changes read back: {pull_statuses(app)}")
    if report.failed or report.gave_up:
        states = [s for s, n in (("failed", report.failed), ("gave_up", report.gave_up)) if n]
        raise click.ClickException(
            "some pushes failed: see "
            + " and ".join(f"GET /p/erp_sap/order-pushes?state={s}" for s in states)
        )


COMMANDS = [orders]

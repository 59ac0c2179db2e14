"""``crmkit analytics suggestions``: recompute the association rules now."""

from __future__ import annotations

import json

import click

from crmkit import Crm
from crmkit_analytics.suggestions import service


@click.command("suggestions")
@click.option(
    "--top",
    type=click.IntRange(0, 1000),
    default=10,
    show_default=True,
    help="Print this many of the best rules",
)
@click.pass_obj
def suggestions(app: Crm, top: int) -> None:
    """Recompute the product association rules from the purchases on record.

    Prints the best rules, then one JSON object on its last line: {"rules": N}."""
    count = service.recompute(app)
    with app.read() as conn:
        best = service.stored_rules(conn)[:top]
    for found in best:
        click.echo(
            f"{found.antecedent} -> {found.consequent}  support {found.support:.4f}  "
            f"confidence {found.confidence:.3f}  lift {found.lift:.2f}  ({found.customers} customers)"
        )
    click.echo(json.dumps({"rules": count}))


COMMANDS: list[click.Command] = [suggestions]

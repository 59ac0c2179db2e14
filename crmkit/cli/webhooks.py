"""``crmkit webhooks``: subscribe URLs to events, see what was delivered, send again."""

from __future__ import annotations

from datetime import datetime

import click

from crmkit.cli.context import get_app
from crmkit.core.webhook_delivery import send_test
from crmkit.core.webhooks import (
    DELIVERY_STATUSES,
    add_subscription,
    list_deliveries,
    list_subscriptions,
    redeliver,
    set_active,
)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ") if moment else "-"


@click.group()
def webhooks() -> None:
    """Outbound webhooks: events POSTed, signed (Standard Webhooks), to subscribed URLs."""


@webhooks.command("add")
@click.argument("url")
@click.option(
    "--event",
    "event_types",
    multiple=True,
    required=True,
    help="An event type to send, e.g. prospect.created; * for all; repeatable.",
)
@click.option("--entity", help="Only events about this kind of record, e.g. customer.")
@click.option("--description", default="", help="What the subscription is for.")
@click.option("--secret", help="A whsec_ secret to sign with; one is made if not given.")
def add(
    url: str,
    event_types: tuple[str, ...],
    entity: str | None,
    description: str,
    secret: str | None,
) -> None:
    """Subscribe URL to events from now on; prints the signing secret once, on standard output."""
    with get_app().transaction() as tx:
        created = add_subscription(
            tx, url, list(event_types), entity=entity, description=description, secret=secret
        )
    click.echo(
        f"webhook {created.subscription.id} sends {', '.join(created.subscription.event_types)} "
        f"to {url}. Give the receiver its secret to verify deliveries:",
        err=True,
    )
    click.echo(created.secret)


@webhooks.command("list")
def list_() -> None:
    """Show every subscription: id, state, failures in a row, events, URL."""
    with get_app().read() as conn:
        found = list_subscriptions(conn)
    for s in found:
        state = "active" if s.active else "disabled"
        entity = f" about {s.entity}" if s.entity else ""
        click.echo(
            f"{s.id}\t{state}\t{s.consecutive_failures}\t{','.join(s.event_types)}{entity}\t{s.url}"
        )
        if s.disabled_reason:
            click.echo(f"\t{s.disabled_reason}")


@webhooks.command("log")
@click.argument("webhook_id", type=click.IntRange(1))
@click.option(
    "--status", type=click.Choice(DELIVERY_STATUSES), help="Only deliveries in this state."
)
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
def log(webhook_id: int, status: str | None, limit: int) -> None:
    """Show the latest deliveries of WEBHOOK_ID: id, webhook-id, event, state, attempts, answer."""
    with get_app().read() as conn:
        page = list_deliveries(conn, webhook_id, status=status, limit=limit)
    for d in page.items:
        answer = d.response_status if d.response_status is not None else (d.last_error or "-")
        click.echo(
            f"{d.id}\t{d.message_id}\t{d.event_type}\t{d.status}\t{d.attempts}\t"
            f"{_when(d.last_attempt_at)}\t{answer}"
        )


@webhooks.command("test")
@click.argument("webhook_id", type=click.IntRange(1))
def test(webhook_id: int) -> None:
    """POST a signed webhook.test message to WEBHOOK_ID's URL now and show the answer."""
    result = send_test(get_app(), webhook_id)
    if result.status is None or not 200 <= result.status < 300:
        answer = f"HTTP {result.status}" if result.status is not None else result.error
        raise click.ClickException(f"test delivery {result.message_id} failed: {answer}")
    click.echo(
        f"test delivery {result.message_id}: HTTP {result.status} in {result.duration_ms} ms"
    )


@webhooks.command("redeliver")
@click.argument("delivery_ids", nargs=-1, required=True, type=click.IntRange(1))
def redeliver_(delivery_ids: tuple[int, ...]) -> None:
    """Send the deliveries DELIVERY_IDS again (same webhook-id) with the next worker round."""
    with get_app().transaction() as tx:
        for delivery_id in delivery_ids:
            redeliver(tx, delivery_id)
    click.echo(f"{len(delivery_ids)} deliveries queued again")


@webhooks.command("enable")
@click.argument("webhook_id", type=click.IntRange(1))
def enable(webhook_id: int) -> None:
    """Enable WEBHOOK_ID again (after it was disabled); its held deliveries go out."""
    with get_app().transaction() as tx:
        set_active(tx, webhook_id, True)
    click.echo(f"webhook {webhook_id} enabled")


@webhooks.command("disable")
@click.argument("webhook_id", type=click.IntRange(1))
def disable(webhook_id: int) -> None:
    """Stop sending to WEBHOOK_ID; it receives no events until enabled."""
    with get_app().transaction() as tx:
        set_active(tx, webhook_id, False)
    click.echo(f"webhook {webhook_id} disabled")

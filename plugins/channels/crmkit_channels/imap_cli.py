"""``crmkit channels imap-poll``: take the mail of the configured IMAP mailboxes, one thread each."""

from __future__ import annotations

import signal
import threading

import click

from crmkit import ConfigurationError, Crm
from crmkit_channels.imap_poll import Poller, poll_once
from crmkit_channels.settings import ChannelsSettings


@click.command("imap-poll")
@click.option("--once", is_flag=True, help="Poll each mailbox once, then exit.")
@click.pass_obj
def imap_poll(app: Crm, once: bool) -> None:
    """Take the mail of the configured IMAP mailboxes until stopped (Ctrl-C, SIGTERM)."""
    settings: ChannelsSettings = app.settings_of["channels"]
    mailboxes = settings.imap.mailboxes
    if not mailboxes:
        raise ConfigurationError(
            "plugins.channels.imap.mailboxes", "name at least one mailbox to poll"
        )
    names = ", ".join(m.name for m in mailboxes)
    if once:
        failed = poll_once(app)
        if failed:
            raise click.ClickException(f"polling failed for: {', '.join(failed)} (see the log)")
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    threads = [
        threading.Thread(target=Poller(app, m).run, args=(stop,), name=f"imap-{m.name}")
        for m in mailboxes
    ]
    for thread in threads:
        thread.start()
    click.echo(f"polling mailboxes {names}", err=True)
    # The main thread waits on the event so that a signal stops it at once.
    while not stop.wait(1.0):
        pass
    for thread in threads:
        thread.join()

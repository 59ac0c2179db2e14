"""The plugin's jobs: ``channels.deliver_email`` and ``channels.deliver_sms``, run by ``crmkit worker``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmkit import Job


def _deliver_email(app: Any) -> None:
    # The delivery code loads only where the job runs.
    from crmkit_channels.delivery import deliver_due

    deliver_due(app)


def _deliver_sms(app: Any) -> None:
    from crmkit_channels.delivery import deliver_due
    from crmkit_channels.outboxes import SMS

    deliver_due(app, SMS)


def _deliver_transports(app: Any) -> None:
    from crmkit_channels.delivery import deliver_due
    from crmkit_channels.transports import TRANSPORT

    deliver_due(app, TRANSPORT)


def _route_inbound_mail(app: Any) -> None:
    from crmkit_channels.mail_routing import route_pending

    route_pending(app)


JOBS = [
    Job(
        "channels.deliver_email",
        _deliver_email,
        every=timedelta(seconds=2),
        description="Hand queued emails to the SMTP relay and retry deferred ones",
    ),
    Job(
        "channels.deliver_sms",
        _deliver_sms,
        every=timedelta(seconds=2),
        description="Hand queued SMS to the gateway and retry deferred ones",
    ),
    Job(
        "channels.deliver_transports",
        _deliver_transports,
        every=timedelta(seconds=2),
        description="Hand queued messages to the transports other plugins register (social "
        "networks …) and retry deferred ones",
    ),
    Job(
        "channels.route_inbound_mail",
        _route_inbound_mail,
        every=timedelta(seconds=30),
        description="Route inbound emails that mail-in or imap-poll stored but did not finish",
    ),
]

"""The hooks the channels plugin publishes (``add_hookspecs``), for plugins that bring a transport."""

from __future__ import annotations

from typing import Any

from crmkit import Crm, hookspec


@hookspec("collect")
def channels_transports(app: Crm) -> list[Any] | None:
    """The :class:`crmkit_channels.Transport` objects a plugin brings (a social network's
    messages, comments and posts): ``send(tx, ChannelMessage(transport=name, ...))`` queues a
    message for one, the delivery job hands it to its ``deliver`` after commit.

    Semantics: collect.
    """

"""Which handler takes the changes of each field: ``"module:function"``, imported lazily.

A handler is ``handler(tx: Transaction, account: Account, change: Change) -> None``, run in a
transaction of its own. A field without a handler is kept as ``ignored``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

HANDLERS: dict[str, str] = {
    "leadgen": "crmkit_social.leads.intake:take_change",
    "feed": "crmkit_social.conversations.inbound:take_change",
    "messages": "crmkit_social.conversations.inbound:take_change",
    "comments": "crmkit_social.conversations.inbound:take_change",
    "mention": "crmkit_social.conversations.inbound:take_change",
}


def handler_for(field: str) -> Callable[..., Any] | None:
    """The handler of ``field``, imported now; None when the field has none."""
    target = HANDLERS.get(field)
    if target is None:
        return None
    module_name, _, name = target.partition(":")
    handler: Callable[..., Any] = getattr(importlib.import_module(module_name), name)
    return handler

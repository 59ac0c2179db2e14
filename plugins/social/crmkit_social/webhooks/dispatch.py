"""Which handler takes the changes of each field: ``"module:function"``, imported lazily.

A handler is ``handler(tx: Transaction, account: Account, change: Change, fetched: Any) ->
None``, run in a transaction. Its module may define ``fetch(app: Crm, account: Account,
change: Change) -> Any``: the network part (Graph calls; reads through ``app.read()`` only,
no writes), which the job calls before it opens the handler's transaction, handing its answer
to the handler as ``fetched`` (None for a handler whose module has no ``fetch``). A field
without a handler is kept as ``ignored``.
"""

from __future__ import annotations

import importlib
import sys
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


def fetcher_of(handler: Callable[..., Any]) -> Callable[..., Any] | None:
    """The ``fetch`` of the handler's module; None when it has none."""
    module = sys.modules.get(getattr(handler, "__module__", "") or "")
    fetch = getattr(module, "fetch", None) if module is not None else None
    return fetch if callable(fetch) else None

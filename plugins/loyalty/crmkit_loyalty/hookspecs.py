"""The hooks the loyalty plugin publishes (``add_hookspecs``), for plugins whose customers earn points."""

from __future__ import annotations

from typing import Any

from crmkit import hookspec


@hookspec("collect")
def loyalty_behaviours() -> list[Any] | None:
    """Return behaviours a programme's rules can reward (:class:`crmkit_loyalty.extensions.Behaviour`).

    Called when a rule is defined and when one of the behaviours' event types is delivered. A
    plugin that does not depend on loyalty implements it with ``@hookimpl(optionalhook=True)``.

    Semantics: collect.
    """

"""The behaviours rules may reward: what plugins announce through ``loyalty_behaviours``.

Checked when the application starts (the ``startup`` hook), so that a plugin set announcing
one name twice, or a badly formed name, never starts rather than failing on every event.
"""

from __future__ import annotations

import re
from typing import Any

from crmkit import PluginError
from crmkit_loyalty.extensions import Behaviour

NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
"""Lower-case and dotted: ``surveys.answered``."""


def behaviours(hooks: Any) -> dict[str, Behaviour]:
    """Every announced behaviour by name; ``hooks`` is ``tx.hooks`` or ``app.host``.

    Two plugins announcing one name would make a rule's meaning depend on load order: refused
    naming both, as is a name not lower-case and dotted with its plugin's name first.
    """
    found: dict[str, tuple[str, Behaviour]] = {}
    for plugin, announced in hooks.collect_by_plugin("loyalty_behaviours"):
        for behaviour in announced:
            name = behaviour.name
            if name in found:
                raise PluginError(
                    plugin, f"behaviour {name!r} is announced by plugin {found[name][0]!r} too"
                )
            if (
                not isinstance(name, str)
                or not NAME.fullmatch(name)
                or name.split(".")[0] != plugin
            ):
                raise PluginError(
                    plugin,
                    f"behaviour name {name!r} must be lower-case and dotted, the plugin's name "
                    f"first ({plugin}.something)",
                )
            found[name] = (plugin, behaviour)
    return {name: behaviour for name, (_, behaviour) in found.items()}

"""A plugin laid out in parts: a folder per part holding modules of the same names
(``tables``, ``access``, ``routes`` …), whose declarations crmkit gathers in one order.

A plugin names its parts in ``PluginInfo.parts``; the host then registers, with the
plugin's hooks module, the gathering hooks below. A hook the hooks module implements itself
replaces the gathered one (to order it differently, or to mark it ``trylast``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from importlib import import_module
from types import ModuleType, SimpleNamespace
from typing import TYPE_CHECKING, Any

from attrs import frozen

from crmkit.hooks.markers import PROJECT, hookimpl

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from crmkit.app import Crm
    from crmkit.core.actors import Actor
    from crmkit.core.db import Transaction


@frozen
class Parts:
    """The parts of ``package`` in ``names`` order: the order their tables are created and
    their demo data seeded, each part after those it builds on. A part's module is imported
    the first time a hook asks for it, so that loading the plugin (``crmkit plugins list``, a
    command) does not import every part's pages and routes. A part without a module of some
    name declares nothing of that kind (a part without ``privacy`` holds nothing on parties)."""

    package: str
    names: tuple[str, ...]

    def each(self, module: str) -> list[ModuleType]:
        """Every part's ``module`` (``"privacy"``: ``<package>.<part>.privacy``), in order."""
        found = []
        for part in self.names:
            path = f"{self.package}.{part}.{module}"
            try:
                found.append(import_module(path))
            except ModuleNotFoundError as exc:
                if exc.name != path:  # a module the part's module imports is missing
                    raise
        return found

    def functions(self, module: str, name: str) -> list[Callable[..., Any]]:
        """Every part's ``module.name`` function, in order, from the parts whose module has one."""
        return [f for found in self.each(module) if (f := getattr(found, name, None)) is not None]

    def gathered(self, module: str, name: str) -> list[Any]:
        """The items of every part's ``module.name`` list, in order: ``gathered("tables", "TABLES")``.
        A module without the list declares none (``pages`` without ``MENU``)."""
        return [item for found in self.each(module) for item in getattr(found, name, ())]


def _gatherers(parts: Parts, plugin: str) -> dict[str, Callable[..., Any]]:
    """The hooks a plugin of ``parts`` gets without writing them, by hook name."""

    def register_tables() -> list[Any]:
        return parts.gathered("tables", "TABLES")

    def register_permissions() -> list[Any]:
        return parts.gathered("access", "PERMISSIONS")

    def register_event_types() -> list[Any]:
        return parts.gathered("event_types", "EVENT_TYPES")

    def register_jobs() -> list[Any]:
        return parts.gathered("jobs", "JOBS")

    def register_routes() -> list[Any]:
        return [*parts.gathered("routes", "ROUTES"), *parts.gathered("pages", "ROUTES")]

    def register_commands() -> list[Any]:
        return parts.gathered("commands", "COMMANDS")

    def menu_items(actor: Actor) -> list[Any]:
        return parts.gathered("pages", "MENU")

    # Merges and erasure run the later parts first: a part's rows may point at an earlier
    # part's, which must still be there when the later part finds its own through them.
    # A privacy module without one of the three functions holds nothing of that kind (rows
    # that name a party only through its external ids have nothing to move on a merge).
    def parties_merged(tx: Transaction, survivor_id: int, merged_id: int) -> None:
        for move in reversed(parts.functions("privacy", "move_to_survivor")):
            move(tx, survivor_id, merged_id)

    def erase_party(tx: Transaction, party_id: int) -> None:
        for erase in reversed(parts.functions("privacy", "erase")):
            erase(tx, party_id)

    def export_party(conn: Connection, party_id: int) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for export_of in parts.functions("privacy", "export_of"):
            found.update(export_of(conn, party_id))
        return {plugin: found}

    def seed_demo(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
        for demo in parts.each("demo"):
            demo.seed(app, conn, rng, now)

    return {
        hook.__name__: hook
        for hook in (
            register_tables,
            register_permissions,
            register_event_types,
            register_jobs,
            register_routes,
            register_commands,
            menu_items,
            parties_merged,
            erase_party,
            export_party,
            seed_demo,
        )
    }


def with_parts(hooks: ModuleType, plugin: str, parts: Parts) -> SimpleNamespace:
    """What the host registers for a plugin in parts: the hook implementations of its
    ``hooks`` module, and a gathering hook for each of the others."""
    own = {name: getattr(hooks, name) for name in dir(hooks) if _is_hookimpl(getattr(hooks, name))}
    gathering = {
        name: hookimpl(hook) for name, hook in _gatherers(parts, plugin).items() if name not in own
    }
    return SimpleNamespace(**gathering, **own)


def _is_hookimpl(value: Any) -> bool:
    return callable(value) and hasattr(value, f"{PROJECT}_impl")

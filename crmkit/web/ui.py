"""What plugins put into the pages: navigation, dashboard tiles, entity actions, timeline entries.

Plugin code runs isolated where a failure would otherwise take the whole page
down: a widget or a timeline renderer that raises is logged and replaced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from attrs import frozen
from markupsafe import Markup

from crmkit.core.entities import Interaction
from crmkit.core.errors import PluginError
from crmkit.core.permissions import is_allowed
from crmkit.core.ui import MenuItem, Panel

if TYPE_CHECKING:
    from crmkit.app import Crm
    from crmkit.core.actors import Actor
    from crmkit.core.entities import Party

log = logging.getLogger(__name__)

KERNEL_MENU: tuple[MenuItem, ...] = (
    MenuItem("Home", "/", order=0),
    MenuItem("Customers", "/customers", "core:party.read", order=10),
    MenuItem("Prospects", "/prospects", "core:party.read", order=20),
    MenuItem("Duplicates", "/match-reviews", "core:party.merge", order=25),
    MenuItem("Webhooks", "/admin/webhooks", "core:webhook.admin", order=90),
)


def _permitted(crm: Crm, actor: Actor, items: Iterable[MenuItem]) -> list[MenuItem]:
    allowed = [
        i for i in items if i.permission is None or is_allowed(crm.host, actor, i.permission)
    ]
    return sorted(allowed, key=lambda i: (i.order, i.label))


def navigation(crm: Crm, actor: Actor) -> list[MenuItem]:
    """The kernel's pages and the plugins' ``menu_items`` the actor may use, by order and label."""
    contributed = [item for items in crm.host.call("menu_items", actor=actor) for item in items]
    return _permitted(crm, actor, [*KERNEL_MENU, *contributed])


def entity_actions(crm: Crm, actor: Actor, entity_type: str, entity: Any) -> list[MenuItem]:
    """The plugins' ``entity_actions`` on ``entity`` that the actor may use."""
    offered = crm.host.call("entity_actions", actor=actor, entity_type=entity_type, entity=entity)
    return _permitted(crm, actor, [item for items in offered for item in items])


@frozen
class Tile:
    """A dashboard tile: the widget's HTML, or why it is missing."""

    name: str
    title: str
    body: Markup | None
    error: str | None = None


def dashboard(crm: Crm, actor: Actor) -> list[Tile]:
    """The tiles ``dashboard_widgets`` chooses for the actor, in order; a failing widget shows an error."""
    chosen = [name for names in crm.host.call("dashboard_widgets", actor=actor) for name in names]
    tiles = []
    for name in dict.fromkeys(chosen):
        widget = crm.widgets.get(name)
        if widget is None:
            tiles.append(Tile(name, name, None, f"No widget named {name!r} is registered."))
            continue
        if widget.permission is not None and not is_allowed(crm.host, actor, widget.permission):
            continue
        try:
            body = Markup(widget.render(crm, actor))
        except Exception:
            log.exception("widget %s failed to render", name)
            tiles.append(
                Tile(name, widget.title, None, "This tile failed; the error has been logged.")
            )
            continue
        tiles.append(Tile(name, widget.title, body))
    return tiles


def party_panels(crm: Crm, conn: Any, actor: Actor, party: Party) -> list[Tile]:
    """The plugins' ``party_panels`` for the actor, rendered on ``conn``, by order and title; a
    failing panel shows an error."""
    offered = crm.host.call("party_panels", app=crm, actor=actor, party=party)
    return render_panels(conn, [panel for panels in offered for panel in panels])


def render_panels(conn: Any, panels: Iterable[Panel]) -> list[Tile]:
    """``panels`` rendered on ``conn``, by order and title, for a page's template (``title``,
    ``body``, or ``error`` when the panel failed: logged, and the rest of the page shown). A
    plugin whose own page takes other plugins' panels (an opportunity's) renders them so."""
    tiles = []
    for panel in sorted(panels, key=lambda p: (p.order, p.title)):
        try:
            body = Markup(panel.render(conn))
        except Exception:
            log.exception("panel %r failed to render", panel.title)
            tiles.append(
                Tile(
                    panel.title,
                    panel.title,
                    None,
                    "This section failed; the error has been logged.",
                )
            )
            continue
        tiles.append(Tile(panel.title, panel.title, body))
    return tiles


Renderer = Callable[[Interaction], str]


def collect_timeline_renderers(crm: Crm) -> dict[str, Renderer]:
    """``{source: render}`` from every plugin's ``timeline_renderers``; a source claimed twice is an error."""
    renderers: dict[str, Renderer] = {}
    owners: dict[str, str] = {}
    for plugin, declared in crm.host.collect_by_plugin("timeline_renderers"):
        for source, render in declared.items():
            if source in owners:
                raise PluginError(
                    plugin, f"timeline_renderers: source {source!r} is rendered by {owners[source]}"
                )
            renderers[source], owners[source] = render, plugin
    return renderers


@frozen
class Entry:
    """One timeline entry: the interaction, and its plugin's HTML when a renderer took it."""

    interaction: Interaction
    html: Markup | None


def timeline_entries(
    renderers: Mapping[str, Renderer], items: Sequence[Interaction]
) -> list[Entry]:
    """Entries for ``items``; a renderer that fails leaves its entry to the kernel's rendering."""
    entries = []
    for item in items:
        render = renderers.get(item.source)
        html = None
        if render is not None:
            try:
                html = Markup(render(item))
            except Exception:
                log.exception(
                    "timeline renderer of %s failed on interaction %s", item.source, item.id
                )
        entries.append(Entry(item, html))
    return entries

"""Every hook the kernel offers, one documented function each.

Semantics, named in each docstring's last line and enforced by the plugin host:

* **collect** — every implementation runs; the host returns the list of their
  non-None results. An exception propagates (and rolls back the transaction).
* **first** — implementations run in order until one returns something other
  than None; that is the result.
* **veto** — any False denies, else any True allows, else the caller's default.
* **advisory** — every implementation runs isolated: an exception is logged
  with the plugin's name and the others still run; nothing is returned.
* **historic** — pluggy replays the call to plugins registered later.

Implementations may be ``async def``; the host awaits them. Implementations run
in reverse registration order — a plugin before the plugins it depends on — and
``tryfirst``/``trylast`` move them, as in pluggy; a hook declared
``dependencies_first`` runs them the other way round, where a plugin builds on what
those it depends on have done (their demo data). Wrappers (``wrapper=True``)
are not called: the host calls implementations one by one to apply the
semantics above.

A plugin's settings are not registered by a hook: ``PluginInfo.settings`` names
the attrs class, so that configuration is validated before any hook runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from crmkit.hooks.markers import hookspec

if TYPE_CHECKING:
    import random
    from datetime import datetime
    from types import ModuleType

    import cattrs
    import click
    from sqlalchemy import ColumnElement, Connection, Table
    from starlette.requests import Request
    from starlette.routing import BaseRoute

    from crmkit.app import Crm
    from crmkit.core.actors import Actor
    from crmkit.core.custom_fields import CustomField
    from crmkit.core.db import Transaction
    from crmkit.core.entities import Customer, Party, Prospect, RecordRef
    from crmkit.core.events import Event, EventType
    from crmkit.core.import_profiles import ImportProfile
    from crmkit.core.intake.findings import Finding
    from crmkit.core.jobs import Job
    from crmkit.core.permissions import Permission
    from crmkit.core.ui import MenuItem, Panel, Widget

Semantics = Literal["collect", "first", "veto", "advisory", "historic"]
SEMANTICS: dict[str, Semantics] = {}
"""Hook name -> semantics; filled by :func:`spec`, read by the plugin host."""
DEPENDENCIES_FIRST: set[str] = set()
"""Hooks whose implementations run in registration order: a plugin after its dependencies."""

F = TypeVar("F", bound=Callable[..., Any])


def spec(
    semantics: Semantics,
    *,
    dependencies_first: bool = False,
    warn_on_impl: Warning | None = None,
    warn_on_impl_args: Mapping[str, Warning] | None = None,
) -> Callable[[F], F]:
    """Declare a hook specification with its calling semantics (public as ``crmkit.hookspec``).

    Plugins publishing hooks of their own use it too, in the module their
    ``add_hookspecs`` returns. ``dependencies_first``: implementations run in
    registration order, a plugin after those it depends on, instead of before them.
    ``warn_on_impl`` deprecates the whole hook,
    ``warn_on_impl_args`` some of its arguments: each plugin implementing them
    gets the warning when it is loaded.
    """

    def mark(function: F) -> F:
        SEMANTICS[function.__name__] = semantics
        if dependencies_first:
            DEPENDENCIES_FIRST.add(function.__name__)
        return hookspec(
            historic=semantics == "historic",
            warn_on_impl=warn_on_impl,
            warn_on_impl_args=warn_on_impl_args,
        )(function)

    return mark


# --- Registration: called once at start-up, after every enabled plugin is registered.


@spec("historic")
def add_hookspecs() -> ModuleType | None:
    """Publish hooks of the plugin's own (named ``<plugin>_*``) for plugins that depend on it.

    Return the module holding the ``@hookspec`` functions. Called when the plugin
    is registered, before any plugin that depends on it.
    Semantics: historic.
    """


@spec("collect")
def register_tables() -> list[Table] | None:
    """Return the plugin's SQLAlchemy ``Table`` objects (all on ``crmkit.metadata``, prefixed ``<plugin>_``).

    Semantics: collect (lists are concatenated).
    """


@spec("collect")
def register_mappers(converter: cattrs.Converter) -> None:
    """Register (un)structure hooks for the plugin's own attrs types on the app's cattrs ``converter``.

    Semantics: collect.
    """


@spec("collect")
def register_routes() -> list[BaseRoute] | None:
    """Return Starlette routes; the app mounts them under ``/p/<plugin>/``.

    Semantics: collect.
    """


@spec("collect")
def register_commands() -> list[click.Command] | None:
    """Return click commands; they appear as ``crmkit <plugin> <command>``.

    Called only when that plugin's command group is invoked, so the rest of the
    CLI never imports the plugin.
    Semantics: collect.
    """


@spec("collect")
def register_jobs() -> list[Job] | None:
    """Return :class:`crmkit.Job` definitions (name ``<plugin>.<job>``, function, schedule).

    Semantics: collect.
    """


@spec("collect")
def register_permissions() -> list[Permission] | None:
    """Return :class:`crmkit.Permission` definitions (``<plugin>:<action>``) and the roles granted them.

    Semantics: collect.
    """


@spec("collect")
def register_channels() -> list[Any] | None:
    """Return outbound channel objects (each with ``name`` and a ``send(message)`` method).

    Semantics: collect; a channel name may be registered once.
    """


@spec("collect")
def register_connectors() -> list[Any] | None:
    """Return connector objects to external systems (each with a ``name``), e.g. an ERP or a DMS.

    Semantics: collect; a connector name may be registered once.
    """


@spec("collect")
def register_import_profiles() -> list[ImportProfile] | None:
    """Return :class:`crmkit.ImportProfile` layouts of other products' exports, for ``crmkit import --profile``.

    The kernel's ``salesforce`` and ``hubspot`` come through this hook too. Each
    profile is checked at start-up (:func:`crmkit.core.import_profiles.check_profile`):
    a bad one stops the start with a :class:`crmkit.PluginError` naming the field.
    Semantics: collect; a profile name may be registered once.
    """


@spec("collect")
def register_custom_fields() -> list[CustomField] | None:
    """Return :class:`crmkit.CustomField` declarations for kernel entities.

    Field names must start with ``<plugin>_``; values are validated on write,
    stored with the entity and can be filtered on in list queries.
    Semantics: collect.
    """


@spec("collect")
def register_widgets() -> list[Widget] | None:
    """Return dashboard :class:`crmkit.Widget` definitions (name, title, render function).

    Semantics: collect.
    """


@spec("collect")
def register_event_types() -> list[EventType] | None:
    """Return the :class:`crmkit.EventType` names (``<plugin>.<event>``) the plugin emits.

    Emitting an event type nobody registered is an error, so subscribers can
    rely on the catalogue.
    Semantics: collect.
    """


# --- Lifecycle.


@spec("collect")
def startup(app: Crm) -> None:
    """Called once when the application has started, after registration.

    Semantics: collect; an exception stops start-up.
    """


@spec("advisory")
def shutdown(app: Crm) -> None:
    """Called once when the application stops.

    Semantics: advisory.
    """


# --- Entity lifecycle.


@spec("collect")
def entity_validate(
    tx: Transaction, entity_type: str, entity: Any, changes: dict[str, Any]
) -> None:
    """Called before an entity is written; raise :class:`crmkit.ValidationError` to refuse the write.

    ``entity_type`` is ``prospect``, ``customer``, ``interaction``, ``user`` or a
    plugin's ``<plugin>.<entity>``; ``changes`` maps changed fields to new values
    (every field on create).
    Semantics: collect; an exception rolls the transaction back.
    """


@spec("collect")
def entity_saved(
    tx: Transaction, entity_type: str, entity: Any, change: Literal["created", "updated", "deleted"]
) -> None:
    """Called inside the transaction after an entity is written, to write derived rows.

    Semantics: collect; an exception rolls the transaction back.
    """


@spec("advisory")
def on_event(app: Crm, event: Event) -> None:
    """Called after commit for every domain event, at least once per subscriber.

    ``event.id`` is stable across redeliveries: use it as an idempotency key.
    Semantics: advisory; a failing subscriber is retried later, alone.
    """


# --- Identity.


@spec("first")
def match_party(conn: Connection, candidate: Party) -> list[tuple[int, float]] | None:
    """Find existing parties (prospects and customers) that are the same as ``candidate``.

    Return ``[(party_id, score), ...]`` with scores in [0, 1], best first. The
    kernel's default implementation matches exact keys (email, phone).
    Look at every party, whoever is acting: what intake then does with a match
    (merge, or hand the prospect over for review) obeys the caller's scope in one
    place, ``crmkit.core.intake.merge_rule``.
    Semantics: first.
    """


@spec("first")
def match_parties(
    tx: Transaction, candidates: Sequence[Party]
) -> list[list[tuple[int, float]]] | None:
    """Find the stored parties that are the same as each of ``candidates`` (a batch being imported).

    Return one list per candidate, in their order, each as ``match_party`` returns
    it. Match against the parties stored in ``tx``: intake compares the candidates
    with each other itself, with the kernel's matching engine, as it takes them in
    in order. The kernel's default implementation looks the whole batch up with
    one statement per kind of key; while a plugin implements ``match_party`` alone,
    it asks ``match_party`` for each candidate instead, so that the plugin's
    answer wins.
    Semantics: first.
    """


@spec("collect")
def sanity_check(record: Prospect) -> list[Finding] | None:
    """Check a prospect being taken in; return what is wrong with it as findings.

    A ``hard`` finding rejects the prospect (nothing is stored), a ``soft`` one
    lowers its quality. ``record`` is normalised (emails and phones parsed) and not
    yet stored. Codes listed in ``[intake] disabled_rules`` are dropped.
    Semantics: collect; the lists are concatenated.
    """


@spec("collect")
def score_prospect(prospect: Prospect) -> tuple[int, str] | None:
    """Contribute to a prospect's score: return ``(points, reason)``.

    Semantics: collect; the points are summed and the reasons kept.
    """


@spec("first")
def assign_owner(tx: Transaction, prospect: Prospect) -> int | None:
    """Choose the owner (a user id) of a new prospect that has none.

    Semantics: first.
    """


@spec("collect")
def prospect_converted(tx: Transaction, customer: Customer) -> None:
    """Called inside the transaction when a prospect has become ``customer`` (same id, same history).

    Semantics: collect; an exception rolls the transaction back.
    """


@spec("collect")
def parties_merged(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    """Re-point the plugin's rows from ``merged_id`` to ``survivor_id``; the merged party is then deleted.

    Semantics: collect; an exception rolls the merge back.
    """


@spec("collect")
def export_party(conn: Connection, party_id: int) -> dict[str, Any] | None:
    """Return everything the plugin holds on the party, for a privacy export (``{section: data}``).

    Semantics: collect; the dicts are merged into one document.
    """


@spec("collect")
def erase_party(tx: Transaction, party_id: int) -> None:
    """Delete or anonymise everything the plugin holds on the party (erasure on request).

    Semantics: collect; an exception rolls the erasure back.
    """


# --- Security.


@spec("first")
def actor_from_request(app: Crm, request: Request) -> Actor | None:
    """Authenticate ``request``: return the :class:`crmkit.Actor` it acts for, or None.

    A synchronous implementation runs in a worker thread; an async one on the event
    loop, so it must not block.
    Semantics: first.
    """


@spec("veto")
def permission_check(
    actor: Actor,
    action: str,
    resource: Any,
    granted_to: frozenset[str],
    conn: Connection | None,
) -> bool | None:
    """May ``actor`` perform ``action`` (``<namespace>:<verb>``) on ``resource`` (an entity or None)?

    ``granted_to`` holds the roles ``register_permissions`` grants the action to;
    ``conn``, when the caller has one, lets record-level rules ask the database.
    Return False to deny, True to allow, None to abstain.
    Semantics: veto (any False denies, else any True allows, else denied).
    """


@spec("collect")
def permission_filter(actor: Actor, entity_type: str, table: Table) -> ColumnElement[bool] | None:
    """Return a SQL condition on ``table`` limiting the rows of ``entity_type`` that ``actor`` may see.

    The conditions of every plugin are ANDed into list queries; no per-row hook calls.
    The condition must follow from the arguments alone (compare columns with the actor's
    attributes; a subquery for what the database knows, such as a manager's team): the
    kernel builds statements with it once per actor and reuses them.
    Semantics: collect.
    """


# --- Messages.


@spec("first")
def route_inbound(app: Crm, message: Any) -> str | None:
    """Claim an inbound message (email, SMS, social post): return the name of the plugin that takes it.

    Semantics: first.
    """


@spec("collect")
def feedback_received(
    tx: Transaction,
    party_id: int,
    survey: str,
    score: int | None,
    scale: tuple[int, int],
    text: str | None,
    reference: str | None,
) -> RecordRef | None:
    """A party answered a survey (NPS, CSAT, a questionnaire): act on the answer inside ``tx``.

    ``score`` is on ``scale`` (lowest, highest), e.g. ``(0, 10)`` for NPS, or None when
    the survey asked none; ``text`` is what the party wrote; ``survey`` is the survey's
    name; ``reference`` names the answer in the calling plugin, the same if it calls
    again for the same answer. Return a reference to what was made of the answer (a
    service case), or None.
    Semantics: collect.
    """


# --- UI.


@spec("collect")
def dashboard_widgets(actor: Actor) -> list[str] | None:
    """Return the names of registered widgets to show on ``actor``'s dashboard, in order.

    Semantics: collect.
    """


@spec("collect")
def menu_items(actor: Actor) -> list[MenuItem] | None:
    """Return :class:`crmkit.MenuItem` entries for ``actor``'s navigation.

    Semantics: collect.
    """


@spec("collect")
def entity_actions(actor: Actor, entity_type: str, entity: Any) -> list[MenuItem] | None:
    """Return actions (label and URL) offered on an entity's page.

    Semantics: collect.
    """


@spec("collect")
def party_panels(app: Crm, actor: Actor, party: Party) -> list[Panel] | None:
    """Return sections for ``party``'s page (the 360-degree view), which ``actor`` sees.

    Return only what the actor may read (``is_allowed(app.host, actor, ...)``); each
    :class:`crmkit.Panel`'s ``render(conn)`` is then called on the page's read connection.
    Panels are shown by ``order``, then title; one that raises is shown as failed and logged.
    Semantics: collect.
    """


@spec("collect")
def timeline_renderers() -> dict[str, Callable[[Any], str]] | None:
    """Return ``{source: render}``: how the plugin's interactions look on a timeline.

    ``render(interaction)`` returns safe HTML for one entry.
    Semantics: collect; later keys of one source are an error.
    """


@spec("first")
def handle_exception(request: Request, exc: Exception) -> Any:
    """Turn an exception raised while serving ``request`` into a response, or return None.

    Semantics: first.
    """


# --- Demo.


@spec("collect")
def demo_settings(url: str, secret: str) -> dict[str, Any] | None:
    """Settings that make the plugin work in ``crmkit demo``: ``{plugin name: its settings}``.

    Called once when the demo opens its database, before the demo CRM is built with
    them. ``url`` is where the demo is served (``http://127.0.0.1:8000``); ``secret`` is
    a random text kept with the demo's database, the same every time it opens, for
    settings that sign links. A real installation's settings come from crmkit.toml.
    Semantics: collect; the answers are merged, the later plugin's keys winning.
    """


@spec("collect", dependencies_first=True)
def seed_demo(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    """Fill the plugin's tables with demo data for the users and parties ``crmkit demo`` wrote.

    Called once, in the seeding transaction, after the kernel's demo data and after the
    demo data of the plugins this one depends on, optionally or not (the orders it earns
    points on, the segments it sends to): read the users and parties through ``conn`` and
    write with bulk inserts, as a restore would (no per-row hooks, no events). Draw every choice from ``rng``
    (seeded, so the demo is the same every time) and date everything relative
    to ``now``.
    Semantics: collect; an exception rolls the whole seeding back.
    """

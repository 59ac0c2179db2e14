"""Schema migrations: one Alembic environment, one branch per plugin, one version table.

Layout
------
* The kernel's branch is labelled ``core``. Its revision files live in
  ``crmkit/migrations/versions/``, beside the environment (``env.py``) and the
  revision template (``script.py.mako``) that every branch shares.
* A plugin's branch is labelled with the plugin's name. ``PluginInfo.migrations``
  names a package, by convention ``crmkit_<name>.migrations``, holding only an
  ``__init__.py`` and a ``versions/`` folder of revision files.
* The first revision of a plugin's branch carries the branch label and
  ``depends_on`` the labels ``core`` and those of the plugins it depends on that
  have migrations, so that ``upgrade`` creates what it refers to first. A later
  revision needing a newer revision of another branch names it in its own
  ``depends_on``.
* Revision ids are ``<branch>_<NNNN>`` (``core_0001``, ``sfa_0003``): readable in
  ``crmkit db current`` and unique across branches.
* The version table ``crmkit_alembic_version`` holds Alembic's heads for all
  branches; a revision implied by another through ``depends_on`` has no row of
  its own (:func:`current` works the branches out).

Which branches take part
------------------------
The kernel and the loaded plugins are *active*: ``upgrade`` brings them to their
heads and :func:`diff` compares their tables. Branches of plugins that are
installed but disabled or broken are still read, because the database may
record their revisions, but nothing upgrades them. A plugin whose migrations
package cannot be imported is left out and reported in :attr:`Layout.skipped`.

A table belongs to the branch whose ``<name>_`` is the longest prefix of the
table's name (``sfa_extra_note`` is ``sfa_extra``'s, not ``sfa``'s); autogenerate
for a branch sees only that branch's tables, and tables that belong to no branch
are never touched.
"""

from __future__ import annotations

import importlib.util
import re
from argparse import Namespace
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext, RevisionStep
from alembic.script import Script, ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError, to_tuple
from attrs import frozen
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError

import crmkit.migrations
from crmkit.core.errors import MigrationError
from crmkit.migrations.environment import VERSION_TABLE, context_options, on_database

if TYPE_CHECKING:
    from crmkit.app import Crm

__all__ = [
    "KERNEL_BRANCH",
    "VERSION_TABLE",
    "Branch",
    "Layout",
    "MigrationError",
    "branch_heads",
    "current",
    "dependencies",
    "diff",
    "downgrade",
    "heads",
    "layout",
    "recorded",
    "revision",
    "tables_of",
    "upgrade",
]

KERNEL_BRANCH = "core"
ENVIRONMENT = Path(crmkit.migrations.__file__).parent


@frozen
class Branch:
    """One branch: its label, its folder of revision files, what its first revision depends on."""

    name: str
    versions: Path
    depends: tuple[str, ...]
    active: bool
    """The kernel's or a loaded plugin's: upgraded by ``upgrade`` and compared by ``diff``."""


@frozen
class Layout:
    """Every branch whose revisions can be read, and the plugins left out of migrations (with why)."""

    branches: dict[str, Branch]
    skipped: dict[str, str]
    owners: tuple[str, ...]
    """Every name a table may belong to (kernel, every plugin known), longest first."""

    @property
    def active(self) -> list[str]:
        return [name for name, branch in self.branches.items() if branch.active]

    def owner(self, table_name: str) -> str | None:
        """The branch a table belongs to by its prefix, or None when crmkit does not own it."""
        return next((name for name in self.owners if table_name.startswith(f"{name}_")), None)


def layout(app: Crm) -> Layout:
    """The kernel's branch, then loaded plugins' in load order, then other installed plugins' by name."""
    loaded = app.host.loaded
    names = [*loaded, *sorted(set(app.host.statuses) - set(loaded))]
    folders: dict[str, Path] = {KERNEL_BRANCH: ENVIRONMENT / "versions"}
    skipped: dict[str, str] = {}
    for name in names:
        status = app.host.statuses[name]
        if status.state == "failed":
            skipped[name] = f"failed to load ({status.reason})"
        if status.info is None or status.info.migrations is None:
            continue
        try:
            folders[name] = _versions_folder(status.info.migrations)
        except Exception as exc:
            skipped[name] = (
                f"has a migrations package {status.info.migrations!r} that cannot be imported "
                f"({type(exc).__name__}: {exc})"
            )
    branches = {}
    for name, folder in folders.items():
        info = app.host.statuses[name].info if name != KERNEL_BRANCH else None
        depends = (
            () if info is None else (KERNEL_BRANCH, *(d for d in info.depends if d in folders))
        )
        active = name == KERNEL_BRANCH or (name in loaded and name not in skipped)
        branches[name] = Branch(name, folder, depends, active)
    owners = sorted({KERNEL_BRANCH, *app.host.statuses}, key=lambda n: (-len(n), n))
    return Layout(branches, skipped, tuple(owners))


def _versions_folder(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"no package named {package!r}")
    return Path(next(iter(spec.submodule_search_locations))) / "versions"


# --- The Alembic environment of one run


@frozen
class _Run:
    app: Crm
    layout: Layout
    config: Config
    script: ScriptDirectory


def _prepare(app: Crm, compare: Iterable[str] | None = None) -> _Run:
    """Configure Alembic from the app; autogenerate and diff see the tables of ``compare`` (default: active)."""
    plan = layout(app)
    # Quiet: callers report what happened in their own words.
    config = Config(cmd_opts=Namespace(quiet=True))
    # Values pass through ConfigParser interpolation, hence the doubled percent signs.
    config.set_main_option("script_location", str(ENVIRONMENT).replace("%", "%%"))
    config.set_main_option("path_separator", "newline")
    config.set_main_option(
        "version_locations",
        "\n".join(str(b.versions).replace("%", "%%") for b in plan.branches.values()),
    )
    config.attributes["crmkit_app"] = app
    config.attributes["crmkit_options"] = context_options(
        app.tables, plan.owner, plan.active if compare is None else compare
    )
    with _alembic_errors("reading the revision files"):
        script = ScriptDirectory.from_config(config)
        script.get_heads()  # builds the revision map now, so that its errors are reported here
    return _Run(app, plan, config, script)


@contextmanager
def _alembic_errors(action: str) -> Iterator[None]:
    """Alembic's and the database's errors as a :class:`MigrationError` naming the action."""
    try:
        yield
    except (CommandError, RevisionError) as exc:
        raise MigrationError(f"{action}: {exc}") from None
    except DBAPIError as exc:
        raise MigrationError(f"{action} failed and was rolled back: {exc.orig}") from exc


def _recorded_known(run: _Run) -> tuple[str, ...]:
    """The recorded revisions; one no branch provides is an error, as Alembic could not place it."""
    found = recorded(run.app)
    known = {s.revision for s in run.script.walk_revisions()}
    unknown = sorted(set(found) - known)
    if unknown:
        left_out = ", ".join(run.layout.skipped) or "none"
        raise MigrationError(
            f"the database records revision {unknown[0]}, which no installed plugin provides "
            f"(plugins left out: {left_out}); reinstall the plugin it came from, and downgrade "
            "its branch to base before removing it"
        )
    return found


def _migrate(run: _Run, action: str, steps: Callable[[Any], list[RevisionStep]]) -> None:
    _recorded_known(run)

    # ``current`` is the tuple of recorded revisions, which Alembic's planners accept.
    def plan(current: Any, _context: MigrationContext) -> list[RevisionStep]:
        return steps(current)

    with _alembic_errors(action), EnvironmentContext(run.config, run.script, fn=plan):
        run.script.run_env()


# --- The service


def upgrade(app: Crm, revision: str = "heads") -> None:
    """Upgrade to ``revision``; ``heads`` brings the kernel's and every loaded plugin's branch to its head."""
    run = _prepare(app)
    if revision == "heads":
        targets = _active_heads(run)
        # Alembic refuses a target that another implies through down_revision or depends_on.
        implied = {
            s.revision
            for t in targets
            for s in run.script.iterate_revisions(t, "base")
            if s.revision != t
        }
        destination: str | tuple[str, ...] = tuple(t for t in targets if t not in implied)
    else:
        destination = revision
    _migrate(
        run,
        f"upgrade to {revision}",
        # Alembic's own upgrade command plans with this same call.
        lambda current: run.script._upgrade_revs(destination, current),  # type: ignore[arg-type]
    )


def _active_heads(run: _Run) -> list[str]:
    active = set(run.layout.active)
    return [h for branch, hs in _heads_by_branch(run).items() if branch in active for h in hs]


def downgrade(app: Crm, revision: str) -> None:
    """Downgrade to ``revision``: ``sfa@base`` empties one plugin's branch, ``base`` all of them."""
    run = _prepare(app)
    _migrate(
        run,
        f"downgrade to {revision}",
        lambda current: run.script._downgrade_revs(revision, current),
    )


def recorded(app: Crm) -> tuple[str, ...]:
    """The revisions the version table records (Alembic's heads of the database)."""
    with app.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return context.get_current_heads()


def current(app: Crm) -> dict[str, str]:
    """The revision each branch of the database is at; branches at base are absent.

    A branch whose two heads were both applied shows them joined by ``" + "``.
    """
    run = _prepare(app)
    applied = list(run.script.iterate_revisions(_recorded_known(run), "base"))
    below = {down for script in applied for down in to_tuple(script.down_revision, default=())}
    found: dict[str, list[str]] = {}
    for script in applied:
        if script.revision not in below:
            found.setdefault(_branch_of(script), []).append(script.revision)
    return {branch: " + ".join(sorted(revisions)) for branch, revisions in found.items()}


def branch_heads(app: Crm) -> dict[str, tuple[str, ...]]:
    """Every head revision of every branch that has revisions (several mean a fork to merge)."""
    return _heads_by_branch(_prepare(app))


def _heads_by_branch(run: _Run) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for head in run.script.get_heads():
        found.setdefault(_branch_of(_script(run, head)), []).append(head)
    return {branch: tuple(sorted(revisions)) for branch, revisions in found.items()}


def heads(app: Crm) -> dict[str, str]:
    """The head revision of every branch; a branch with several heads is an error."""
    found = branch_heads(app)
    for branch, revisions in found.items():
        if len(revisions) > 1:
            raise MigrationError(
                f"branch {branch} has {len(revisions)} heads ({', '.join(revisions)}); "
                "merge them into one"
            )
    return {branch: revisions[0] for branch, revisions in found.items()}


def _script(run: _Run, revision: str) -> Script:
    script = run.script.get_revision(revision)
    assert script is not None
    return script


def _branch_of(script: Script) -> str:
    if len(script.branch_labels) != 1:
        raise MigrationError(
            f"revision {script.revision} ({script.path}) is on branches "
            f"{sorted(script.branch_labels) or 'none'}: every revision must be on exactly one "
            "(the first revision of a branch sets branch_labels)"
        )
    return next(iter(script.branch_labels))


def dependencies(app: Crm, branch: str) -> set[str]:
    """The other branches that ``branch``'s revisions name in ``depends_on``."""
    run = _prepare(app)
    found: set[str] = set()
    for script in run.script.walk_revisions():
        if branch in script.branch_labels:
            for needed in to_tuple(script.dependencies, default=()):
                found.add(_branch_of(_script(run, needed)))
    return found - {branch}


def diff(app: Crm, branch: str | None = None) -> list[Any]:
    """Differences between the database and ``app.tables`` (Alembic's diff tuples); empty means in sync.

    Only active branches' tables are compared, or only ``branch``'s.
    """
    plan = layout(app)
    options = context_options(app.tables, plan.owner, plan.active if branch is None else [branch])
    with app.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=on_database(options, conn))
        return compare_metadata(context, options["target_metadata"])


def tables_of(app: Crm, branch: str) -> list[str]:
    """The names of the database's tables that belong to ``branch``."""
    plan = layout(app)
    with app.engine.connect() as conn:
        names = inspect(conn).get_table_names()
    return sorted(name for name in names if plan.owner(name) == branch)


def revision(app: Crm, plugin: str, message: str, autogenerate: bool = False) -> Path:
    """Write a new revision on ``plugin``'s branch (or ``core``'s) and return its path.

    A branch's first revision creates the branch: its label, its ``depends_on``
    and the plugin's ``versions/`` folder. With ``autogenerate`` the database must
    be at its heads, and the revision holds what differs for this branch's tables only.
    """
    run = _prepare(app, compare=[plugin])
    branch = _branch(run, plugin)
    existing = _heads_by_branch(run)
    options: dict[str, Any] = {"head": f"{plugin}@head"}
    if plugin not in existing:
        missing = [d for d in branch.depends if d not in existing]
        if missing:
            raise MigrationError(
                f"branch {plugin} depends on branch {missing[0]}, which has no revision yet; "
                f"write {missing[0]}'s first revision first"
            )
        options = {
            "head": "base",
            "branch_label": plugin,
            "version_path": str(branch.versions),
            "depends_on": list(branch.depends) or None,
        }
    if autogenerate:
        _recorded_known(run)
    created = not branch.versions.exists()
    branch.versions.mkdir(exist_ok=True)
    try:
        with _alembic_errors(f"new revision on branch {plugin}"):
            written = command.revision(
                run.config,
                message,
                autogenerate=autogenerate,
                rev_id=_next_revision_id(run, plugin),
                process_revision_directives=_drop_if_empty if autogenerate else None,
                **options,
            )
        if not written:
            raise MigrationError(
                f"the database already matches the tables of {plugin}; no revision written"
            )
    except BaseException:
        if created and not any(branch.versions.iterdir()):
            branch.versions.rmdir()
        raise
    assert isinstance(written, Script)
    return Path(written.path)


def _drop_if_empty(_context: MigrationContext, _revision: Any, directives: list[Any]) -> None:
    if directives[0].upgrade_ops.is_empty():
        directives.clear()


def _branch(run: _Run, name: str) -> Branch:
    """The branch a new revision goes on, or an error saying why ``name`` has none."""
    branch = run.layout.branches.get(name)
    if branch is not None and branch.active:
        return branch
    if name in run.layout.skipped:
        raise MigrationError(f"plugin {name} {run.layout.skipped[name]}")
    status = run.app.host.statuses.get(name)
    if status is None:
        known = ", ".join(run.layout.active)
        raise MigrationError(f"no plugin named {name!r} is installed (branches: {known})")
    if status.state != "loaded":
        raise MigrationError(f"plugin {name} is {status.state} ({status.reason})")
    raise MigrationError(
        f"plugin {name} declares no migrations package (PluginInfo.migrations), so it has no branch"
    )


def _next_revision_id(run: _Run, branch: str) -> str:
    pattern = re.compile(rf"{re.escape(branch)}_(\d+)")
    numbers = [
        int(match.group(1))
        for script in run.script.walk_revisions()
        if (match := pattern.fullmatch(script.revision))
    ]
    return f"{branch}_{max(numbers, default=0) + 1:04d}"

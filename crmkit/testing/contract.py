"""The contract test every plugin runs: ``check_plugin("<name>")`` in the plugin's own tests."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

from packaging.utils import canonicalize_name

from crmkit.app import Crm
from crmkit.core import migrate
from crmkit.core.errors import CrmError, MigrationError, PluginError
from crmkit.hooks.host import ENTRY_POINT_GROUP, entry_points
from crmkit.hooks.plugin_info import PluginInfo
from crmkit.testing.apps import make_app, test_database


def check_plugin(
    plugin: str | PluginInfo, *, with_plugins: Iterable[str | PluginInfo] = ()
) -> None:
    """Assert that a plugin keeps crmkit's contract; the AssertionError names the check that failed.

    ``plugin`` is an installed plugin's name, or a :class:`PluginInfo` (then the
    distribution and package names are not checked); ``with_plugins`` are the
    not-installed plugins it depends on. Checks, in order: valid metadata; for
    an installed plugin, distribution ``crmkit-<name>`` and package
    ``crmkit_<name>``; the plugin loads with its tables prefixed ``<name>_``; its
    branch has one head and its first revision depends on ``core`` and on the
    branches of the plugins it depends on; on an empty database, upgrading
    leaves no difference to its tables and downgrading its branch to base
    leaves none of its tables. SQLite, or PostgreSQL when
    ``CRMKIT_TEST_DATABASE_URL`` is set.
    """
    info = plugin if isinstance(plugin, PluginInfo) else _installed(plugin)
    try:
        info.validate()
    except CrmError as exc:
        _fail(info.name, "metadata", _message(exc, info.name))
    with tempfile.TemporaryDirectory() as folder, test_database(Path(folder)) as db:
        try:
            app = make_app([plugin, *with_plugins], database=db, create_tables=False)
        except Exception as exc:
            _fail(info.name, "loads", _message(exc, info.name))
        try:
            _check_loaded(app, info.name)
            _check_migrations(app, info)
        finally:
            app.close()


def _fail(name: str, check: str, why: str) -> NoReturn:
    raise AssertionError(f"plugin {name!r} fails check {check!r}: {why}")


def _message(exc: Exception, name: str) -> str:
    if isinstance(exc, PluginError) and exc.plugin == name:
        return exc.reason  # the failure message names the plugin already
    return exc.message if isinstance(exc, CrmError) else f"{type(exc).__name__}: {exc}"


def _installed(name: str) -> PluginInfo:
    """The PluginInfo of an installed plugin, after checking how its distribution and package are named."""
    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not found:
        _fail(name, "installed", f"no entry point {name!r} in group {ENTRY_POINT_GROUP!r}")
    ep = found[0]
    try:
        info = ep.load()
    except Exception as exc:
        _fail(name, "metadata", f"entry point {ep.value!r} does not load: {_message(exc, name)}")
    if not isinstance(info, PluginInfo):
        _fail(name, "metadata", f"entry point {ep.value!r} is not a crmkit.PluginInfo")
    if info.name != name:
        _fail(name, "metadata", f"entry point name differs from PluginInfo.name {info.name!r}")
    dist = getattr(ep, "dist", None)
    if dist is None or canonicalize_name(dist.name) != canonicalize_name(info.distribution):
        actual = dist.name if dist is not None else "unknown"
        _fail(name, "naming", f"distribution is {actual!r}, must be {info.distribution!r}")
    package = f"crmkit_{name}"
    paths = {"entry point": ep.value, "hooks": info.hooks, "migrations": info.migrations}
    paths["settings"] = info.settings
    for field, path in paths.items():
        if path is not None and path.split(":")[0].split(".")[0] != package:
            _fail(name, "naming", f"{field} {path!r} is outside the package {package}")
    return info


def _check_loaded(app: Crm, name: str) -> None:
    status = app.host.statuses[name]
    if status.state != "loaded":
        _fail(name, "loads", f"plugin is {status.state}: {status.reason}")


def _check_migrations(app: Crm, info: PluginInfo) -> None:
    name = info.name
    plan = migrate.layout(app)
    tables = sorted(t.name for t in app.tables if plan.owner(t.name) == name)
    if name in plan.skipped:
        _fail(name, "migrations", plan.skipped[name])
    try:
        heads = migrate.branch_heads(app).get(name, ())
        if len(heads) > 1:
            _fail(name, "one head", f"branch {name} has heads {', '.join(heads)}; merge them")
        if not heads:
            if tables:
                _fail(
                    name, "migrations", f"tables {', '.join(tables)} but no migration creates them"
                )
            return
        required = {migrate.KERNEL_BRANCH, *(d for d in info.depends if d in plan.branches)}
        missing = sorted(required - migrate.dependencies(app, name))
        if missing:
            _fail(name, "depends_on", f"the first revision of {name} must depend on {missing[0]!r}")
        _check_round_trip(app, name)
    except MigrationError as exc:
        _fail(name, "migrations", exc.message)


def _check_round_trip(app: Crm, name: str) -> None:
    migrate.upgrade(app)
    differences = migrate.diff(app, name)
    if differences:
        listed = "; ".join(_describe(d) for d in differences)
        _fail(name, "upgrade matches tables", f"after upgrade the database differs: {listed}")
    migrate.downgrade(app, f"{name}@base")
    left = migrate.tables_of(app, name)
    if left:
        _fail(name, "downgrade", f"downgrading {name} to base leaves {', '.join(left)}")


def _describe(difference: Any) -> str:
    """One of Alembic's diff entries as ``add_column drifting_demo_item colour``."""
    if isinstance(difference, list):
        return "; ".join(_describe(d) for d in difference)
    kind, *parts = difference
    words = [kind]
    for part in parts:
        if part is None or isinstance(part, dict):
            continue
        words.append(part if isinstance(part, str) else getattr(part, "name", None) or repr(part))
    return " ".join(words)

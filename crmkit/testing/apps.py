"""Building throwaway applications and databases for tests."""

from __future__ import annotations

import itertools
import os
import sys
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import define, evolve
from sqlalchemy import Engine

from crmkit.app import Crm
from crmkit.core.db import make_engine
from crmkit.core.settings import Settings, load_settings
from crmkit.hooks.host import Candidate, candidate_from_info, discover
from crmkit.hooks.plugin_info import PluginInfo
from crmkit.testing import schemas, templates
from crmkit.testing.schemas import Declared, Shape
from crmkit.version import API_VERSION

if TYPE_CHECKING:
    from starlette.testclient import TestClient

TEST_DATABASE_ENV = "CRMKIT_TEST_DATABASE_URL"
_counter = itertools.count(1)


@define
class TestDatabase:
    """A database of its own for one test: a SQLite file, or a PostgreSQL schema."""

    __test__ = False  # not a test class, although a test module that imports it holds a Test*

    url: str
    engine: Engine
    schema: str | None = None
    tables: Declared = frozenset()
    shape: Shape = frozenset()
    """On PostgreSQL, the tables :meth:`create_tables` made, as declared and as found in
    the schema (see :mod:`.schemas`)."""

    @property
    def session_url(self) -> str:
        """The URL a process of its own (a command, a worker to kill) reaches this database by."""
        if self.schema is None:
            return self.url
        return f"{self.url}?options=-csearch_path%3D{self.schema}"

    def create_tables(self, app: Crm) -> None:
        """``app``'s tables, as ``app.create_tables()`` makes them: on SQLite a copy of the
        first such database this process made, on PostgreSQL an emptied schema kept from an
        earlier test, when there is one (see :mod:`.templates`, :mod:`.schemas`)."""
        tables = self.tables | schemas.declared(app.tables)
        if self.schema is None:
            # Only a database holding nothing yet is filled: one holding anything keeps it.
            empty = not self.tables and templates.is_empty(self.engine)
            if not (empty and templates.copy_template(self.engine, tables)):
                app.create_tables()
                if empty:
                    templates.keep_as_template(self.engine, tables)
            self.tables = tables
            return
        # Only a test with no tables yet moves: one that made some keeps them and its rows.
        kept = None if self.tables else schemas.take(self.url, tables)
        if kept is None:
            app.create_tables()
            self.tables, self.shape = tables, schemas.made(self.url, self.schema)
            return
        self.engine.dispose()
        schemas.move_in(self.url, kept[0], self.schema)
        self.tables, self.shape = tables, kept[1]

    def drop(self) -> None:
        self.engine.dispose()
        if self.schema is not None:
            schemas.give_back(self.url, self.schema, self.tables, self.shape)


@contextmanager
def test_database(folder: str | os.PathLike[str]) -> Iterator[TestDatabase]:
    """A fresh, empty database, dropped afterwards: a SQLite file in ``folder``, or a PostgreSQL
    schema (one kept from an earlier test is emptied first: see :mod:`.schemas`)."""
    server = os.environ.get(TEST_DATABASE_ENV)
    if not server:
        url = f"sqlite:///{Path(folder) / 'crmkit.db'}"
        db = TestDatabase(url, make_engine(url))
    else:
        schema = schemas.new_schema(server)
        engine = make_engine(server, connect_args={"options": f"-csearch_path={schema}"})
        db = TestDatabase(server, engine, schema)

    try:
        yield db
    finally:
        db.drop()


# Not a test, although a test module that imports it holds a test_* function.
test_database.__test__ = False  # type: ignore[attr-defined]


def register_plugin(impl: Any, name: str | None = None, **info: Any) -> PluginInfo:
    """A throwaway plugin whose hooks are the ``@hookimpl`` functions of ``impl``.

    ``impl`` may be a module, a class or an instance; ``info`` sets other
    :class:`PluginInfo` fields (``depends``, ``critical`` …).
    """
    name = name or f"throwaway{next(_counter)}"
    module_name = f"crmkit_throwaway_{name}_{next(_counter)}"
    module = types.ModuleType(module_name)
    for attr in dir(impl):
        value = getattr(impl, attr)
        if callable(value) and hasattr(value, "crmkit_impl"):
            setattr(module, attr, value)
    sys.modules[module_name] = module
    info.setdefault("requires_api", f"=={API_VERSION}")
    return PluginInfo(name=name, hooks=module_name, **info)


@cache
def _installed(path: tuple[str, ...]) -> dict[str, Candidate]:
    """The installed plugins, read once for each ``sys.path`` (a test may add a folder)."""
    return {c.name: c for c in discover()}


def _candidates(plugins: Iterable[str | PluginInfo]) -> list[Candidate]:
    installed: dict[str, Candidate] | None = None
    chosen: dict[str, Candidate] = {}
    pending = list(plugins)
    while pending:
        item = pending.pop(0)
        if isinstance(item, str) and item in chosen:
            continue  # a dependency given (as a PluginInfo) earlier in the list
        if isinstance(item, PluginInfo):
            cand = candidate_from_info(item)
        else:
            if installed is None:
                installed = _installed(tuple(sys.path))
            if item not in installed:
                raise LookupError(f"plugin {item!r} is not installed")
            cand = installed[item]
        if cand.name in chosen:
            continue
        chosen[cand.name] = cand
        if cand.info is not None:
            pending.extend(d for d in cand.info.depends if d not in chosen)
    return list(chosen.values())


def make_app(
    plugins: Iterable[str | PluginInfo] = (),
    *,
    database: TestDatabase | None = None,
    settings: Settings | None = None,
    create_tables: bool = True,
) -> Crm:
    """A CRM with exactly ``plugins`` (installed names or :class:`PluginInfo`) and their dependencies."""
    settings = settings or Settings(database_url="sqlite://")
    candidates = _candidates(plugins)
    settings = evolve(
        settings,
        plugins={**{c.name: True for c in candidates}, **settings.plugins},
        database_url=database.url if database else settings.database_url,
    )
    app = Crm(settings, candidates=candidates, engine=database.engine if database else None)
    if create_tables:
        if database is not None:
            database.create_tables(app)
        else:
            app.create_tables()
    return app


def crm_maker(make_crm: Callable[..., Crm], plugin: str) -> Callable[..., Crm]:
    """A plugin's ``make_<plugin>`` fixture: ``make({...}, with_plugins=("sfa",),
    plugins=(...), settings={"sfa": {...}}, create_tables=True)`` is a CRM on the test's
    database (``make_crm``) with the plugin and its dependencies, the named plugins, its
    settings table (``{...}``, or by the plugin's name: ``make(dms={...})``) and the others',
    refusing plugins it does not know (``strict_plugins``)."""

    def make(
        given: Mapping[str, Any] | None = None,
        /,
        *,
        plugins: Sequence[Any] = (),
        with_plugins: Sequence[str] = (),
        settings: Mapping[str, Any] | None = None,
        create_tables: bool = True,
        **named: Mapping[str, Any] | None,
    ) -> Crm:
        if set(named) - {plugin}:
            raise TypeError(f"make_{plugin}() takes the settings of {plugin!r} only: {named}")
        own = given or named.get(plugin) or {}
        crm_settings = Settings(
            database_url="sqlite://",
            strict_plugins=True,
            plugin_settings={plugin: own, **(settings or {})},
        )
        return make_crm(
            plugins=[*with_plugins, plugin, *plugins],
            settings=crm_settings,
            create_tables=create_tables,
        )

    return make


def settings_from_file(path: str | os.PathLike[str]) -> Settings:
    """The settings a ``crmkit.toml`` gives, read as the application reads it, environment aside."""
    if not Path(path).is_file():
        # The application falls back to its defaults; a test means the file it names.
        raise FileNotFoundError(f"no configuration file {path}")
    return load_settings(environ={}, config_path=path)


def http_client(app: Crm, **options: Any) -> TestClient:
    """An HTTP client (Starlette's TestClient) talking to the app's ASGI interface."""
    from starlette.testclient import TestClient

    from crmkit.web.app import create_asgi

    return TestClient(create_asgi(app), **options)

"""Building throwaway applications and databases for tests."""

from __future__ import annotations

import itertools
import os
import sys
import types
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import define, evolve
from sqlalchemy import Engine, text

from crmkit.app import Crm
from crmkit.core.db import make_engine
from crmkit.core.settings import Settings, load_settings
from crmkit.hooks.host import Candidate, candidate_from_info, discover
from crmkit.hooks.plugin_info import PluginInfo
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

    def drop(self) -> None:
        self.engine.dispose()
        if self.schema is not None:
            admin = make_engine(os.environ[TEST_DATABASE_ENV])
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            admin.dispose()


@contextmanager
def test_database(folder: str | os.PathLike[str]) -> Iterator[TestDatabase]:
    """A fresh, empty database, dropped afterwards: a SQLite file in ``folder``, or a PostgreSQL schema."""
    server = os.environ.get(TEST_DATABASE_ENV)
    if not server:
        url = f"sqlite:///{Path(folder) / 'crmkit.db'}"
        db = TestDatabase(url, make_engine(url))
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = make_engine(server)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
        db = TestDatabase(server, make_engine(server, **options), schema)
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
                installed = {c.name: c for c in discover()}
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
        app.create_tables()
    return app


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

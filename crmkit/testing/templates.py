"""SQLite databases for tests, copied from a template instead of created.

Creating a test's tables (a statement for each table and index of a few plugins) costs
most of a short test's time. The first test of a process that declares a set of tables
(:func:`crmkit.testing.schemas.declared`) creates them as usual, and its new, empty
database becomes the template; each later test declaring exactly those tables gets a copy
of it through SQLite's online backup, a few hundred pages copied in a millisecond or two.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine

from crmkit.testing.schemas import Declared

_templates: dict[Declared, Path] = {}


def is_empty(engine: Engine) -> bool:
    """Whether ``engine``'s database holds no table, index, view or trigger."""
    with _driver_connection(engine) as conn:
        return conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


def copy_template(engine: Engine, tables: Declared) -> bool:
    """Fill ``engine``'s empty database with the template of ``tables``; whether there was one."""
    template = _templates.get(tables)
    if template is None:
        return False
    with closing(sqlite3.connect(template)) as source:
        # No connection may hold the database while its pages are replaced, nor keep what
        # it knew of it.
        engine.dispose()
        with _driver_connection(engine) as target:
            source.backup(target)
        engine.dispose()
    return True


def keep_as_template(engine: Engine, tables: Declared) -> None:
    """Keep ``engine``'s database, its tables just created, as the template of ``tables``."""
    path = _folder() / f"{len(_templates)}.db"
    with closing(sqlite3.connect(path)) as target, _driver_connection(engine) as source:
        source.backup(target)
    _templates[tables] = path


@contextmanager
def _driver_connection(engine: Engine) -> Iterator[sqlite3.Connection]:
    pooled = engine.raw_connection()
    try:
        driver = pooled.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        yield driver
    finally:
        pooled.close()


@cache
def _folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="crmkit-test-templates-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder

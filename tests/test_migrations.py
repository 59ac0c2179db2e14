"""Migrations: the kernel's branch, plugin branches, autogenerate and ``crmkit db``."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from sqlalchemy import Column, ForeignKey, Index, String, Table, inspect, text

from crmkit import hookimpl, metadata
from crmkit.app import Crm
from crmkit.cli.main import cli
from crmkit.core import migrate
from crmkit.core.errors import MigrationError
from crmkit.core.tables import KERNEL_TABLES, Id, JSONType, UTCDateTime
from crmkit.hooks.host import discover
from crmkit.hooks.plugin_info import PluginInfo
from crmkit.testing import register_plugin

MakeCrm = Callable[..., Crm]
DemoPlugin = Callable[[str], PluginInfo]
MigrationsPackage = Callable[[dict[str, str]], str]

note = Table(
    "notes_demo_note",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_id", Id, ForeignKey("core_party.id", ondelete="CASCADE"), nullable=False),
    Column("body", String(2000), nullable=False),
    Column("tags", JSONType, nullable=False),
    Column("written_at", UTCDateTime(), nullable=False),
    Index(None, "party_id", "written_at"),
)

CORE_HEAD = "core_0013"
"""The newest revision of the kernel's branch: update it with every new core revision."""


class NotesHooks:
    @hookimpl
    def register_tables(self) -> list[Table]:
        return [note]


def table_names(app: Crm) -> set[str]:
    return set(inspect(app.engine).get_table_names())


def own_tables(app: Crm, prefix: str) -> set[str]:
    return {name for name in table_names(app) if name.startswith(prefix)}


# --- The kernel's branch


def test_kernel_upgrade_on_empty_database_creates_exactly_the_kernel_tables(
    make_crm: MakeCrm,
) -> None:
    app = make_crm(create_tables=False)

    migrate.upgrade(app)

    assert migrate.diff(app) == []
    assert table_names(app) == {t.name for t in KERNEL_TABLES} | {migrate.VERSION_TABLE}
    assert migrate.current(app) == migrate.heads(app) == {"core": CORE_HEAD}


def test_kernel_downgrade_to_base_removes_every_kernel_table(make_crm: MakeCrm) -> None:
    app = make_crm(create_tables=False)
    migrate.upgrade(app)

    migrate.downgrade(app, "base")

    assert table_names(app) == {migrate.VERSION_TABLE}
    assert migrate.current(app) == {}


def test_every_installed_branch_has_exactly_one_head(make_crm: MakeCrm) -> None:
    app = make_crm([c.name for c in discover() if c.info is not None], create_tables=False)

    found = migrate.branch_heads(app)

    assert found["core"]
    assert {branch: heads for branch, heads in found.items() if len(heads) != 1} == {}


def test_upgrade_works_on_a_brand_new_sqlite_file(make_crm: MakeCrm, tmp_path: Path) -> None:
    from crmkit.core.settings import Settings

    path = tmp_path / "new" / "crm.db"
    path.parent.mkdir()
    app = make_crm(
        settings=Settings(database_url=f"sqlite:///{path}"), database=None, create_tables=False
    )

    migrate.upgrade(app)

    assert path.is_file()
    assert migrate.diff(app) == []


# --- Plugin branches


def test_plugin_branch_upgrades_and_downgrades_without_touching_others(
    make_crm: MakeCrm, demo_plugin: DemoPlugin
) -> None:
    app = make_crm(
        [demo_plugin("ticketing_demo"), demo_plugin("drifting_demo")], create_tables=False
    )
    migrate.upgrade(app)

    migrate.downgrade(app, "ticketing_demo@base")

    assert own_tables(app, "ticketing_demo_") == set()
    assert own_tables(app, "drifting_demo_") == {"drifting_demo_item"}
    assert migrate.current(app) == {"core": CORE_HEAD, "drifting_demo": "drifting_demo_0001"}

    migrate.upgrade(app)

    assert own_tables(app, "ticketing_demo_") == {"ticketing_demo_ticket"}
    assert migrate.diff(app, "ticketing_demo") == []


def test_upgrading_one_plugin_branch_first_upgrades_core_it_depends_on(
    make_crm: MakeCrm, demo_plugin: DemoPlugin
) -> None:
    app = make_crm([demo_plugin("ticketing_demo")], create_tables=False)

    migrate.upgrade(app, "ticketing_demo@head")

    # The plugin's first revision depends on core_0001: core goes that far, no further.
    assert migrate.current(app) == {"core": "core_0001", "ticketing_demo": "ticketing_demo_0001"}
    assert migrate.diff(app, "ticketing_demo") == []


def test_broken_plugin_branch_is_skipped_and_its_revision_kept(
    make_crm: MakeCrm, demo_plugin: DemoPlugin
) -> None:
    ticketing = demo_plugin("ticketing_demo")
    migrate.upgrade(make_crm([ticketing], create_tables=False))
    broken = attrs.evolve(ticketing, hooks="crmkit_ticketing_demo.missing")

    app = make_crm([broken, demo_plugin("drifting_demo")], create_tables=False)
    migrate.upgrade(app)

    assert "ModuleNotFoundError" in migrate.layout(app).skipped["ticketing_demo"]
    assert migrate.current(app) == {
        "core": CORE_HEAD,
        "drifting_demo": "drifting_demo_0001",
        "ticketing_demo": "ticketing_demo_0001",
    }


def test_revision_no_installed_plugin_provides_is_a_clear_error(
    make_crm: MakeCrm, demo_plugin: DemoPlugin
) -> None:
    migrate.upgrade(make_crm([demo_plugin("ticketing_demo")], create_tables=False))
    kernel_only = make_crm(create_tables=False)

    with pytest.raises(MigrationError, match="records revision ticketing_demo_0001, which no"):
        migrate.upgrade(kernel_only)


def test_failed_upgrade_rolls_back_every_branch(make_crm: MakeCrm, demo_plugin: DemoPlugin) -> None:
    app = make_crm([demo_plugin("ticketing_demo")], create_tables=False)
    with app.engine.begin() as conn:
        conn.execute(text("CREATE TABLE ticketing_demo_ticket (id INTEGER PRIMARY KEY)"))

    with pytest.raises(MigrationError, match="failed and was rolled back"):
        migrate.upgrade(app)

    assert table_names(app) == {"ticketing_demo_ticket"}
    assert migrate.current(app) == {}


def test_unknown_revision_is_a_clear_error_and_changes_nothing(make_crm: MakeCrm) -> None:
    app = make_crm(create_tables=False)
    migrate.upgrade(app)

    with pytest.raises(MigrationError, match=r"downgrade to nonsense: .*'nonsense'"):
        migrate.downgrade(app, "nonsense")

    assert migrate.current(app) == {"core": CORE_HEAD}


def test_batch_migration_keeps_rows_that_refer_to_the_copied_table(
    make_crm: MakeCrm, migrations_package: MigrationsPackage
) -> None:
    # Dropping a column copies the table on SQLite; with foreign keys on, dropping
    # the old copy would delete the children through ON DELETE CASCADE.
    package = migrations_package(
        {
            "safety_demo_0001_tables.py": SAFETY_0001,
            "safety_demo_0002_drop_column.py": SAFETY_0002,
        }
    )
    plugin = register_plugin(object(), name="safety_demo", migrations=package)
    app = make_crm([plugin], create_tables=False)

    migrate.upgrade(app)

    with app.engine.connect() as conn:
        assert conn.execute(text("SELECT id, parent_id FROM safety_demo_child")).all() == [(1, 1)]
    columns = {c["name"] for c in inspect(app.engine).get_columns("safety_demo_parent")}
    assert columns == {"id"}


SAFETY_0001 = """
import sqlalchemy as sa
from alembic import op

revision = "safety_demo_0001"
down_revision = None
branch_labels = ("safety_demo",)
depends_on = "core"


def upgrade():
    op.create_table(
        "safety_demo_parent",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("obsolete", sa.String(10)),
    )
    op.create_table(
        "safety_demo_child",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "parent_id", sa.Integer, sa.ForeignKey("safety_demo_parent.id", ondelete="CASCADE")
        ),
    )
    op.execute("INSERT INTO safety_demo_parent (id, obsolete) VALUES (1, 'x')")
    op.execute("INSERT INTO safety_demo_child (id, parent_id) VALUES (1, 1)")


def downgrade():
    op.drop_table("safety_demo_child")
    op.drop_table("safety_demo_parent")
"""

SAFETY_0002 = """
from alembic import op

revision = "safety_demo_0002"
down_revision = "safety_demo_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("safety_demo_parent") as batch_op:
        batch_op.drop_column("obsolete")


def downgrade():
    raise NotImplementedError
"""


def test_table_belongs_to_the_plugin_with_the_longest_matching_prefix(
    make_crm: MakeCrm, migrations_package: MigrationsPackage
) -> None:
    notes = register_plugin(object(), name="notes", migrations=migrations_package({}))
    notes_demo = register_plugin(NotesHooks(), name="notes_demo", migrations=migrations_package({}))
    app = make_crm([notes, notes_demo], create_tables=False)
    migrate.upgrade(app)

    assert migrate.diff(app, "notes") == []
    assert [d[0] for d in migrate.diff(app, "notes_demo")] == ["add_table", "add_index"]


# --- New revisions


def touched_tables(source: str) -> set[str]:
    """The tables a revision's operations name."""
    operation = r"(?:(?<![\w.])op\.(?!f\()\w+|batch_alter_table)"
    return set(re.findall(operation + r"\(\s*['\"](\w+)['\"]", source))


def test_autogenerate_writes_only_the_plugins_own_tables(
    make_crm: MakeCrm, demo_plugin: DemoPlugin, migrations_package: MigrationsPackage
) -> None:
    notes = register_plugin(NotesHooks(), name="notes_demo", migrations=migrations_package({}))
    # drifting_demo's table differs from its migration: that must not leak into notes_demo's.
    app = make_crm(
        [demo_plugin("ticketing_demo"), demo_plugin("drifting_demo"), notes],
        create_tables=False,
    )
    migrate.upgrade(app)

    path = migrate.revision(app, "notes_demo", "create notes", autogenerate=True)

    source = path.read_text()
    assert path.name == "notes_demo_0001_create_notes.py"
    assert touched_tables(source) == {"notes_demo_note"}
    assert "branch_labels = ('notes_demo',)" in source
    assert "depends_on = 'core'" in source
    assert "# ###" not in source, "alembic's please-adjust markers are left out"
    assert source.startswith('"""create notes')
    compile(source, path.name, "exec")
    migrate.upgrade(app)
    assert migrate.diff(app, "notes_demo") == []
    assert migrate.current(app)["notes_demo"] == "notes_demo_0001"


def test_autogenerate_with_nothing_to_change_writes_nothing(
    make_crm: MakeCrm, migrations_package: MigrationsPackage
) -> None:
    notes = register_plugin(NotesHooks(), name="notes_demo", migrations=migrations_package({}))
    app = make_crm([notes], create_tables=False)
    migrate.upgrade(app)
    first = migrate.revision(app, "notes_demo", "create notes", autogenerate=True)
    migrate.upgrade(app)

    with pytest.raises(MigrationError, match="already matches the tables of notes_demo"):
        migrate.revision(app, "notes_demo", "nothing", autogenerate=True)

    assert list(first.parent.glob("*.py")) == [first]


def test_next_revision_continues_the_plugins_branch(
    make_crm: MakeCrm, migrations_package: MigrationsPackage
) -> None:
    notes = register_plugin(NotesHooks(), name="notes_demo", migrations=migrations_package({}))
    app = make_crm([notes], create_tables=False)

    first = migrate.revision(app, "notes_demo", "create notes")
    second = migrate.revision(app, "notes_demo", "add an index")

    assert first.parent == second.parent
    assert first.parent.name == "versions"
    assert "down_revision = 'notes_demo_0001'" in second.read_text()
    assert migrate.heads(app)["notes_demo"] == "notes_demo_0002"


def test_revision_for_plugin_without_migrations_is_refused(make_crm: MakeCrm) -> None:
    app = make_crm([register_plugin(NotesHooks(), name="notes_demo")], create_tables=False)

    with pytest.raises(MigrationError, match="notes_demo declares no migrations package"):
        migrate.revision(app, "notes_demo", "create notes")


def test_revision_for_unknown_plugin_is_refused(make_crm: MakeCrm) -> None:
    app = make_crm(create_tables=False)

    with pytest.raises(MigrationError, match="no plugin named 'nope' is installed"):
        migrate.revision(app, "nope", "anything")


def test_failed_autogenerate_writes_nothing(
    make_crm: MakeCrm, migrations_package: MigrationsPackage
) -> None:
    package = migrations_package({})
    notes = register_plugin(NotesHooks(), name="notes_demo", migrations=package)
    app = make_crm([notes], create_tables=False)  # the database is not upgraded

    with pytest.raises(MigrationError, match="not up to date"):
        migrate.revision(app, "notes_demo", "create notes", autogenerate=True)

    assert migrate.layout(app).branches["notes_demo"].versions.exists() is False


# --- crmkit db


@pytest.fixture
def run_db(monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str, str]]:
    """``run_db(app, "upgrade")``: run ``crmkit db …`` on ``app``; exit code, stdout, stderr."""

    def run(app: Crm, *args: str) -> tuple[int, str, str]:
        monkeypatch.setattr("crmkit.cli.db.get_app", lambda: app)
        result = CliRunner().invoke(cli, ["db", *args])
        return result.exit_code, result.stdout, result.stderr

    return run


def lines(output: str) -> list[list[str]]:
    return [line.split() for line in output.splitlines()]


def test_db_upgrade_current_and_heads(
    make_crm: MakeCrm, demo_plugin: DemoPlugin, run_db: Callable[..., tuple[int, str, str]]
) -> None:
    app = make_crm([demo_plugin("ticketing_demo")], create_tables=False)
    expected = [["core", CORE_HEAD], ["ticketing_demo", "ticketing_demo_0001"]]

    code, out, err = run_db(app, "upgrade")

    assert (code, err) == (0, "")
    assert sorted(lines(out)) == expected
    assert sorted(lines(run_db(app, "current")[1])) == expected
    assert sorted(lines(run_db(app, "heads")[1])) == expected


def test_db_commands_work_when_a_plugin_is_broken(
    make_crm: MakeCrm, demo_plugin: DemoPlugin, run_db: Callable[..., tuple[int, str, str]]
) -> None:
    ticketing = demo_plugin("ticketing_demo")
    run_db(make_crm([ticketing], create_tables=False), "upgrade")
    broken = attrs.evolve(ticketing, hooks="crmkit_ticketing_demo.missing")
    app = make_crm([broken], create_tables=False)

    code, _, err = run_db(app, "upgrade")
    current = run_db(app, "current")[1]

    assert code == 0
    assert "plugin ticketing_demo failed to load" in err
    assert "its migrations are skipped" in err
    assert sorted(lines(current)) == [
        ["core", CORE_HEAD],
        ["ticketing_demo", "ticketing_demo_0001", "(not", "loaded)"],
    ]


def test_db_revision_for_unknown_plugin_exits_non_zero(
    make_crm: MakeCrm, run_db: Callable[..., tuple[int, str, str]]
) -> None:
    code, out, err = run_db(make_crm(create_tables=False), "revision", "-p", "nope", "-m", "x")

    assert code == 1
    assert out == ""
    assert "no plugin named 'nope' is installed" in err


def test_db_downgrade_to_bad_revision_exits_non_zero(
    make_crm: MakeCrm, run_db: Callable[..., tuple[int, str, str]]
) -> None:
    app = make_crm(create_tables=False)
    run_db(app, "upgrade")

    code, _, err = run_db(app, "downgrade", "nonsense")

    assert code == 1
    assert "downgrade to nonsense" in err
    assert migrate.current(app) == {"core": CORE_HEAD}

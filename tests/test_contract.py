"""``check_plugin``: the contract test every plugin runs, and the message it fails with."""

from __future__ import annotations

import os
from collections.abc import Callable

import attrs
import pytest
from sqlalchemy import Column, Index, Table, Text

from crmkit import hookimpl, metadata
from crmkit.core.tables import Id
from crmkit.hooks.plugin_info import PluginInfo
from crmkit.testing import check_plugin, register_plugin

DemoPlugin = Callable[[str], PluginInfo]
MigrationsPackage = Callable[[dict[str, str]], str]

unmigrated = Table("unmigrated_demo_thing", metadata, Column("id", Id, primary_key=True))
leftover = Table("leftover_demo_thing", metadata, Column("id", Id, primary_key=True))
# A full-text index of the database's own: FTS5 on SQLite, an index on PostgreSQL only.
indexed = Table(
    "fulltext_demo_note",
    metadata,
    Column("id", Id, primary_key=True),
    Column("body", Text, nullable=False),
    Index("ix_fulltext_demo_note_body", "body").ddl_if(dialect="postgresql"),
)


class Registers:
    """Hooks registering the tables given."""

    def __init__(self, *tables: Table) -> None:
        self.tables = list(tables)

    @hookimpl
    def register_tables(self) -> list[Table]:
        return self.tables


def test_installed_plugin_keeping_the_contract_passes(demo_plugin: DemoPlugin) -> None:
    demo_plugin("ticketing_demo")

    check_plugin("ticketing_demo")


def test_plugin_without_tables_or_migrations_passes() -> None:
    check_plugin(register_plugin(object(), name="plain_demo"))


def test_migration_not_matching_the_tables_fails_naming_the_difference(
    demo_plugin: DemoPlugin,
) -> None:
    with pytest.raises(
        AssertionError,
        match=r"plugin 'drifting_demo' fails check 'upgrade matches tables': .*"
        r"add_column drifting_demo_item colour",
    ):
        check_plugin(demo_plugin("drifting_demo"))


def test_branch_with_two_heads_fails(demo_plugin: DemoPlugin) -> None:
    with pytest.raises(
        AssertionError,
        match="fails check 'one head': branch forked_demo has heads "
        "forked_demo_0002, forked_demo_0003; merge them",
    ):
        check_plugin(demo_plugin("forked_demo"))


def test_installed_plugin_with_a_misnamed_distribution_fails(demo_plugin: DemoPlugin) -> None:
    demo_plugin("forked_demo")

    with pytest.raises(
        AssertionError,
        match="fails check 'naming': distribution is 'forked-demo', must be 'crmkit-forked-demo'",
    ):
        check_plugin("forked_demo")


def test_not_installed_plugin_name_fails() -> None:
    with pytest.raises(AssertionError, match="fails check 'installed'"):
        check_plugin("nowhere_demo")


def test_invalid_metadata_fails() -> None:
    bad = PluginInfo(name="bad_demo", requires_api="one point oh", hooks="x")

    with pytest.raises(AssertionError, match="fails check 'metadata': requires_api"):
        check_plugin(bad)


def test_plugin_that_does_not_load_fails(demo_plugin: DemoPlugin) -> None:
    broken = attrs.evolve(demo_plugin("ticketing_demo"), hooks="crmkit_ticketing_demo.missing")

    with pytest.raises(AssertionError, match="fails check 'loads': plugin is failed: Module"):
        check_plugin(broken)


def test_migrations_package_that_cannot_be_imported_fails() -> None:
    plugin = register_plugin(object(), name="lost_demo", migrations="crmkit_lost_demo.migrations")

    with pytest.raises(
        AssertionError,
        match=r"fails check 'migrations': has a migrations package 'crmkit_lost_demo\.migrations' "
        r"that cannot be imported",
    ):
        check_plugin(plugin)


def test_table_without_the_plugins_prefix_fails() -> None:
    plugin = register_plugin(Registers(unmigrated), name="other_demo")

    with pytest.raises(
        AssertionError,
        match=r"fails check 'loads': .*unmigrated_demo_thing must be named other_demo_",
    ):
        check_plugin(plugin)


def test_tables_without_migrations_fail() -> None:
    plugin = register_plugin(Registers(unmigrated), name="unmigrated_demo")

    with pytest.raises(
        AssertionError,
        match="fails check 'migrations': tables unmigrated_demo_thing but no migration creates them",
    ):
        check_plugin(plugin)


def test_first_revision_not_depending_on_a_declared_dependency_fails(
    demo_plugin: DemoPlugin,
) -> None:
    drifting = demo_plugin("drifting_demo")
    ticketing = attrs.evolve(demo_plugin("ticketing_demo"), depends=("drifting_demo",))

    with pytest.raises(
        AssertionError, match=r"fails check 'depends_on': .*must depend on 'drifting_demo'"
    ):
        check_plugin(ticketing, with_plugins=[drifting])


def test_virtual_tables_and_indexes_of_another_database_are_not_differences(
    migrations_package: MigrationsPackage,
) -> None:
    package = migrations_package({"fulltext_demo_0001_create.py": FULLTEXT_0001})
    plugin = register_plugin(Registers(indexed), name="fulltext_demo", migrations=package)

    check_plugin(plugin)


def test_downgrade_that_leaves_a_virtual_table_fails(
    migrations_package: MigrationsPackage,
) -> None:
    kept = FULLTEXT_0001.replace('op.execute("DROP TABLE fulltext_demo_note_words")', "pass")
    package = migrations_package({"fulltext_demo_0001_create.py": kept})
    plugin = register_plugin(Registers(indexed), name="fulltext_demo", migrations=package)

    if os.environ.get("CRMKIT_TEST_DATABASE_URL"):
        check_plugin(plugin)  # no virtual table on PostgreSQL: nothing is left
        return
    with pytest.raises(
        AssertionError, match=r"fails check 'downgrade': .* leaves fulltext_demo_note_words"
    ):
        check_plugin(plugin)


def test_downgrade_that_leaves_tables_fails(migrations_package: MigrationsPackage) -> None:
    package = migrations_package({"leftover_demo_0001_create.py": LEFTOVER_0001})
    plugin = register_plugin(Registers(leftover), name="leftover_demo", migrations=package)

    with pytest.raises(
        AssertionError,
        match="fails check 'downgrade': downgrading leftover_demo to base leaves leftover_demo_thing",
    ):
        check_plugin(plugin)


LEFTOVER_0001 = """
import sqlalchemy as sa
from alembic import op

revision = "leftover_demo_0001"
down_revision = None
branch_labels = ("leftover_demo",)
depends_on = "core"


def upgrade():
    op.create_table(
        "leftover_demo_thing",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leftover_demo_thing")),
    )


def downgrade():
    pass
"""


FULLTEXT_0001 = """
import sqlalchemy as sa
from alembic import op

revision = "fulltext_demo_0001"
down_revision = None
branch_labels = ("fulltext_demo",)
depends_on = "core"


def upgrade():
    op.create_table(
        "fulltext_demo_note",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulltext_demo_note")),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE fulltext_demo_note_words USING fts5("
            "body, content='fulltext_demo_note', content_rowid='id')"
        )
    else:
        op.create_index("ix_fulltext_demo_note_body", "fulltext_demo_note", ["body"])


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE fulltext_demo_note_words")
    op.drop_table("fulltext_demo_note")
"""

"""A plugin laid out in parts (``PluginInfo.parts``): crmkit gathers what each part declares."""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from crmkit import Crm, PluginError, PluginInfo
from crmkit.testing import add_party

PartsPlugin = Callable[..., PluginInfo]


@pytest.fixture
def parts_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PartsPlugin:
    """``parts_plugin({"part/module.py": source}, parts=(...))``: a new plugin package in parts."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(files: dict[str, str], parts: tuple[str, ...] = ("first", "second")) -> PluginInfo:
        name = f"parts{uuid.uuid4().hex[:8]}"
        package = tmp_path / f"crmkit_{name}"
        package.mkdir()
        for folder in ("", *parts):
            (package / folder / "__init__.py").parent.mkdir(exist_ok=True)
            (package / folder / "__init__.py").write_text("")
        files.setdefault("hooks.py", "")
        for path, source in files.items():
            text = textwrap.dedent(source).replace("PLUGIN_NAME", name)
            (package / path).write_text(text)
        return PluginInfo(
            name=name, requires_api=">=1,<2", hooks=f"crmkit_{name}.hooks", parts=parts
        )

    return make


TABLE = """
    from sqlalchemy import Column, ForeignKey, Table
    from crmkit import Id, metadata

    TABLES = [
        Table(
            "PLUGIN_NAME_{name}",
            metadata,
            Column("id", Id, primary_key=True),
            Column("party_id", Id, ForeignKey("core_party.id")),
        )
    ]
"""

# Each part records the order its privacy functions ran in, in a list the test reads.
PRIVACY = """
    from crmkit_PLUGIN_NAME import calls

    def move_to_survivor(tx, survivor_id, merged_id):
        calls.append(("merge", "{name}"))

    def export_of(conn, party_id):
        calls.append(("export", "{name}"))
        return {{"{name}": party_id}}

    def erase(tx, party_id):
        calls.append(("erase", "{name}"))
"""


def test_each_parts_declarations_are_gathered_in_order(
    parts_plugin: PartsPlugin, make_crm: Callable[..., Crm]
) -> None:
    info = parts_plugin(
        {
            "first/tables.py": TABLE.format(name="first"),
            "second/tables.py": TABLE.format(name="second"),
            "first/access.py": """
                from crmkit import Permission
                PERMISSIONS = [Permission("PLUGIN_NAME:thing.read", "Read things", ("admin",))]
            """,
            # A pages module without MENU, and no part with jobs or routes: the plugin loads.
            "second/pages.py": "ROUTES = []\n",
        }
    )
    crm = make_crm(plugins=[info])
    tables = [t.name for t in crm.host.call("register_tables")[0]]
    assert tables == [f"{info.name}_first", f"{info.name}_second"]
    party_id = add_party(crm, "customer")
    with crm.transaction() as tx:  # created: the rows go in
        second = next(t for t in crm.tables if t.name == f"{info.name}_second")
        tx.conn.execute(insert(second).values(party_id=party_id))
    declared = [p.name for ps in crm.host.call("register_permissions") for p in ps]
    assert f"{info.name}:thing.read" in declared


def test_merges_and_erasure_run_later_parts_first_and_exports_in_order(
    parts_plugin: PartsPlugin, make_crm: Callable[..., Crm]
) -> None:
    info = parts_plugin(
        {
            "__init__.py": "calls = []\n",
            "first/privacy.py": PRIVACY.format(name="first"),
            "second/privacy.py": PRIVACY.format(name="second"),
        }
    )
    crm = make_crm(plugins=[info])
    calls: list[Any] = __import__(f"crmkit_{info.name}").calls
    survivor, merged = add_party(crm, "customer"), add_party(crm, "customer")
    with crm.transaction() as tx:
        crm.host.call("parties_merged", tx=tx, survivor_id=survivor, merged_id=merged)
        crm.host.call("erase_party", tx=tx, party_id=merged)
    with crm.read() as conn:
        found = crm.host.call("export_party", conn=conn, party_id=survivor)
    assert calls == [
        ("merge", "second"),
        ("merge", "first"),
        ("erase", "second"),
        ("erase", "first"),
        ("export", "first"),
        ("export", "second"),
    ]
    assert {info.name: {"first": survivor, "second": survivor}} in found


def test_a_privacy_module_may_lack_a_function_it_has_nothing_for(
    parts_plugin: PartsPlugin, make_crm: Callable[..., Crm]
) -> None:
    # The second part's rows name parties by their external ids only: nothing to move.
    without_merge = PRIVACY.format(name="second").replace("def move_to_survivor", "def _unused")
    info = parts_plugin(
        {
            "__init__.py": "calls = []\n",
            "first/privacy.py": PRIVACY.format(name="first"),
            "second/privacy.py": without_merge,
        }
    )
    crm = make_crm(plugins=[info])
    calls: list[Any] = __import__(f"crmkit_{info.name}").calls
    survivor, merged = add_party(crm, "customer"), add_party(crm, "customer")
    with crm.transaction() as tx:
        crm.host.call("parties_merged", tx=tx, survivor_id=survivor, merged_id=merged)
        crm.host.call("erase_party", tx=tx, party_id=merged)
    assert calls == [("merge", "first"), ("erase", "second"), ("erase", "first")]


def test_a_hook_the_plugin_writes_itself_replaces_the_gathered_one(
    parts_plugin: PartsPlugin, make_crm: Callable[..., Crm]
) -> None:
    info = parts_plugin(
        {
            "first/tables.py": TABLE.format(name="first"),
            "hooks.py": """
                from crmkit import hookimpl

                @hookimpl
                def register_tables():
                    return []
            """,
        }
    )
    crm = make_crm(plugins=[info])
    assert f"{info.name}_first" not in [t.name for t in crm.tables]
    assert crm.host.implementers("register_tables").count(info.name) == 1


def test_a_part_module_whose_own_import_fails_fails_the_plugin(
    parts_plugin: PartsPlugin, make_crm: Callable[..., Crm]
) -> None:
    # Only a part without the module declares nothing; a broken module is an error, not silence.
    info = parts_plugin({"first/tables.py": "import crmkit_no_such_module\nTABLES = []\n"})
    with pytest.raises(ModuleNotFoundError, match="crmkit_no_such_module"):
        make_crm(plugins=[info])


def test_a_part_name_must_be_a_module_name() -> None:
    info = PluginInfo(name="shop", requires_api=">=1", hooks="crmkit_shop.hooks", parts=("a-b",))
    with pytest.raises(PluginError, match="part 'a-b' is not a module name"):
        info.validate()

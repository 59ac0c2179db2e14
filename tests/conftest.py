"""Fixtures shared by the kernel's tests."""

from __future__ import annotations

import importlib
import types
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from crmkit import hookimpl
from crmkit.app import Crm
from crmkit.core.actors import Actor
from crmkit.core.entities import User
from crmkit.core.interactions import build_interaction, log_interaction
from crmkit.core.parties import build_party, create_party
from crmkit.core.users import create_user
from crmkit.hooks.plugin_info import PluginInfo
from crmkit.testing import http_client, register_plugin

PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture
def demo_plugin(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], PluginInfo]:
    """``demo_plugin("ticketing_demo")``: a throwaway plugin of tests/plugins, installed for this test."""
    monkeypatch.syspath_prepend(str(PLUGINS))
    return lambda name: importlib.import_module(f"crmkit_{name}.__crmkit__").PLUGIN


@pytest.fixture
def migrations_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[dict[str, str]], str]:
    """``migrations_package({file name: source})``: a new importable migrations package; returns its name."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(revisions: dict[str, str]) -> str:
        name = f"crmkit_migrations_{uuid.uuid4().hex[:8]}"
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
        if revisions:
            (tmp_path / name / "versions").mkdir()
        for file_name, source in revisions.items():
            (tmp_path / name / "versions" / file_name).write_text(source)
        return name

    return make


SHARED_PHONE = "+49 30 555 0000"


@attrs.frozen
class World:
    """Users of every role and parties owned across teams and territories (see ``world``)."""

    actors: dict[str, Actor]
    parties: dict[str, int]
    interactions: dict[str, int]
    sees: dict[str, frozenset[str]]
    """Actor name -> names of the parties the permission rules let it see."""
    roles: dict[str, str]
    """Party name -> prospect or customer."""
    shared_phone: str = SHARED_PHONE
    """Every party has this number too, so one lookup finds them all."""

    def visible_ids(self, actor: str) -> set[int]:
        return {self.parties[name] for name in self.sees[actor]}


@pytest.fixture
def world(crm: Crm) -> World:
    """Two teams (north: manager mia, sales sam; south: sales sue), service, marketing, read-only.

    sam's territory is DE-1 (German postcodes 1…), sue's is FR. Each party has one
    interaction, the surname Leakcheck and the phone ``World.shared_phone``.
    """
    users = [
        User(username="ada", display_name="Ada", role="admin"),
        User(username="mia", display_name="Mia", role="manager", team="north"),
        User(username="sue", display_name="Sue", role="sales", team="south", territories=("FR",)),
        User(username="sid", display_name="Sid", role="service"),
        User(username="max", display_name="Max", role="marketing"),
        User(username="rob", display_name="Rob", role="read-only"),
    ]
    with crm.transaction() as tx:
        ids = {u.username: create_user(tx, u).id for u in users}
        sam = User(
            username="sam",
            display_name="Sam",
            role="sales",
            team="north",
            manager_id=ids["mia"],
            territories=("DE-1",),
        )
        ids["sam"] = create_user(tx, sam).id
        users.append(sam)
    actors = {
        u.username: Actor(
            user_id=ids[u.username],
            username=u.username,
            role=u.role,
            team=u.team,
            territories=u.territories,
        )
        for u in users
    }

    def address(country: str, postcode: str) -> dict[str, str]:
        return {"street": "Hauptstr.", "postcode": postcode, "city": "Town", "country": country}

    specs: dict[str, tuple[str, str | None, list[dict[str, str]]]] = {
        "sam_own": ("prospect", "sam", [address("GB", "SW1A 1AA")]),
        "sam_territory": ("customer", "sue", [address("DE", "10115")]),
        "sue_own": ("prospect", "sue", [address("IT", "00100")]),
        "unowned_fr": ("customer", None, [address("FR", "75001")]),
        "mia_own": ("customer", "mia", []),
        "ada_de2": ("prospect", "ada", [address("DE", "20095"), address("DE", "10115")]),
    }
    parties, interactions = {}, {}
    with crm.transaction() as tx:
        for i, (name, (role, owner, addresses)) in enumerate(specs.items()):
            data = {
                "first_name": name,
                "last_name": "Leakcheck",
                "phones": [SHARED_PHONE, f"+49 30 555 100{i}"],
                "emails": [f"{name}@example.org"],
                "addresses": addresses,
                "owner_id": ids[owner] if owner else None,
            }
            party_id = create_party(tx, build_party(role, data, region="DE")).id
            assert party_id is not None
            parties[name] = party_id
            item = build_interaction(
                {"party_id": party_id, "channel": "phone", "direction": "inbound", "summary": name}
            )
            interactions[name] = log_interaction(tx, item).id
    everyone = frozenset(specs)
    sees = {
        "ada": everyone,
        "rob": everyone,
        "max": everyone,
        "sid": frozenset({"sam_territory", "unowned_fr", "mia_own"}),
        "sam": frozenset({"sam_own", "sam_territory"}),
        "sue": frozenset({"sam_territory", "sue_own", "unowned_fr"}),
        "mia": frozenset({"sam_own", "unowned_fr", "mia_own"}),
    }
    roles = {name: role for name, (role, _, _) in specs.items()}
    return World(actors, parties, interactions, sees, roles)


@pytest.fixture
def client_as(make_crm: Callable[..., Crm]) -> Callable[[Actor], Any]:
    """``client_as(actor)``: an HTTP client of the kernel on this test's database, acting as ``actor``."""

    def make(actor: Actor) -> Any:
        signon = types.SimpleNamespace(actor_from_request=hookimpl(lambda request: actor))
        return http_client(make_crm(plugins=[register_plugin(signon, name="signon")]))

    return make

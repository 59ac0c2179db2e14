"""Registration hooks: what plugins contribute at start-up, and the naming rules the kernel enforces."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from attrs import frozen
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, inspect, select

from crmkit import CustomField, Permission, PluginError, hookimpl, hookspec, metadata
from crmkit.app import Crm
from crmkit.hooks import specs
from crmkit.testing import register_plugin


@pytest.fixture
def notes_table() -> Iterator[Table]:
    """A plugin table on crmkit's MetaData, removed again so that no other test sees it."""
    table = Table(
        "notes_entry",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("text", String(200), nullable=False),
    )
    yield table
    metadata.remove(table)


class Tables:
    def __init__(self, *tables: Table) -> None:
        self.tables = list(tables)

    @hookimpl
    def register_tables(self) -> list[Table]:
        return self.tables


def test_hook_register_tables(make_crm: Callable[..., Crm], notes_table: Table) -> None:
    app = make_crm(plugins=[register_plugin(Tables(notes_table), name="notes")])
    assert notes_table in app.tables
    with app.engine.begin() as conn:
        assert "notes_entry" in inspect(conn).get_table_names()
        conn.execute(insert(notes_table).values(text="called back"))
        assert conn.execute(select(notes_table.c.text)).scalar() == "called back"


def test_table_without_the_plugin_prefix_is_refused(
    make_crm: Callable[..., Crm], notes_table: Table
) -> None:
    with pytest.raises(PluginError) as caught:
        make_crm(plugins=[register_plugin(Tables(notes_table), name="memo")])
    assert caught.value.plugin == "memo"
    assert "notes_entry must be named memo_*" in caught.value.message


def test_table_on_another_metadata_is_refused(make_crm: Callable[..., Crm]) -> None:
    stray = Table("notes_stray", MetaData(), Column("id", Integer, primary_key=True))
    with pytest.raises(PluginError, match=r"not on crmkit\.metadata"):
        make_crm(plugins=[register_plugin(Tables(stray), name="notes")])


@frozen
class Temperature:
    celsius: float


class Mappers:
    @hookimpl
    def register_mappers(self, converter: Any) -> None:
        converter.register_structure_hook(
            Temperature, lambda value, _: Temperature(float(value.rstrip("°C")))
        )
        converter.register_unstructure_hook(Temperature, lambda t: f"{t.celsius}°C")


def test_hook_register_mappers(make_crm: Callable[..., Crm]) -> None:
    app = make_crm(plugins=[register_plugin(Mappers(), name="weather")], create_tables=False)
    assert app.converter.structure("21.5°C", Temperature) == Temperature(21.5)
    assert app.converter.unstructure(Temperature(3.0)) == "3.0°C"


class Permissions:
    def __init__(self, *permissions: Permission) -> None:
        self.permissions = list(permissions)

    @hookimpl
    def register_permissions(self) -> list[Permission]:
        return self.permissions


def test_hook_register_permissions(make_crm: Callable[..., Crm]) -> None:
    approve = Permission("quotes:approve", "Approve quotations", ("admin", "manager"))
    app = make_crm(
        plugins=[register_plugin(Permissions(approve), name="quotes")], create_tables=False
    )
    assert app.permissions["quotes:approve"] is approve
    assert "core:party.read" in app.permissions


@pytest.mark.parametrize(
    ("name", "problem"),
    [("approve", "must be named quotes:*"), ("core:party.read", "must be named quotes:*")],
)
def test_permission_outside_the_plugin_namespace_is_refused(
    make_crm: Callable[..., Crm], name: str, problem: str
) -> None:
    plugin = register_plugin(Permissions(Permission(name, "x")), name="quotes")
    with pytest.raises(PluginError) as caught:
        make_crm(plugins=[plugin], create_tables=False)
    assert caught.value.plugin == "quotes"
    assert problem in caught.value.message


@frozen
class Channel:
    name: str
    sent: list[str]

    def send(self, message: str) -> None:
        self.sent.append(message)


class Channels:
    def __init__(self, *channels: Channel) -> None:
        self.channels = list(channels)

    @hookimpl
    def register_channels(self) -> list[Channel]:
        return self.channels


class Connectors:
    def __init__(self, *connectors: Channel) -> None:
        self.connectors = list(connectors)

    @hookimpl
    def register_connectors(self) -> list[Channel]:
        return self.connectors


def test_hook_register_channels(make_crm: Callable[..., Crm]) -> None:
    sms = Channel("sms", [])
    app = make_crm(plugins=[register_plugin(Channels(sms), name="texting")], create_tables=False)
    app.channels["sms"].send("Your car is ready")
    assert sms.sent == ["Your car is ready"]


def test_channel_name_registered_twice_is_refused(make_crm: Callable[..., Crm]) -> None:
    plugins = [
        register_plugin(Channels(Channel("sms", [])), name="texting"),
        register_plugin(Channels(Channel("sms", [])), name="bulk"),
    ]
    with pytest.raises(PluginError) as caught:
        make_crm(plugins=plugins, create_tables=False)
    # "texting" registers after "bulk" and runs first, so "bulk" finds the name taken.
    assert caught.value.plugin == "bulk"
    assert "register_channels: name 'sms' is already taken" in caught.value.message


def test_hook_register_connectors(make_crm: Callable[..., Crm]) -> None:
    erp = Channel("sap", [])
    app = make_crm(plugins=[register_plugin(Connectors(erp), name="erp")], create_tables=False)
    assert app.connectors == {"sap": erp}
    assert app.channels == {}
    with pytest.raises(PluginError, match="register_connectors: name 'sap' is already taken"):
        make_crm(
            plugins=[
                register_plugin(Connectors(Channel("sap", [])), name="erp"),
                register_plugin(Connectors(Channel("sap", [])), name="erp_two"),
            ],
            create_tables=False,
        )


class Fields:
    @hookimpl
    def register_custom_fields(self) -> list[CustomField]:
        return [CustomField("customer", "fleet_vehicles", "integer", label="Vehicles")]


def test_hook_register_custom_fields(make_crm: Callable[..., Crm]) -> None:
    app = make_crm(plugins=[register_plugin(Fields(), name="fleet")], create_tables=False)
    assert app.custom_fields.of("customer")["fleet_vehicles"].label == "Vehicles"
    assert app.custom_fields.of("prospect") == {}
    assert app.custom_fields.validate("customer", {"fleet_vehicles": "3"}) == {"fleet_vehicles": 3}


# --- Plugins publishing hooks of their own.


@pytest.fixture
def erp_specs() -> Iterator[types.ModuleType]:
    """The module of hook specs the "erp" plugin publishes; unpublished again afterwards."""

    @hookspec("first")
    def erp_price(product: str) -> str | None:
        """The price of ``product`` as another plugin knows it.

        Semantics: first.
        """

    module = types.ModuleType("crmkit_test_erp_specs")
    module.erp_price = erp_price  # type: ignore[attr-defined]
    yield module
    del specs.SEMANTICS["erp_price"]


class Erp:
    def __init__(self, published: types.ModuleType) -> None:
        self.published = published

    @hookimpl
    def add_hookspecs(self) -> types.ModuleType:
        return self.published


class Shop:
    @hookimpl
    def erp_price(self, product: str) -> str:
        return f"{product}: 9.90 EUR"


def test_hook_add_hookspecs(make_crm: Callable[..., Crm], erp_specs: types.ModuleType) -> None:
    app = make_crm(
        plugins=[
            register_plugin(Shop(), name="shop", depends=["erp"]),
            register_plugin(Erp(erp_specs), name="erp"),
        ],
        create_tables=False,
    )
    assert app.host.loaded == ["erp", "shop"]
    assert specs.SEMANTICS["erp_price"] == "first"
    assert app.host.call("erp_price", product="wiper") == "wiper: 9.90 EUR"


def test_implementing_a_hook_nobody_published_fails_the_plugin(
    make_crm: Callable[..., Crm],
) -> None:
    app = make_crm(plugins=[register_plugin(Shop(), name="shop")], create_tables=False)
    assert app.host.statuses["shop"].reason == "implements unknown hook 'erp_price'"


class OptionalShop:
    @hookimpl(optionalhook=True)
    def erp_price(self, product: str) -> str:
        return f"{product}: 4.50 EUR"


def test_an_optional_implementation_waits_for_its_hook(
    make_crm: Callable[..., Crm], erp_specs: types.ModuleType
) -> None:
    """Without the publishing plugin the shop loads; with it, the implementation answers."""
    alone = make_crm(plugins=[register_plugin(OptionalShop(), name="shop")], create_tables=False)
    assert alone.host.loaded == ["shop"]
    together = make_crm(
        plugins=[
            register_plugin(OptionalShop(), name="shop"),
            register_plugin(Erp(erp_specs), name="erp"),
        ],
        create_tables=False,
    )
    assert together.host.call("erp_price", product="wiper") == "wiper: 4.50 EUR"

"""``[plugins.erp_sap.connection]``: systems as an integrator writes them in crmkit.toml."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_erp_sap.connection.settings import ConnectionSettings

from crmkit import ConfigurationError, Crm, PluginError
from crmkit.testing import settings_from_file

TOML = """
[crmkit]
database_url = "sqlite://"

[plugins.erp_sap.connection.systems.S4P]
base_url = "https://s4p.example.com"
client = "100"
page_size = 200

[plugins.erp_sap.connection.systems.S4P.auth]
kind = "oauth2"
token_url = "https://s4p.example.com/oauth/token"
client_id = "crmkit"
client_secret = "env:SAP_S4P_SECRET"

[plugins.erp_sap.connection.systems.QAS]
base_url = "http://qas.example.com:8000"

[plugins.erp_sap.connection.systems.QAS.auth]
user = "CRM_SYNC"
password = "secret"
"""


def test_systems_are_read_from_crmkit_toml_with_defaults(tmp_path: Any) -> None:
    path = tmp_path / "crmkit.toml"
    path.write_text(TOML)

    connection = ConnectionSettings(
        **settings_from_file(path).plugin_settings["erp_sap"]["connection"]
    )

    s4p, qas = connection.systems["S4P"], connection.systems["QAS"]
    assert (s4p.client, s4p.page_size, s4p.auth.kind, s4p.auth.client_secret) == (
        "100",
        200,
        "oauth2",
        "env:SAP_S4P_SECRET",
    )
    assert (qas.client, qas.auth.kind, qas.timeout, qas.max_retries, qas.page_size) == (
        None,
        "basic",
        30.0,
        5,
        500,
    )
    with pytest.raises(ConfigurationError, match="several SAP systems"):
        connection.system(None)
    assert connection.system("QAS")[0] == "QAS"


@pytest.mark.parametrize(
    ("system", "named"),
    [
        ({"base_url": "ftp://s4p.example.com"}, "base_url"),
        ({"base_url": "https://s4p.example.com", "page_size": 0}, "page_size"),
        ({"base_url": "https://s4p.example.com", "page_size": "500"}, "page_size"),
        ({"base_url": "https://s4p.example.com", "max_retries": 50}, "max_retries"),
        ({"base_url": "https://s4p.example.com", "timeout": -1}, "timeout"),
        ({"base_url": "https://s4p.example.com", "client": "1000"}, "client"),
        ({"base_url": "https://s4p.example.com", "auth": {"kind": "saml"}}, "kind"),
        ({"base_url": "https://s4p.example.com", "auth": {"token": "x"}}, "token"),
        ({"page_size": 10}, "base_url"),
        ({"base_url": "https://s4p.example.com", "pagesize": 10}, "unknown setting 'pagesize'"),
        (
            {"base_url": "https://s4p.example.com", "auth": {"kind": "oauth2", "client_id": "x"}},
            "'token_url' is needed",
        ),
        ("https://s4p.example.com", "expected a table"),
    ],
)
def test_a_system_that_cannot_be_used_stops_the_crm_at_start_naming_what_is_wrong(
    make_erp_sap: Any, system: Any, named: str
) -> None:
    with pytest.raises((ConfigurationError, PluginError)) as raised:
        make_erp_sap(erp_sap={"connection": {"systems": {"S4P": system}}})

    assert "plugins.erp_sap.connection.systems" in str(raised.value)
    assert "S4P" in str(raised.value)
    assert named in str(raised.value)
    # One line naming the setting, none of attrs' internals.
    assert "Attribute(" not in str(raised.value) and "__init__" not in str(raised.value)


def test_the_configured_system_is_in_the_crm_settings(make_erp_sap: Any) -> None:
    crm: Crm = make_erp_sap(
        erp_sap={
            "connection": {
                "systems": {"S4P": {"base_url": "https://s4p.example.com", "client": "100"}}
            }
        }
    )

    assert crm.settings_of["erp_sap"].connection.system(None)[1].client == "100"


def test_orders_naming_a_system_not_configured_stop_the_crm_at_start(make_erp_sap: Any) -> None:
    part = "orders"
    systems = {"S4P": {"base_url": "https://s4p.example.com"}}
    with pytest.raises((ConfigurationError, PluginError)) as raised:
        make_erp_sap(erp_sap={"connection": {"systems": systems}, part: {"system": "S4X"}})

    assert f"{part}: 'system' 'S4X' is no SAP system" in str(raised.value)
    assert "configured: S4P" in str(raised.value)

"""The plugin as a whole: the contract every plugin honours."""

from __future__ import annotations

from crmkit.testing import check_plugin


def test_plugin_honours_the_contract() -> None:
    check_plugin("erp_sap")


def test_plugin_honours_the_contract_with_sfa() -> None:
    check_plugin("erp_sap", with_plugins=("sfa",))

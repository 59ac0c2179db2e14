"""The plugin host: discovery, enablement, ordering, failures and calling semantics."""

from __future__ import annotations

import asyncio
import logging
import sys
import textwrap
import threading
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen

from crmkit import API_VERSION, PluginError, PluginInfo, hookimpl
from crmkit.app import Crm
from crmkit.core.settings import Settings, load_settings
from crmkit.hooks.host import PluginHost, candidate_from_info, discover, topological_order
from crmkit.testing import register_plugin

# --- Entry-point discovery, with real distributions on sys.path.

Installer = Callable[..., None]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Installer]:
    """``install(name, metadata, hooks)``: a distribution ``crmkit-<name>`` on sys.path."""
    root = tmp_path / "site-packages"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    packages: list[str] = []

    def installer(name: str, metadata: str, hooks: str = "", version: str = "1.2.0") -> None:
        package = root / f"crmkit_{name}"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "__crmkit__.py").write_text(textwrap.dedent(metadata))
        (package / "hooks.py").write_text(textwrap.dedent(hooks))
        dist = root / f"crmkit_{name}-{version}.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: crmkit-{name}\nVersion: {version}\n"
            f"Summary: The {name} plugin\n"
        )
        (dist / "entry_points.txt").write_text(
            f"[crmkit.plugin]\n{name} = crmkit_{name}.__crmkit__:PLUGIN\n"
        )
        packages.append(f"crmkit_{name}")

    yield installer
    for module in [m for m in sys.modules if m.split(".")[0] in packages]:
        del sys.modules[module]


GREETER_INFO = """
    from crmkit import PluginInfo

    PLUGIN = PluginInfo(
        name="greeter",
        requires_api=">=1.0,<2",
        hooks="crmkit_greeter.hooks",
        default_enabled={default},
    )
"""
GREETER_HOOKS = """
    from crmkit import hookimpl

    @hookimpl
    def route_inbound(message):
        return "greeter" if message == "hello" else None
"""


def start(tmp_path: Path, toml: str = "", **environ: str) -> Crm:
    """An application configured like a deployment: crmkit.toml, environment, discovery.

    Only the distributions this test installed are considered, so that plugins
    installed in the environment cannot change the outcome.
    """
    config = tmp_path / "crmkit.toml"
    config.write_text(toml)
    settings = load_settings(
        environ={"CRMKIT_DATABASE_URL": "sqlite://", **environ}, config_path=config
    )
    ours = [c for c in discover() if c.name == "greeter"]
    return Crm(settings, candidates=ours)


def test_discovered_plugin_is_loaded_with_its_distribution_metadata(
    install: Installer, tmp_path: Path
) -> None:
    install("greeter", GREETER_INFO.format(default=True), GREETER_HOOKS)
    app = start(tmp_path)
    status = app.host.statuses["greeter"]
    assert (status.state, status.version, status.description) == (
        "loaded",
        "1.2.0",
        "The greeter plugin",
    )
    assert app.route_inbound("hello") == "greeter"
    app.close()


def test_disabled_plugin_code_is_never_imported(install: Installer, tmp_path: Path) -> None:
    install("greeter", GREETER_INFO.format(default=False), GREETER_HOOKS)
    app = start(tmp_path)
    assert app.host.statuses["greeter"].state == "disabled"
    assert "crmkit_greeter.__crmkit__" in sys.modules
    assert "crmkit_greeter.hooks" not in sys.modules
    assert app.route_inbound("hello") is None
    app.close()


@pytest.mark.parametrize(
    ("default", "toml", "variable", "state"),
    [
        (False, "[plugins]\ngreeter = true\n", None, "loaded"),
        (True, "[plugins]\ngreeter = false\n", None, "disabled"),
        (True, "[plugins.greeter]\nenabled = false\n", None, "disabled"),
        (False, "[plugins]\ngreeter = false\n", "greeter", "loaded"),
        (True, "[plugins]\ngreeter = true\n", "*,-greeter", "disabled"),
        (True, "[plugins]\ngreeter = true\n", "sfa", "disabled"),
        (False, "", "*", "disabled"),
    ],
)
def test_environment_beats_crmkit_toml_beats_the_plugin_default(
    install: Installer,
    tmp_path: Path,
    default: bool,
    toml: str,
    variable: str | None,
    state: str,
) -> None:
    install("greeter", GREETER_INFO.format(default=default), GREETER_HOOKS)
    environ = {} if variable is None else {"CRMKIT_PLUGINS": variable}
    app = start(tmp_path, toml, **environ)
    assert app.host.statuses["greeter"].state == state
    assert ("crmkit_greeter.hooks" in sys.modules) is (state == "loaded")
    app.close()


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ("raise ImportError('no such thing')", "metadata failed to load"),
        ("PLUGIN = {'name': 'greeter'}", "not a crmkit.PluginInfo"),
        (
            "from crmkit import PluginInfo\n"
            "PLUGIN = PluginInfo(name='hello', requires_api='>=1', hooks='x')",
            "differs from PluginInfo.name 'hello'",
        ),
        (
            "from crmkit import PluginInfo\n"
            "PLUGIN = PluginInfo(name='greeter', requires_api='one', hooks='x')",
            "not a PEP 440 specifier",
        ),
    ],
)
def test_broken_metadata_is_reported_and_the_rest_still_starts(
    install: Installer, tmp_path: Path, metadata: str, reason: str
) -> None:
    install("greeter", metadata)
    candidates = {c.name: c for c in discover()}
    assert candidates["greeter"].info is None
    app = start(tmp_path)
    status = app.host.statuses["greeter"]
    assert status.state == "failed"
    assert reason in (status.reason or "")
    app.close()


def test_strict_mode_stops_start_up_on_broken_metadata(install: Installer, tmp_path: Path) -> None:
    install("greeter", "raise ImportError('no such thing')")
    with pytest.raises(PluginError) as caught:
        start(tmp_path, CRMKIT_STRICT_PLUGINS="true")
    assert caught.value.plugin == "greeter"


# --- Loading plugins given directly (the same path as discovered ones after discovery).


def load(*infos: PluginInfo, strict: bool = False, **options: Any) -> PluginHost:
    host = PluginHost(API_VERSION, strict=strict)
    host.load(
        [candidate_from_info(info) for info in infos],
        enabled=lambda _name, default: default,
        **options,
    )
    return host


class Nothing:
    """A plugin that implements no hook."""


class Unknown:
    @hookimpl
    def frobnicate(self) -> None:
        """Not a crmkit hook."""


class WrongArguments:
    @hookimpl
    def route_inbound(self, app: Any, msg: Any) -> None:
        """``msg`` is not an argument of route_inbound."""


def plugin(name: str, impl: Any = None, **info: Any) -> PluginInfo:
    return register_plugin(impl or Nothing(), name=name, **info)


def test_plugins_register_dependencies_first_ties_broken_by_name() -> None:
    infos = [
        plugin("zeta"),
        plugin("sfa", depends=["zeta"]),
        plugin("alpha", depends=["sfa"]),
        plugin("beta", optional_depends=["alpha", "absent"]),
        plugin("gamma"),
    ]
    expected = ["gamma", "zeta", "sfa", "alpha", "beta"]
    assert load(*infos).loaded == expected
    assert load(*reversed(infos)).loaded == expected
    assert topological_order({i.name: i for i in infos}) == expected


@pytest.mark.parametrize(
    ("infos", "name", "reason"),
    [
        (
            [PluginInfo(name="gone", requires_api=">=1", hooks="crmkit_no_such_module.hooks")],
            "gone",
            "ModuleNotFoundError: No module named 'crmkit_no_such_module'",
        ),
        ([plugin("odd", Unknown())], "odd", "implements unknown hook 'frobnicate'"),
        ([plugin("args", WrongArguments())], "args", "msg"),
        ([plugin("sfa", depends=["erp"])], "sfa", "depends on 'erp', which is not installed"),
        (
            [plugin("old", requires_api="<1.0")],
            "old",
            f"requires crmkit API <1.0, this is {API_VERSION}",
        ),
        (
            [plugin("a", depends=["b"]), plugin("b", depends=["c"]), plugin("c", depends=["a"])],
            "b",
            "dependency cycle b -> c -> a -> b",
        ),
        ([plugin("core")], "core", "reserved"),
        ([plugin("me", depends=["me"])], "me", "cannot depend on itself"),
        ([plugin("cfg", settings="no_colon")], "cfg", "package.module:Class"),
    ],
)
def test_failure_is_reported_with_plugin_name_and_reason(
    infos: list[PluginInfo], name: str, reason: str
) -> None:
    host = load(*infos, plugin("bystander"))
    status = host.statuses[name]
    assert status.state == "failed"
    assert reason in (status.reason or ""), status.reason
    assert host.statuses["bystander"].state == "loaded"


def test_failed_plugin_leaves_no_hook_behind() -> None:
    class HalfBroken:
        @hookimpl
        def route_inbound(self) -> str:
            return "half"

        @hookimpl
        def frobnicate(self) -> None:
            """Not a crmkit hook."""

    host = load(plugin("half", HalfBroken()))
    assert host.statuses["half"].state == "failed"
    assert host.implementers("route_inbound") == []


def test_failure_cascades_to_dependents_naming_the_cause() -> None:
    host = load(
        plugin("erp", Unknown()),
        plugin("sales", depends=["erp"]),
        plugin("forecast", depends=["sales"]),
        plugin("report", optional_depends=["erp"]),
    )
    assert host.statuses["erp"].state == "failed"
    assert host.statuses["sales"].reason == (
        "depends on 'erp', which is failed (implements unknown hook 'frobnicate')"
    )
    assert (host.statuses["forecast"].reason or "").startswith(
        "depends on 'sales', which is failed"
    )
    assert host.statuses["report"].state == "loaded"


def test_dependents_of_a_cycle_fail_naming_the_dependency() -> None:
    host = load(plugin("a", depends=["b"]), plugin("b", depends=["a"]), plugin("c", depends=["a"]))
    assert host.statuses["a"].reason == "dependency cycle a -> b -> a"
    assert host.statuses["c"].reason == (
        "depends on 'a', which is failed (dependency cycle a -> b -> a)"
    )


def test_dependency_on_a_disabled_plugin_fails_the_dependent() -> None:
    host = PluginHost(API_VERSION)
    host.load(
        [candidate_from_info(plugin("erp")), candidate_from_info(plugin("sales", depends=["erp"]))],
        enabled=lambda name, _default: name != "erp",
    )
    assert host.statuses["erp"].state == "disabled"
    assert host.statuses["sales"].reason == (
        "depends on 'erp', which is disabled (disabled by configuration)"
    )


def test_critical_plugin_failure_stops_start_up(make_crm: Callable[..., Crm]) -> None:
    with pytest.raises(PluginError) as caught:
        make_crm(plugins=[plugin("billing", Unknown(), critical=True)])
    assert caught.value.plugin == "billing"
    assert "frobnicate" in caught.value.message


def test_strict_mode_stops_start_up_on_any_failure(make_crm: Callable[..., Crm]) -> None:
    infos = [plugin("fine"), plugin("odd", Unknown())]
    assert make_crm(plugins=infos).host.loaded == ["fine"]
    with pytest.raises(PluginError) as caught:
        make_crm(plugins=infos, settings=Settings(strict_plugins=True))
    assert caught.value.plugin == "odd"
    assert "frobnicate" in caught.value.message


# --- Per-plugin settings.


@frozen
class SfaSettings:
    """A plugin's settings class, as ``PluginInfo.settings`` names it."""

    region: str
    phases: int = 5
    currency: str = "EUR"


@pytest.fixture
def settings_class(monkeypatch: pytest.MonkeyPatch) -> str:
    """The ``module:Class`` path of :class:`SfaSettings`, importable like a plugin's."""
    module = types.ModuleType("crmkit_test_sfa_settings")
    module.SfaSettings = SfaSettings  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return f"{module.__name__}:SfaSettings"


def test_plugin_settings_are_validated_from_the_plugin_table(
    settings_class: str, tmp_path: Path
) -> None:
    config = tmp_path / "crmkit.toml"
    config.write_text("[plugins.sfa]\nregion = 'north'\nphases = 7\n")
    settings = load_settings(environ={"CRMKIT_DATABASE_URL": "sqlite://"}, config_path=config)
    app = Crm(settings, candidates=[candidate_from_info(plugin("sfa", settings=settings_class))])
    assert app.settings_of["sfa"].phases == 7
    assert app.settings_of["sfa"].currency == "EUR"
    app.close()


@pytest.mark.parametrize(
    ("table", "key", "reason"),
    [
        ("region = 'north'\nphases = 'many'", "plugins.sfa.phases", "expected int, got 'many'"),
        ("region = 'north'\ncolour = 'red'", "plugins.sfa.colour", "unknown key"),
        ("phases = 3", "plugins.sfa.region", "is required"),
    ],
)
def test_bad_plugin_setting_fails_the_plugin_naming_file_and_key(
    settings_class: str, tmp_path: Path, table: str, key: str, reason: str
) -> None:
    config = tmp_path / "crmkit.toml"
    config.write_text(f"[plugins.sfa]\n{table}\n")
    settings = load_settings(environ={"CRMKIT_DATABASE_URL": "sqlite://"}, config_path=config)
    app = Crm(settings, candidates=[candidate_from_info(plugin("sfa", settings=settings_class))])
    status = app.host.statuses["sfa"]
    assert status.state == "failed"
    assert status.reason == f"{config}: {key}: {reason}"
    assert "sfa" not in app.settings_of
    app.close()


# --- Calling semantics.


class Impl:
    """A plugin answering every semantics family with fixed values."""

    def __init__(self, value: Any, calls: list[str], name: str, fail: bool = False) -> None:
        self.value, self.calls, self.name, self.fail = value, calls, name, fail

    def _answer(self) -> Any:
        self.calls.append(self.name)
        if self.fail:
            raise RuntimeError(f"{self.name} broke")
        return self.value

    @hookimpl
    def score_prospect(self) -> Any:
        return self._answer()

    @hookimpl
    def route_inbound(self) -> Any:
        return self._answer()

    @hookimpl
    def permission_check(self) -> Any:
        return self._answer()

    @hookimpl
    def shutdown(self) -> None:
        self._answer()


class AsyncImpl(Impl):
    @hookimpl
    async def score_prospect(self) -> Any:
        await asyncio.sleep(0)
        return self._answer()

    @hookimpl
    async def route_inbound(self) -> Any:
        await asyncio.sleep(0)
        return self._answer()

    @hookimpl
    async def permission_check(self) -> Any:
        await asyncio.sleep(0)
        return self._answer()

    @hookimpl
    async def shutdown(self) -> None:
        await asyncio.sleep(0)
        self._answer()


def host_of(
    values: dict[str, Any], calls: list[str], kind: type[Impl] = Impl, **fail: bool
) -> PluginHost:
    """Plugins named after the keys, loaded in key order; the last one registered is called first."""
    names = list(values)
    infos = [
        plugin(name, kind(value, calls, name, fail.get(name, False)), depends=names[:i])
        for i, (name, value) in enumerate(values.items())
    ]
    return load(*infos)


ARGS = {
    "prospect": None,
    "app": None,
    "message": None,
    "actor": None,
    "action": "x",
    "resource": None,
}


@pytest.mark.parametrize("kind", [Impl, AsyncImpl], ids=["sync", "async"])
def test_collect_returns_every_non_none_result_in_call_order(kind: type[Impl]) -> None:
    calls: list[str] = []
    host = host_of({"a": (1, "a"), "b": None, "c": (3, "c")}, calls, kind)
    assert host.call("score_prospect", prospect=None) == [(3, "c"), (1, "a")]
    assert calls == ["c", "b", "a"]
    assert host.collect_by_plugin("score_prospect", prospect=None) == [
        ("c", (3, "c")),
        ("a", (1, "a")),
    ]


@pytest.mark.parametrize("kind", [Impl, AsyncImpl], ids=["sync", "async"])
def test_first_stops_at_the_first_non_none_result(kind: type[Impl]) -> None:
    calls: list[str] = []
    host = host_of({"a": "a", "b": "b", "c": None}, calls, kind)
    assert host.call("route_inbound", app=None, message=None) == "b"
    assert calls == ["c", "b"]
    assert host_of({"a": None}, [], kind).call("route_inbound", app=None, message=None) is None


@pytest.mark.parametrize("kind", [Impl, AsyncImpl], ids=["sync", "async"])
@pytest.mark.parametrize(
    ("answers", "verdict"),
    [
        ((None, None), None),
        ((True, None), True),
        ((None, True), True),
        ((True, False), False),
        ((False, True), False),
    ],
)
def test_veto_any_false_denies_else_any_true_allows(
    kind: type[Impl], answers: tuple[bool | None, ...], verdict: bool | None
) -> None:
    host = host_of(dict(zip("ab", answers, strict=True)), [], kind)
    assert host.call("permission_check", actor=None, action="x", resource=None) is verdict


@pytest.mark.parametrize("kind", [Impl, AsyncImpl], ids=["sync", "async"])
def test_advisory_failure_is_logged_and_the_others_still_run(
    kind: type[Impl], caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []
    host = host_of({"a": None, "b": None, "c": None}, calls, kind, b=True)
    with caplog.at_level(logging.ERROR, logger="crmkit.hooks.host"):
        failures = host.advise("shutdown", app=None)
    assert calls == ["c", "b", "a"]
    assert list(failures) == ["b"] and str(failures["b"]) == "b broke"
    assert "hook shutdown of plugin b failed" in caplog.text
    calls.clear()
    assert list(host.advise("shutdown", only=["a"], app=None)) == []
    assert calls == ["a"]


def test_collect_propagates_an_exception() -> None:
    host = host_of({"a": (1, "a"), "b": None}, [], b=True)
    with pytest.raises(RuntimeError, match="b broke"):
        host.call("score_prospect", prospect=None)


def test_advise_refuses_a_hook_that_is_not_advisory() -> None:
    with pytest.raises(TypeError, match="not advisory"):
        host_of({"a": None}, []).advise("route_inbound", app=None, message=None)


def test_async_implementations_are_awaited_inside_a_running_loop() -> None:
    calls: list[str] = []
    host = host_of({"a": "a"}, calls, AsyncImpl)

    async def main() -> Any:
        with pytest.raises(RuntimeError, match="inside an event loop"):
            host.call("route_inbound", app=None, message=None)
        return await host.acall("route_inbound", app=None, message=None)

    assert asyncio.run(main()) == "a"


def test_sync_implementations_can_be_called_inside_a_running_loop() -> None:
    host = host_of({"a": "a"}, [])

    async def main() -> Any:
        return host.call("route_inbound", app=None, message=None)

    assert asyncio.run(main()) == "a"


def test_sync_in_thread_runs_sync_implementations_off_the_loop_and_awaits_async_ones() -> None:
    threads: dict[str, int] = {}

    class Blocking:
        @hookimpl
        def route_inbound(self) -> None:
            threads["sync"] = threading.get_ident()

    class Awaiting:
        @hookimpl
        async def route_inbound(self) -> str:
            threads["async"] = threading.get_ident()
            return "async"

    # The last registered is called first: the synchronous one, which has no answer.
    host = load(
        plugin("awaiting", Awaiting()), plugin("blocking", Blocking(), depends=["awaiting"])
    )

    async def main() -> Any:
        return await host.acall("route_inbound", sync_in_thread=True, app=None, message=None)

    loop_thread = threading.get_ident()  # asyncio.run runs its loop in this thread
    assert asyncio.run(main()) == "async"
    assert threads["async"] == loop_thread
    assert threads["sync"] != loop_thread


def test_tryfirst_and_trylast_move_implementations() -> None:
    class Early:
        @hookimpl(tryfirst=True)
        def route_inbound(self) -> str:
            return "early"

    class Late:
        @hookimpl(trylast=True)
        def route_inbound(self) -> str:
            return "late"

    class Plain:
        @hookimpl
        def route_inbound(self) -> str:
            return "plain"

    host = load(plugin("a", Early()), plugin("b", Plain()), plugin("c", Late()))
    assert host.implementers("route_inbound") == ["a", "b", "c"]
    assert host.call("route_inbound") == "early"


def test_demo_data_is_seeded_by_a_plugin_after_the_plugins_it_depends_on() -> None:
    seeded: list[str] = []

    class Seeds:
        def __init__(self, name: str) -> None:
            self.name = name

        @hookimpl
        def seed_demo(self) -> None:
            seeded.append(self.name)

        @hookimpl
        def route_inbound(self) -> str:
            return self.name

    host = load(
        plugin("orders", Seeds("orders")),
        plugin("points", Seeds("points"), optional_depends=["orders"]),
        plugin("shop", Seeds("shop"), depends=["points"]),
    )
    host.call("seed_demo", app=None, conn=None, rng=None, now=None)
    # The points seeded for the orders find them; other hooks keep dependents first.
    assert seeded == ["orders", "points", "shop"]
    assert host.implementers("route_inbound") == ["shop", "points", "orders"]


def test_installed_plugins_run_before_the_kernel_defaults(
    crm: Crm, make_crm: Callable[..., Crm]
) -> None:
    kernel = ["core.work", "core.auth", "core.permissions"]
    assert crm.host.implementers("permission_check") == kernel

    class Deny:
        @hookimpl
        def permission_check(self) -> bool:
            return False

    app = make_crm(plugins=[plugin("lockdown", Deny())], create_tables=False)
    assert app.host.implementers("permission_check") == ["lockdown", *kernel]

"""Settings: crmkit.toml and ``CRMKIT_*`` variables, validated, with errors naming key and file."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import attrs
import pytest

from crmkit import ConfigurationError
from crmkit.core.settings import (
    Settings,
    is_enabled,
    load_settings,
    parse_plugin_list,
    structure_settings,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "crmkit.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_apply_without_file_or_environment(tmp_path: Path) -> None:
    settings = load_settings(environ={}, config_path=tmp_path / "absent.toml")
    assert settings == Settings()
    assert settings.database_url == "sqlite:///crmkit.db"


def test_file_is_read_and_environment_overrides_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[crmkit]\ndatabase_url = "sqlite:///file.db"\ndefault_region = "AT"\nmax_body_bytes = 10\n',
    )
    settings = load_settings(
        environ={"CRMKIT_DATABASE_URL": "postgresql://db/crm", "CRMKIT_STRICT_PLUGINS": "yes"},
        config_path=path,
    )
    assert settings.database_url == "postgresql://db/crm"
    assert settings.default_region == "AT"
    assert settings.max_body_bytes == 10
    assert settings.strict_plugins is True
    assert settings.source == str(path)


def test_crmkit_config_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text('[crmkit]\ndefault_region = "CH"\n')
    assert load_settings(environ={"CRMKIT_CONFIG": str(path)}).default_region == "CH"


def test_plugin_tables_give_enablement_and_plugin_settings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[plugins]\nsocial = false\n\n[plugins.sfa]\nenabled = true\nphases = 5\n\n"
        '[plugins.erp_sap]\nhost = "sap.local"\n',
    )
    settings = load_settings(environ={}, config_path=path)
    assert settings.plugins == {"social": False, "sfa": True}
    assert settings.plugin_settings == {"sfa": {"phases": 5}, "erp_sap": {"host": "sap.local"}}


@pytest.mark.parametrize(
    ("variable", "toml", "default", "expected"),
    [
        (None, None, True, True),
        (None, None, False, False),
        (None, "sfa = false", True, False),
        (None, "sfa = true", False, True),
        ("sfa", "sfa = false", False, True),
        ("other", "sfa = true", True, False),
        ("-sfa,*", "sfa = true", True, False),
        ("*", "sfa = false", True, False),
        ("*", None, True, True),
        ("", "sfa = true", True, False),
    ],
)
def test_enablement_precedence_is_environment_then_file_then_plugin_default(
    tmp_path: Path, variable: str | None, toml: str | None, default: bool, expected: bool
) -> None:
    path = write(tmp_path, f"[plugins]\n{toml}\n" if toml else "")
    environ = {} if variable is None else {"CRMKIT_PLUGINS": variable}
    settings = load_settings(environ=environ, config_path=path)
    assert is_enabled(settings, "sfa", default) is expected


def test_plugin_list_enables_named_disables_dashed_and_star_keeps_defaults() -> None:
    assert parse_plugin_list("sfa, dms") == {"sfa": True, "dms": True, "*": False}
    assert parse_plugin_list("*,-social") == {"social": False}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[crmkit\n", "crmkit.toml"),
        ("[crmkit]\ndatabse_url = 'x'\n", "crmkit.toml: crmkit.databse_url"),
        ("[crmkit]\nmax_body_bytes = 'lots'\n", "crmkit.toml: crmkit.max_body_bytes"),
        ("[crmkit]\nstrict_plugins = 'maybe'\n", "crmkit.toml: crmkit.strict_plugins"),
        ("[crmkit]\nsource = 'x'\n", "crmkit.toml: crmkit.source"),
        ("crmkit = 1\n", "crmkit.toml: crmkit"),
        ("[server]\nport = 1\n", "crmkit.toml: [server]"),
        ("[plugins]\nsfa = 'yes'\n", "crmkit.toml: plugins.sfa"),
        ("[plugins.sfa]\nenabled = 'yes'\n", "crmkit.toml: plugins.sfa.enabled"),
    ],
)
def test_bad_file_is_refused_naming_the_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationError) as caught:
        load_settings(environ={}, config_path=path)
    assert caught.value.key == key.replace("crmkit.toml", str(path))
    assert str(path) in str(caught.value)


def test_wrong_type_explains_what_was_expected(tmp_path: Path) -> None:
    path = write(tmp_path, "[crmkit]\nmax_body_bytes = 'lots'\n")
    with pytest.raises(ConfigurationError, match=r"expected int, got 'lots'"):
        load_settings(environ={}, config_path=path)


def test_a_value_not_among_the_choices_is_refused_listing_them(tmp_path: Path) -> None:
    path = write(tmp_path, "[intake]\nassignment = 'random'\n")
    with pytest.raises(ConfigurationError) as caught:
        load_settings(environ={}, config_path=path)
    assert caught.value.reason == "expected one of round_robin, territory, workload, got 'random'"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[crmkit]\nmax_body_bytes = 2.5\n", "expected int, got 2.5"),
        ("[crmkit]\nmax_body_bytes = true\n", "expected int, got True"),
        ("[intake]\nreview_threshold = true\n", "expected float | None, got True"),
        ("[intake]\nreview_threshold = nan\n", "expected float | None, got nan"),
    ],
)
def test_a_value_is_never_bent_into_the_type_of_its_setting(
    tmp_path: Path, text: str, expected: str
) -> None:
    # 2.5 is not read as 2 nor true as 1: what was written is used, or refused.
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationError) as caught:
        load_settings(environ={}, config_path=path)
    assert caught.value.reason == expected


@attrs.frozen
class Window:
    opens: date
    share: float = 0.5


@attrs.frozen
class Calendar:
    """A plugin's settings class, as in docs/configuration.md."""

    days: int = 2
    windows: tuple[Window, ...] = ()
    names: tuple[str, ...] = ()


def test_toml_values_become_the_types_of_a_settings_class() -> None:
    document = tomllib.loads(
        "days = 3\nnames = ['a', 'b']\n"
        "[[windows]]\nopens = 2026-01-01\nshare = 1\n"
        "[[windows]]\nopens = '2026-07-01'\n"
    )
    calendar = structure_settings(Calendar, document, "plugins.calendar")
    assert calendar == Calendar(
        days=3,
        windows=(Window(date(2026, 1, 1), 1.0), Window(date(2026, 7, 1))),
        names=("a", "b"),
    )
    with pytest.raises(ConfigurationError) as caught:
        structure_settings(Calendar, {"windows": [{"opens": "soon"}]}, "plugins.calendar")
    assert caught.value.key == "plugins.calendar.windows[0].opens"


def test_environment_variables_give_numbers_as_text(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"CRMKIT_MAX_BODY_BYTES": "2048"}, config_path=tmp_path / "absent.toml"
    )
    assert settings.max_body_bytes == 2048


def test_bad_environment_variable_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(
            environ={"CRMKIT_MAX_BODY_BYTES": "a lot"}, config_path=tmp_path / "absent.toml"
        )
    assert caught.value.key == "environment variable CRMKIT_MAX_BODY_BYTES"
    assert "a lot" in caught.value.reason


def test_a_settings_validator_failing_is_reported_with_its_message() -> None:
    from crmkit.core.settings import structure_settings

    @attrs.frozen
    class Reminders:
        days: int = attrs.field(default=3, validator=attrs.validators.ge(0))

    with pytest.raises(ConfigurationError) as caught:
        structure_settings(Reminders, {"days": -1}, "crmkit.toml: plugins.reminders")
    assert str(caught.value) == "crmkit.toml: plugins.reminders.days: 'days' must be >= 0: -1"


@attrs.frozen
class Step:
    subject: str
    due_days: int = attrs.field(default=0, validator=attrs.validators.ge(0))


@attrs.frozen
class Stage:
    key: str
    probability: int = attrs.field(validator=attrs.validators.le(100))
    steps: tuple[Step, ...] = ()


def _stage_must_not_be_empty(instance: Pipeline, attribute: object, value: object) -> None:
    if not instance.stages:
        raise ValueError("stages: a pipeline needs at least one")


@attrs.frozen
class Pipeline:
    stages: tuple[Stage, ...] = attrs.field(validator=_stage_must_not_be_empty)
    currency: str = attrs.field(default="EUR", validator=attrs.validators.matches_re(r"^[A-Z]{3}$"))


@attrs.frozen
class Planning:
    commit_probability: int = attrs.field(default=75, validator=attrs.validators.le(100))


@attrs.frozen
class Sales:
    planning: Planning = attrs.field(factory=Planning)
    pipelines: tuple[Pipeline, ...] = ()


def stage(**fields: object) -> dict[str, object]:
    return {"key": "open", "probability": 10, **fields}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"planning": {"commit_probability": 101}},
            "plugins.sales.planning.commit_probability: 'commit_probability' must be <= 100: 101",
        ),
        (
            {"planning": {"commit_probabilty": 1}},
            "plugins.sales.planning.commit_probabilty: unknown key",
        ),
        ({"planning": 5}, "plugins.sales.planning: expected a table, got 5"),
        ({"pipelines": "sales"}, "plugins.sales.pipelines: expected an array, got 'sales'"),
        (
            {"pipelines": [{"stages": [stage(), stage(probability=120)]}]},
            "plugins.sales.pipelines[0].stages[1].probability: 'probability' must be <= 100: 120",
        ),
        (
            {"pipelines": [{"stages": [stage(probability="high")]}]},
            "plugins.sales.pipelines[0].stages[0].probability: expected int, got 'high'",
        ),
        (
            {"pipelines": [{"stages": [{"key": "open"}]}]},
            "plugins.sales.pipelines[0].stages[0].probability: is required",
        ),
        (
            {"pipelines": [{"stages": [stage(color="red")]}]},
            "plugins.sales.pipelines[0].stages[0].color: unknown key",
        ),
        (
            {"pipelines": [{"stages": [stage(steps=[{"subject": "Call", "due_days": -2}])]}]},
            "plugins.sales.pipelines[0].stages[0].steps[0].due_days: 'due_days' must be >= 0: -2",
        ),
        (
            {"pipelines": [{"stages": []}]},
            "plugins.sales.pipelines[0].stages: a pipeline needs at least one",
        ),
        (
            {"pipelines": [{"stages": [stage()], "currency": "eur"}]},
            "plugins.sales.pipelines[0].currency: 'currency' must match regex '^[A-Z]{3}$'"
            " ('eur' doesn't)",
        ),
    ],
)
def test_a_bad_nested_setting_is_reported_with_its_full_key_path(
    data: dict[str, object], message: str
) -> None:
    from crmkit.core.settings import structure_settings

    with pytest.raises(ConfigurationError) as caught:
        structure_settings(Sales, data, "crmkit.toml: plugins.sales")
    assert str(caught.value) == f"crmkit.toml: {message}"


def test_a_bad_nested_plugin_setting_in_the_file_names_file_and_key(tmp_path: Path) -> None:
    from crmkit.core.settings import structure_settings

    path = write(tmp_path, "[plugins.sales.planning]\ncommit_probability = 101\n")
    settings = load_settings(environ={}, config_path=path)
    with pytest.raises(ConfigurationError) as caught:
        structure_settings(
            Sales, settings.plugin_settings["sales"], f"{settings.source}: plugins.sales"
        )
    assert caught.value.key == f"{path}: plugins.sales.planning.commit_probability"


def test_trusted_proxies_come_from_the_file_or_a_comma_separated_variable(tmp_path: Path) -> None:
    path = write(tmp_path, '[crmkit]\ntrusted_proxies = ["10.0.0.5", "fd00::/8"]\n')

    from_file = load_settings(environ={}, config_path=path)
    from_env = load_settings(
        environ={"CRMKIT_TRUSTED_PROXIES": " 10.0.0.5, 192.168.0.0/16 "}, config_path=path
    )

    assert Settings().trusted_proxies == ()
    assert from_file.trusted_proxies == ("10.0.0.5", "fd00::/8")
    assert from_env.trusted_proxies == ("10.0.0.5", "192.168.0.0/16")


@pytest.mark.parametrize(
    ("text", "environ", "message"),
    [
        (
            '[crmkit]\ntrusted_proxies = "10.0.0.5"\n',
            {},
            "crmkit.toml: crmkit.trusted_proxies: expected an array, got '10.0.0.5'",
        ),
        (
            '[crmkit]\ntrusted_proxies = ["proxy.internal"]\n',
            {},
            "crmkit.toml: crmkit.trusted_proxies: expected IP addresses or networks "
            "(10.0.0.0/8), got 'proxy.internal'",
        ),
        (
            "",
            {"CRMKIT_TRUSTED_PROXIES": "10.0.0.5/8"},  # host bits set: uvicorn would ignore it
            "environment variable CRMKIT_TRUSTED_PROXIES: expected IP addresses or networks "
            "(10.0.0.0/8), got '10.0.0.5/8'",
        ),
    ],
)
def test_a_trusted_proxy_uvicorn_would_not_understand_is_refused(
    tmp_path: Path, text: str, environ: dict[str, str], message: str
) -> None:
    path = write(tmp_path, text)

    with pytest.raises(ConfigurationError) as raised:
        load_settings(environ=environ, config_path=path)

    assert str(raised.value).endswith(message)

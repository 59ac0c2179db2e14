"""Meta-tests: every hook spec is documented, tested and described in docs/hooks.md."""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from crmkit import Crm, hookimpl, hookspec
from crmkit.hooks import specs
from crmkit.hooks.markers import PROJECT
from crmkit.testing import register_plugin

ROOT = Path(__file__).resolve().parent.parent
SEMANTICS_WORDS = ("collect", "first", "veto", "advisory", "historic")


def kernel_hooks() -> dict[str, object]:
    """The hook specifications defined in crmkit/hooks/specs.py, by name."""
    return {
        name: function
        for name, function in vars(specs).items()
        if inspect.isfunction(function)
        and function.__module__ == specs.__name__
        and hasattr(function, f"{PROJECT}_spec")
    }


HOOKS = sorted(kernel_hooks())


def test_specs_define_the_kernel_hooks() -> None:
    # Guards the parametrised tests below against silently checking nothing.
    assert {"entity_validate", "on_event", "permission_check", "add_hookspecs"} <= set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_states_its_semantics_on_the_last_docstring_line(name: str) -> None:
    doc = inspect.getdoc(kernel_hooks()[name])
    assert doc, f"hook {name} has no docstring"
    last = doc.strip().splitlines()[-1]
    found = re.match(rf"Semantics: ({'|'.join(SEMANTICS_WORDS)})\b", last)
    assert found, f"hook {name}: last docstring line {last!r} does not state its semantics"
    assert found.group(1) == specs.SEMANTICS[name], f"hook {name}: docstring and spec() disagree"


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_test(name: str) -> None:
    tested = set()
    for path in (ROOT / "tests").rglob("*.py"):
        tested.update(re.findall(r"def test_hook_(\w+)\(", path.read_text(encoding="utf-8")))
    assert name in tested, f"no test_hook_{name} under tests/"


def documented_hooks() -> dict[str, str | None]:
    """``## <hook>`` headings of docs/hooks.md and the semantics word on the line after each."""
    lines = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8").splitlines()
    documented: dict[str, str | None] = {}
    for i, line in enumerate(lines):
        heading = re.fullmatch(r"## (\w+)\s*", line)
        if heading:
            after = lines[i + 1] if i + 1 < len(lines) else ""
            word = re.fullmatch(r"Semantics: \*\*(\w+)\*\*\s*", after)
            documented[heading.group(1)] = word.group(1) if word else None
    return documented


def test_hook_reference_documents_no_hook_that_does_not_exist() -> None:
    unknown = sorted(set(documented_hooks()) - set(HOOKS))
    assert unknown == [], f"docs/hooks.md documents hooks crmkit does not have: {unknown}"


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_documented_with_its_semantics(name: str) -> None:
    documented = documented_hooks()
    assert name in documented, f"docs/hooks.md has no '## {name}' heading"
    assert documented[name] == specs.SEMANTICS[name], (
        f"docs/hooks.md: the line after '## {name}' must be 'Semantics: **{specs.SEMANTICS[name]}**'"
    )


def test_a_plugin_deprecates_an_argument_of_a_hook_it_publishes(
    make_crm: Callable[..., Crm], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(specs, "SEMANTICS", dict(specs.SEMANTICS))  # the hook is this test's
    published = types.ModuleType("crmkit_loyalty_hookspecs")

    @hookspec(
        "collect",
        warn_on_impl_args={"points": DeprecationWarning("loyalty_earned(points): use amount")},
    )
    def loyalty_earned(amount: int, points: int) -> None:
        """Semantics: collect."""

    published.loyalty_earned = loyalty_earned  # type: ignore[attr-defined]

    class Loyalty:
        @hookimpl
        def add_hookspecs(self) -> types.ModuleType:
            return published

    class OldStyle:
        @hookimpl
        def loyalty_earned(self, points: int) -> None:
            pass

    loyalty = register_plugin(Loyalty(), name="loyalty")
    dependent = register_plugin(OldStyle(), name="bonus", depends=("loyalty",))
    with pytest.warns(DeprecationWarning, match=r"loyalty_earned\(points\): use amount"):
        make_crm(plugins=[loyalty, dependent])

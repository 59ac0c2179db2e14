"""The documentation is true: its code is the shipped code, its snippets run, its tutorial works.

* A fenced block right after ``<!-- file: <path> -->`` is a verbatim excerpt of that file.
* Every Python block compiles; every hook example implements the hook it documents.
* Every TOML block parses, and the crmkit.toml examples load as settings.
* The commands of the getting-started guide run, and its API examples answer as shown.
* The tutorial plugin, installed from its ``pyproject.toml``, works: its route, its
  command, its hooks, the contract test, and its own test suite.
* The tutorial plugin and its tests import from crmkit's public API only.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import click
import pytest
from attrs import frozen
from click.testing import CliRunner

import crmkit
from crmkit import SYSTEM, Actor, ConfigurationError, Crm, Settings, hookimpl
from crmkit.cli import context
from crmkit.cli.main import cli
from crmkit.core.interactions import build_interaction, log_interaction
from crmkit.core.parties import build_party, create_party, merge_parties
from crmkit.core.settings import load_settings, structure_settings
from crmkit.core.tables import utcnow
from crmkit.defaults.permissions import EVERYONE, KERNEL_PERMISSIONS
from crmkit.hooks import specs
from crmkit.hooks.host import discover
from crmkit.hooks.plugin_info import PluginInfo
from crmkit.testing import check_plugin, http_client, invoke, register_plugin

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TUTORIAL = DOCS / "tutorial" / "crmkit-callnotes"
MARKER = re.compile(r"<!-- file: (\S+) -->")
TODAY = utcnow().date()


@frozen
class Block:
    """A fenced code block of a Markdown page."""

    page: Path
    line: int
    language: str
    text: str
    shows: str | None
    """The repository file this block is a verbatim excerpt of, if it is marked."""

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def read_blocks(page: Path) -> list[Block]:
    """The fenced blocks of ``page``, each with the file marker on the line before it, if any."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("```"):
            start, language = i, lines[i][3:].strip()
            i += 1
            while i < len(lines) and lines[i] != "```":
                i += 1
            assert i < len(lines), f"{page.relative_to(ROOT)}:{start + 1}: code block never closed"
            marker = MARKER.fullmatch(lines[start - 1].strip()) if start else None
            text = "".join(line + "\n" for line in lines[start + 1 : i])
            blocks.append(Block(page, start + 1, language, text, marker and marker.group(1)))
        i += 1
    return blocks


PAGES = sorted(DOCS.rglob("*.md"))
BLOCKS = [block for page in PAGES for block in read_blocks(page)]


def of(language: str, page: str | None = None) -> list[Block]:
    return [b for b in BLOCKS if b.language == language and (page is None or b.page.name == page)]


def test_the_docs_have_code_to_check() -> None:
    # Guards the parametrised tests below against silently checking nothing.
    assert len([b for b in BLOCKS if b.shows]) >= 30
    assert len(of("python")) >= 40


# --- Code blocks are the code.


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.shows], ids=str)
def test_marked_block_is_a_verbatim_excerpt_of_its_file(block: Block) -> None:
    assert block.shows is not None
    shown = ROOT / block.shows
    assert shown.is_file(), f"{block} shows {block.shows}, which does not exist"
    assert block.text in shown.read_text(encoding="utf-8"), (
        f"{block} differs from {block.shows}: copy the file's current text into the page"
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_every_file_marker_stands_right_before_a_code_block(page: Path) -> None:
    lines = page.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if MARKER.search(line):
            following = lines[number] if number < len(lines) else ""
            assert following.startswith("```"), f"{page.name}:{number}: marker without a block"


def test_every_tutorial_module_is_shown_in_the_tutorial() -> None:
    shown = {b.shows for b in BLOCKS if b.page.name == "writing-a-plugin.md"}
    modules = {
        str(path.relative_to(ROOT))
        for path in TUTORIAL.rglob("*.py")
        if path.name != "__init__.py" or path.parent.name == "migrations"
    }
    assert modules - shown == set()


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_links_between_pages_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # another site's page
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name}: link to {target}, which does not exist"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), re.M)
            assert anchor in {slug(h) for h in headings}, f"{page.name}: no heading #{anchor}"


# --- Snippets run.


@pytest.mark.parametrize("block", of("python"), ids=str)
def test_python_block_compiles(block: Block) -> None:
    compile(block.text, str(block), "exec")


def hook_sections() -> dict[str, list[Block]]:
    """The Python blocks of docs/hooks.md under each ``## <hook>`` heading."""
    page = DOCS / "hooks.md"
    headings = [
        (number, match.group(1))
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if (match := re.fullmatch(r"## (\w+)", line))
    ]
    sections: dict[str, list[Block]] = {}
    for (start, name), (end, _) in zip(headings, [*headings[1:], (10**9, "")], strict=True):
        sections[name] = [b for b in of("python", "hooks.md") if start < b.line < end]
    return sections


def implementations(source: str) -> dict[str, list[str]]:
    """``@hookimpl`` functions defined in ``source``: name -> parameter names."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            marks = [d.func if isinstance(d, ast.Call) else d for d in node.decorator_list]
            if any(isinstance(m, ast.Name) and m.id == "hookimpl" for m in marks):
                found[node.name] = [a.arg for a in node.args.args]
    return found


@pytest.mark.parametrize("hook", sorted(specs.SEMANTICS.keys() & hook_sections().keys()))
def test_hook_example_implements_the_hook_it_documents(hook: str) -> None:
    blocks = hook_sections()[hook]
    implemented = {n: a for b in blocks for n, a in implementations(b.text).items()}
    assert hook in implemented, f"docs/hooks.md: the example of {hook} does not implement it"
    declared = inspect.signature(getattr(specs, hook)).parameters
    unknown = set(implemented[hook]) - set(declared)
    assert not unknown, f"docs/hooks.md: {hook} has no argument {sorted(unknown)[0]}"


@pytest.mark.parametrize("block", of("toml"), ids=str)
def test_toml_block_parses_and_crmkit_toml_examples_load(
    block: Block, tmp_path: Path, tutorial: Path
) -> None:
    document = tomllib.loads(block.text)
    if not set(document) <= {"crmkit", "plugins"}:
        return  # another file's TOML (a pyproject.toml): parsing it is all there is to check
    config = tmp_path / "crmkit.toml"
    config.write_text(block.text, encoding="utf-8")
    settings = load_settings(environ={}, config_path=config)
    from crmkit_callnotes.settings import CallnotesSettings

    if "callnotes" in settings.plugin_settings:
        data = settings.plugin_settings["callnotes"]
        structure_settings(CallnotesSettings, data, "plugins.callnotes")


def test_configuration_documents_every_setting() -> None:
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for field in attrs.fields(Settings):
        assert f"`{field.name}`" in page, f"docs/configuration.md does not mention {field.name}"
        if field.name not in ("plugins", "plugin_settings", "source", "intake"):
            variable = f"CRMKIT_{field.name.upper()}"
            assert f"`{variable}`" in page, f"docs/configuration.md does not mention {variable}"


def parse(args: list[str], app: Crm | None = None) -> click.Context:
    """The context ``crmkit <args>`` would run in: each command exists, each option parses.

    Plugin groups are looked up in ``app`` (as :func:`crmkit.testing.invoke` does), else in
    the configured application.
    """
    command: click.Command = cli
    with click.Context(cli, obj=app) as root:
        while isinstance(command, click.Group) and args and not args[0].startswith("-"):
            found = command.get_command(root, args[0])
            assert found is not None, f"crmkit has no command {args[0]!r} in {command.name!r}"
            command, args = found, args[1:]
        return command.make_context(command.name, list(args), parent=root)


def test_configuration_errors_read_as_documented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "crmkit.toml").write_text('[crmkit]\nmax_body_bytes = "lots"\n')
    with pytest.raises(ConfigurationError) as from_file:
        load_settings(environ={})
    with pytest.raises(ConfigurationError) as from_environment:
        load_settings(environ={"CRMKIT_STRICT_PLUGINS": "maybe"}, config_path=tmp_path / "none")
    assert f"`{from_file.value}`" in page
    assert f"`{from_environment.value}`" in page


def commands(page: str) -> list[list[str]]:
    """The ``crmkit …`` command lines of the shell blocks of ``page``, split into words."""
    return [
        shlex.split(line)[1:]
        for block in of("sh", page)
        for line in block.text.splitlines()
        if line.startswith("crmkit ")
    ]


@pytest.fixture
def fresh_cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``crmkit`` as an integrator runs it: configured by the environment alone, app not cached."""
    for variable in [v for v in os.environ if v.startswith("CRMKIT_")]:
        monkeypatch.delenv(variable)
    context.configured_app.cache_clear()
    yield
    if context.configured_app.cache_info().currsize:
        context.configured_app().close()
    context.configured_app.cache_clear()


def test_getting_started_commands_run_as_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cli: None
) -> None:
    shutil.copytree(DOCS / "examples", tmp_path / "docs" / "examples")
    monkeypatch.chdir(tmp_path)
    blocks = of("sh", "getting-started.md") + of("text", "getting-started.md")
    expected = {b.line: b for b in blocks}
    long_running = {"demo", "serve", "worker"}
    for args in commands("getting-started.md"):
        if args[0] in long_running:
            parse(args)
            continue
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, f"crmkit {shlex.join(args)}: {result.output}"
        if args[0] == "import":
            [shown] = [b for b in expected.values() if b.text.startswith("created ")]
            assert result.stdout == shown.text
    [rejects] = [b for b in of("text", "getting-started.md") if b.text.startswith('"row",')]
    written = (tmp_path / "rejected.csv").read_text(encoding="utf-8").replace("\r\n", "\n")
    assert written == rejects.text


def test_api_examples_answer_as_shown(make_crm: Callable[..., Crm]) -> None:
    crm = make_crm(plugins=[acting_as(SYSTEM)])
    with crm.transaction() as tx:
        party = build_party("prospect", {"last_name": "Meier"}, region=None)
        create_party(tx, party)
    curls = [
        shlex.split(line)[-1]
        for block in of("sh", "getting-started.md")
        for line in block.text.splitlines()
        if line.startswith("curl ") and " -X " not in line
    ]
    [problem] = of("json", "getting-started.md")
    assert len(curls) >= 5
    with http_client(crm) as client:
        for url in curls:
            response = client.get(url.removeprefix("http://127.0.0.1:8000"))
            if "limit=lots" in url:
                assert response.json() == json.loads(problem.text)
            else:
                assert response.status_code == 200, f"{url}: {response.text}"


def test_api_change_and_delete_examples_answer_as_shown(make_crm: Callable[..., Crm]) -> None:
    crm = make_crm(plugins=[acting_as(SYSTEM)])
    with crm.transaction() as tx:
        customer = create_party(tx, build_party("customer", {"last_name": "Meier"}, region=None))
    shown = [
        line
        for block in of("sh", "getting-started.md")
        for line in block.text.splitlines()
        if line.startswith("curl -X ")
    ]
    with http_client(crm) as client:
        answers = []
        for line in shown:
            method, path, body = curl(line)
            words = shlex.split(line)
            headers = dict(words[i + 1].split(": ", 1) for i, w in enumerate(words) if w == "-H")
            del headers["Authorization"]  # acting_as signs the requests on
            answers.append(client.request(method, path, json=body, headers=headers))
        gone = client.get(f"/api/v1/customers/{customer.id}")
    assert [(a.request.method, a.status_code) for a in answers] == [("PATCH", 200), ("DELETE", 204)]
    assert gone.status_code == 404


# --- The tutorial plugin works.


def acting_as(actor: Actor) -> PluginInfo:
    """A throwaway plugin that authenticates every request as ``actor``."""

    class SingleSignOn:
        @hookimpl
        def actor_from_request(self) -> Actor:
            return actor

    return register_plugin(SingleSignOn(), name="sso")


def install_metadata(site: Path) -> None:
    """What ``pip install -e`` leaves for discovery: the distribution's metadata, from pyproject.toml."""
    project = tomllib.loads((TUTORIAL / "pyproject.toml").read_text())["project"]
    dist_info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
        f"Summary: {project['description']}\n"
    )
    groups = project["entry-points"]
    (dist_info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in points.items())
            for group, points in groups.items()
        )
    )


@pytest.fixture
def tutorial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tutorial plugin importable and installed (its metadata discoverable) for this test."""
    site = tmp_path / "site-packages"
    install_metadata(site)
    monkeypatch.syspath_prepend(str(TUTORIAL))
    monkeypatch.syspath_prepend(str(site))
    return site


def test_tutorial_plugin_is_discovered_through_its_entry_point(tutorial: Path) -> None:
    from crmkit_callnotes.__crmkit__ import PLUGIN

    [found] = [c for c in discover() if c.name == "callnotes"]
    assert found.info == PLUGIN
    assert found.version == "1.0.0"
    assert found.error is None


def test_tutorial_plugin_keeps_the_contract(tutorial: Path) -> None:
    check_plugin("callnotes")


def curl(line: str) -> tuple[str, str, Any]:
    """Method, path and JSON body of a ``curl`` command line."""
    words = shlex.split(line)
    url = next(w for w in words if w.startswith("http://"))
    method = words[words.index("-X") + 1] if "-X" in words else "GET"
    body = json.loads(words[words.index("-d") + 1]) if "-d" in words else None
    return method, url.removeprefix("http://127.0.0.1:8000"), body


def test_tutorial_route_answers_the_requests_shown(
    tutorial: Path, make_crm: Callable[..., Crm]
) -> None:
    crm = make_crm(plugins=["callnotes", acting_as(SYSTEM)])
    with crm.transaction() as tx:
        for name in ("Becker", "Schulz", "Wagner", "Keller", "Roth", "Vogel", "Meier"):
            create_party(tx, build_party("customer", {"last_name": name}, region=None))
    shown = [
        curl(line)
        for block in of("sh", "writing-a-plugin.md")
        for line in block.text.splitlines()
        if line.startswith("curl ")
    ]
    with http_client(crm) as client:
        answers = [client.request(method, path, json=body) for method, path, body in shown]
    assert [a.status_code for a in answers] == [201, 200], answers[0].text
    assert [f["party_name"] for f in answers[1].json()] == ["Meier"]


def test_tutorial_commands_shown_exist(tutorial: Path, make_crm: Callable[..., Crm]) -> None:
    crm = make_crm(plugins=["callnotes"])
    shown = commands("writing-a-plugin.md")
    assert ["callnotes", "due", "--by", "2030-12-31"] in shown
    for args in shown:
        parse(args, crm)


def test_tutorial_command_runs_as_crmkit_callnotes_due(
    tutorial: Path, make_crm: Callable[..., Crm]
) -> None:
    crm = make_crm(plugins=["callnotes"])
    with crm.transaction() as tx:
        party = create_party(tx, build_party("customer", {"last_name": "Meier"}, region=None))
        log_interaction(tx, phone_call(party.id, follow_up_on=str(TODAY)))
    result = invoke(crm, "callnotes", "due")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{TODAY}  Meier (party {party.id})",
        f"1 follow-up(s) due by {TODAY}",
    ]


def test_tutorial_command_works_on_the_configured_crm(
    tutorial: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cli: None
) -> None:
    # An integrator's `crmkit callnotes due`: no test kit hands the command its CRM.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRMKIT_PLUGINS", "callnotes")
    configured = context.configured_app()
    configured.create_tables()
    with configured.transaction() as tx:
        party = create_party(tx, build_party("customer", {"last_name": "Meier"}, region=None))
        log_interaction(tx, phone_call(party.id, follow_up_on=str(TODAY)))
    result = CliRunner().invoke(cli, ["callnotes", "due"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{TODAY}  Meier (party {party.id})",
        f"1 follow-up(s) due by {TODAY}",
    ]


def phone_call(party_id: int | None, outcome: str | None = None, **custom: Any) -> Any:
    """A phone call as any other part of the CRM logs it, with callnotes' custom fields."""
    fields = {f"callnotes_{name}": value for name, value in custom.items()}
    data = {"party_id": party_id, "channel": "phone", "direction": "inbound"}
    return build_interaction({**data, "outcome": outcome, "custom": fields}, source="telephony")


def test_tutorial_hooks_follow_calls_logged_by_anyone_and_merges(
    tutorial: Path, make_crm: Callable[..., Crm]
) -> None:
    from crmkit_callnotes.service import open_follow_ups

    crm = make_crm(plugins=["callnotes"])
    with crm.transaction() as tx:
        first = create_party(tx, build_party("customer", {"last_name": "Meier"}, region=None))
        second = create_party(tx, build_party("customer", {"last_name": "Meyer"}, region=None))
        log_interaction(tx, phone_call(first.id, outcome="callback"))
    with crm.transaction() as tx:
        assert second.id is not None and first.id is not None
        merge_parties(tx, second.id, first.id)
    with crm.read() as conn:
        [follow_up] = open_follow_ups(conn, TODAY + timedelta(days=2))
    assert (follow_up.party_id, follow_up.due_on) == (second.id, TODAY + timedelta(days=2))


PUBLIC_MODULES = ("crmkit", "crmkit.web", "crmkit.testing")


def crmkit_imports(source: str) -> set[str]:
    """The crmkit names ``source`` imports, dotted: ``crmkit.utcnow``, ``crmkit.core.tables``."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.startswith("crmkit.")}


def is_public(name: str) -> bool:
    """Whether ``name`` is a public module or a name one exports (in its ``__all__``)."""
    module, _, attribute = name.rpartition(".")
    if name in PUBLIC_MODULES:
        return True
    return module in PUBLIC_MODULES and attribute in importlib.import_module(module).__all__


def test_public_api_check_sees_every_form_of_import() -> None:
    source = (
        "import crmkit.core.db, crmkit.testing\n"
        "from crmkit import utcnow, core\n"
        "from crmkit.web import app, crm_of\n"
    )
    found = crmkit_imports(source)
    public = {"crmkit.testing", "crmkit.utcnow", "crmkit.web.crm_of"}
    assert found == public | {"crmkit.core.db", "crmkit.core", "crmkit.web.app"}
    assert {name for name in found if is_public(name)} == public


def test_tutorial_plugin_imports_only_the_public_api() -> None:
    internal = {
        (path.relative_to(TUTORIAL).as_posix(), name)
        for path in TUTORIAL.rglob("*.py")
        for name in crmkit_imports(path.read_text(encoding="utf-8"))
        if not is_public(name)
    }
    assert internal == set(), "import these from crmkit, crmkit.web or crmkit.testing"


def test_tutorial_plugins_own_tests_pass(tutorial: Path) -> None:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TUTORIAL), str(tutorial)])}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=TUTORIAL,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


@pytest.mark.parametrize("block", of("python"), ids=str)
def test_python_block_imports_only_the_public_api(block: Block) -> None:
    internal = sorted(name for name in crmkit_imports(block.text) if not is_public(name))
    assert internal == [], (
        f"{block} imports {internal[0]}: use crmkit, crmkit.web or crmkit.testing"
    )


def test_public_names_are_documented() -> None:
    text = "".join(page.read_text(encoding="utf-8") for page in PAGES)
    for module in PUBLIC_MODULES:
        for name in importlib.import_module(module).__all__:
            assert re.search(rf"`[^`]*\b{name}\b[^`]*`", text), f"docs/ never names {module}.{name}"


# --- The service reference is the code.

SERVICES = DOCS / "services.md"
PUBLIC_FUNCTIONS = sorted(
    name for name in crmkit.__all__ if inspect.isfunction(getattr(crmkit, name))
)


def service_entries() -> dict[str, str]:
    """The text of each ``### <name>`` entry of docs/services.md, up to the next heading."""
    text = SERVICES.read_text(encoding="utf-8")
    parts = re.split(r"^(#{1,3} .+)$", text, flags=re.M)
    return {
        heading.removeprefix("### "): body
        for heading, body in zip(parts[1::2], parts[2::2], strict=True)
        if heading.startswith("### ")
    }


def documented_signature(name: str, entry: str) -> ast.FunctionDef:
    [block] = re.findall(r"```python\n(.*?)```", entry, flags=re.S)[:1] or [""]
    module = ast.parse(block)
    assert len(module.body) == 1 and isinstance(module.body[0], ast.FunctionDef), (
        f"docs/services.md: the entry of {name} starts with a block holding its def"
    )
    return module.body[0]


def parameters_as_documented(definition: ast.FunctionDef) -> list[tuple[str, str, str, Any]]:
    """(kind, name, annotation, default) of each parameter; defaults evaluated as in crmkit."""
    args = definition.args
    positional = [("positional", a) for a in args.args]
    keyword = [("keyword", a) for a in args.kwonlyargs]
    defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
    given = [*defaults, *args.kw_defaults]
    return [
        (
            kind,
            arg.arg,
            ast.unparse(arg.annotation) if arg.annotation else "",
            inspect.Parameter.empty
            if default is None
            else eval(ast.unparse(default), vars(crmkit)),
        )
        for (kind, arg), default in zip([*positional, *keyword], given, strict=True)
    ]


def parameters_in_code(function: Any) -> list[tuple[str, str, str, Any]]:
    kinds = {inspect.Parameter.KEYWORD_ONLY: "keyword"}
    return [
        (
            kinds.get(p.kind, "positional"),
            p.name,
            ast.unparse(ast.parse(p.annotation)) if p.annotation is not p.empty else "",
            p.default,
        )
        for p in inspect.signature(function).parameters.values()
    ]


def test_the_service_reference_has_entries_to_check() -> None:
    assert {"intake_prospect", "build_interaction", "get_party", "timeline"} <= set(
        service_entries()
    )


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_every_public_function_has_an_entry_with_its_signature(name: str) -> None:
    entries = service_entries()
    assert name in entries, f"docs/services.md has no '### {name}' entry"
    definition = documented_signature(name, entries[name])
    function = getattr(crmkit, name)
    assert definition.name == name
    assert parameters_as_documented(definition) == parameters_in_code(function), (
        f"docs/services.md: the signature of {name} is not {inspect.signature(function)}"
    )
    returns = inspect.signature(function).return_annotation
    assert ast.unparse(definition.returns) == ast.unparse(ast.parse(returns)), (
        f"docs/services.md: {name} returns {returns}"
    )


@pytest.mark.parametrize(
    "name",
    [
        name
        for name in PUBLIC_FUNCTIONS
        if {"tx", "conn", "crm"} & set(inspect.signature(getattr(crmkit, name)).parameters)
    ],
)
def test_a_service_entry_says_its_transaction_permission_and_errors(name: str) -> None:
    entry = service_entries()[name]
    for what in ("Transaction", "Permission", "Errors"):
        assert f"- **{what}:**" in entry, f"docs/services.md: {name} does not say its {what}"


def test_every_service_entry_is_a_public_function() -> None:
    sections = {"Roles and the kernel's permissions"}
    assert set(service_entries()) - sections == set(PUBLIC_FUNCTIONS)


def test_the_roles_table_is_the_kernels_grants() -> None:
    text = SERVICES.read_text(encoding="utf-8")
    [header] = re.findall(r"^\| permission \| what \|(.*)\|$", text, flags=re.M)
    roles = [role.strip() for role in header.split("|")]
    documented = {
        match.group(1): (
            match.group(2),
            tuple(
                r for r, cell in zip(roles, match.group(3).split("|"), strict=True) if "✓" in cell
            ),
        )
        for match in re.finditer(r"^\| `(core:[\w.]+)` \| ([^|]+) \|(.*)\|$", text, flags=re.M)
    }
    granted = {p.name: (p.description, tuple(p.roles)) for p in KERNEL_PERMISSIONS}
    assert set(roles) == set(EVERYONE)
    assert {a: (d.strip(), tuple(sorted(r))) for a, (d, r) in documented.items()} == {
        a: (d, tuple(sorted(r))) for a, (d, r) in granted.items()
    }


def test_upgrade_guide_names_the_current_api_version() -> None:
    page = (DOCS / "upgrade-guide.md").read_text(encoding="utf-8")
    assert f"(currently **{crmkit.API_VERSION}**)" in page
    assert f"this is {crmkit.API_VERSION}`" in page


def test_docs_name_route_helpers_by_their_public_name() -> None:
    # One name everywhere: `crmkit.web.actor_of`, never the module it happens to live in.
    text = "".join(page.read_text(encoding="utf-8") for page in PAGES)
    named = set(re.findall(r"`crmkit\.web\.([\w.]+)", text))
    assert named, "the docs name no helper of crmkit.web"
    assert named - set(importlib.import_module("crmkit.web").__all__) == set()


def test_the_event_catalogue_lists_every_kernel_event_type(
    make_crm: Callable[..., Crm],
) -> None:
    page = (DOCS / "webhooks.md").read_text(encoding="utf-8")
    catalogue = page.split("## Event types", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([\w.]+)` \| ", catalogue, flags=re.M)
    registered = make_crm(plugins=[]).event_types
    assert len(documented) == len(set(documented)), "an event type documented twice"
    assert set(documented) == registered

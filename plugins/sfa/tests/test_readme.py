"""The plugin's README is true: its example configuration, settings, routes, events, jobs and permissions."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from crmkit_sfa.pipeline.service import create_opportunity
from crmkit_sfa.pipeline.settings import CLASSIC, Pipeline, PipelineSettings, PlaybookStep, Stage
from crmkit_sfa.planning.settings import PlanningSettings
from crmkit_sfa.quotes import catalogue, orders, quotations
from crmkit_sfa.quotes.settings import QuoteSettings
from crmkit_sfa.settings import SfaSettings
from starlette.routing import Mount, Route

from crmkit import Crm, Event, hookimpl
from crmkit.testing import http_client, register_plugin, settings_from_file

if TYPE_CHECKING:
    from conftest import PartyMaker, SalesTeam

README = Path(__file__).resolve().parent.parent / "README.md"
TEXT = README.read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)


def section(title: str) -> str:
    """The README's ``## title`` section, up to the next section."""
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", TEXT, re.M | re.S)
    assert found, f"README has no section {title!r}"
    return found.group(1)


def rows(text: str) -> list[list[str]]:
    """The cells of every table row of ``text``, without header and separator rows."""
    table = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|")
    ]

    def separator(row: list[str]) -> bool:
        return all(set(cell) <= {"-"} for cell in row)

    # A header is the row right above a separator.
    return [
        row
        for i, row in enumerate(table)
        if not separator(row) and not (i + 1 < len(table) and separator(table[i + 1]))
    ]


def first_cells(text: str) -> list[str]:
    return [r[0].strip("`") for r in rows(text)]


def code(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(TEXT) if lang == language]


def test_the_example_configuration_loads_as_the_plugins_settings(
    tmp_path: Path, make_crm: Callable[..., Crm]
) -> None:
    [example] = code("toml")
    config = tmp_path / "crmkit.toml"
    config.write_text(example, encoding="utf-8")
    crm = make_crm(plugins=["sfa"], settings=settings_from_file(config))
    loaded = crm.settings_of["sfa"]
    assert isinstance(loaded, SfaSettings)
    sales, after_sales = loaded.pipeline.pipelines
    # The README says it repeats the shipped default exactly.
    assert sales == CLASSIC
    assert after_sales.key == "after_sales"
    stages = after_sales.stages
    assert [s.probability for s in stages] == [20, 60, 90]
    assert all(s.norm_days for s in stages)
    assert any(s.exit_fields for s in stages) and any(s.exit_activities for s in stages)
    assert any(step.required for s in stages for step in s.playbook)
    assert loaded.quotes != QuoteSettings() and loaded.planning != PlanningSettings()


@pytest.mark.parametrize(
    ("heading", "settings_class"),
    [
        ("### `[plugins.sfa.pipeline]`", PipelineSettings),
        ("A **pipeline**", Pipeline),
        ("A **stage**", Stage),
        ("A **playbook step**", PlaybookStep),
        ("### `[plugins.sfa.quotes]`", QuoteSettings),
        ("### `[plugins.sfa.planning]`", PlanningSettings),
    ],
)
def test_each_settings_table_names_every_setting(heading: str, settings_class: type) -> None:
    after = TEXT.split(heading, 1)[1]
    table = re.search(r"\n\n(\|.*?)\n\n", after, re.S)
    assert table, heading
    assert first_cells(table.group(1)) == [f.name for f in attrs.fields(settings_class)]


def test_the_route_tables_list_exactly_the_apps_routes_under_p_sfa(crm: Crm) -> None:
    documented = [
        (r[0], r[1].strip("`"))
        for title in ("JSON API under `/p/sfa/`", "Pages")
        for r in rows(section(title))
    ]
    assert len(documented) == len(set(documented)), "a route is listed twice"
    routes = http_client(crm).app.routes
    [mount] = [m for m in routes if isinstance(m, Mount) and m.path == "/p/sfa"]
    served = {
        (method, re.sub(r"\{(\w+):\w+\}", r"{\1}", f"/p/sfa{route.path}"))
        for route in mount.routes
        if isinstance(route, Route)
        for method in (route.methods or set()) - {"HEAD"}
    }
    assert set(documented) == served


def test_every_permission_named_exists_and_the_roles_are_as_granted(crm: Crm) -> None:
    declared = {
        name: set(p.roles) for name, p in crm.permissions.items() if name.startswith("sfa:")
    }
    documented = {
        r[0].strip("`"): {role.strip() for role in r[1].split(",")}
        for r in rows(section("Permissions and roles"))
    }
    assert documented == declared
    assert set(re.findall(r"`(sfa:[a-z_.]+)`", TEXT)) <= set(declared)


def test_the_event_table_names_exactly_the_plugins_event_types(crm: Crm) -> None:
    documented = first_cells(section("Events"))
    assert sorted(documented) == sorted(e for e in crm.event_types if e.startswith("sfa."))


def test_the_job_table_names_exactly_the_plugins_jobs(crm: Crm) -> None:
    documented = first_cells(section("Scheduled jobs"))
    assert sorted(documented) == sorted(n for n in crm.jobs.jobs if n.startswith("sfa."))


def shape(value: Any) -> Any:
    """The keys of ``value`` all the way down, with one list item standing for all."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def test_the_order_placed_example_has_the_shape_of_the_real_payload(
    crm: Crm, make_crm: Callable[..., Crm], team: SalesTeam, new_party: PartyMaker
) -> None:
    seen: list[Event] = []

    class Connector:
        @hookimpl
        def on_event(self, event: Event) -> None:
            if event.type == "sfa.order_placed":
                seen.append(event)

    listening = make_crm(
        plugins=["sfa", register_plugin(Connector(), name="erp")], create_tables=False
    )
    party = new_party(owner_id=team.seller.user_id)
    with crm.transaction() as tx:
        catalogue.create_product(tx, {"code": "PAL", "name": "Pallet", "tax_rate": "7"})
    with listening.transaction(team.seller) as tx:
        deal = create_opportunity(tx, {"party_id": party, "title": "Pallets"})
        line = {"product_code": "PAL", "quantity": "150", "unit_price": "11.1111"}
        drafted = quotations.create_quotation(tx, {"opportunity_id": deal.id, "lines": [line]})
        quotations.send_quotation(tx, drafted.id)
        orders.accept_quotation(tx, drafted.id)
    [example] = code("json")
    [event] = seen
    assert shape(json.loads(example)) == shape(event.payload)

"""Server-rendered HTML: the Jinja2 environment of the UI and rendering a page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import jinja2
from starlette.responses import HTMLResponse

from crmkit.core.values import PhoneNumber

if TYPE_CHECKING:
    from crmkit.hooks.plugin_info import PluginInfo
    from crmkit.web.context import Site


def _when(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.isoformat()


def _phone(number: PhoneNumber) -> str:
    return number.international()


def plugin_template_loaders(plugins: Iterable[PluginInfo]) -> dict[str, jinja2.BaseLoader]:
    """Per plugin name, the folder ``templates/<name>/`` of the plugin's package, where it has one.

    The package is the one holding the plugin's hooks module. A plugin's templates
    are named ``<name>/...``, so they can neither shadow the kernel's nor another plugin's.
    """
    loaders: dict[str, jinja2.BaseLoader] = {}
    for info in plugins:
        package = info.hooks.rpartition(".")[0]
        if not package:
            continue  # a top-level hooks module has no package to hold templates
        folder = files(package) / "templates" / info.name
        if folder.is_dir():
            loaders[info.name] = jinja2.PackageLoader(package, f"templates/{info.name}")
    return loaders


def make_environment(plugins: Iterable[PluginInfo] = ()) -> jinja2.Environment:
    """The kernel's templates and the enabled ``plugins``' ones, autoescaped; a missing variable is an error.

    Plugin templates are named ``<plugin>/<template>`` and may extend the kernel's ``base.html``.
    """
    kernel = jinja2.PackageLoader("crmkit.web", "templates")
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([kernel, jinja2.PrefixLoader(plugin_template_loaders(plugins))]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["phone"] = _phone
    return env


def render(
    site: Site,
    template: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """An HTML response of ``template``; pages without navigation pass none."""
    context.setdefault("navigation", [])
    html = site.templates.get_template(template).render(notice=site.notice, **context)
    return HTMLResponse(html, status_code=status, headers=headers)

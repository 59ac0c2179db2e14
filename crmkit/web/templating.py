"""Server-rendered HTML: the Jinja2 environment of the UI and rendering a page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import jinja2
from starlette.responses import HTMLResponse

from crmkit.core.values import PhoneNumber

if TYPE_CHECKING:
    from crmkit.web.context import Site


def _when(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.isoformat()


def _phone(number: PhoneNumber) -> str:
    return number.international()


def make_environment() -> jinja2.Environment:
    """The templates under ``crmkit/web/templates``, autoescaped; a missing variable is an error."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("crmkit.web", "templates"),
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

"""Plugin pages: templates from a plugin package's ``templates/<plugin>/`` folder, rendered by page_response."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest

from crmkit import Actor, PluginInfo, hookimpl
from crmkit.app import Crm
from crmkit.testing import http_client, register_plugin
from crmkit.web.templating import make_environment

HOOKS = """
from starlette.routing import Route

from crmkit import hookimpl
from crmkit.web import page_response


def greeting(request):
    return page_response(request, "{name}/greeting.html", status=201, who="plugin <pages>")


@hookimpl
def register_routes():
    return [Route("/greeting", greeting)]
"""

GREETING = """{% extends "base.html" %}
{% block title %}Greeting{% endblock %}
{% block content %}<p id="greeting">Hello from the {{ who }}</p>{% endblock %}
"""


@pytest.fixture
def page_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], PluginInfo]:
    """A plugin package on disk with a route rendering its own template; returns its PluginInfo."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make() -> PluginInfo:
        name = f"pages{uuid.uuid4().hex[:8]}"
        package = tmp_path / f"crmkit_{name}"
        (package / "templates" / name).mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "hooks.py").write_text(HOOKS.replace("{name}", name))
        (package / "templates" / name / "greeting.html").write_text(GREETING)
        return PluginInfo(name=name, requires_api=">=1.0,<2", hooks=f"crmkit_{name}.hooks")

    return make


def signed_on() -> PluginInfo:
    class SingleSignOn:
        @hookimpl
        def actor_from_request(self, app: Crm, request: object) -> Actor:
            return Actor(user_id=None, username="tester", role="admin")

    return register_plugin(SingleSignOn(), name="signon")


def test_plugin_page_renders_its_template_inside_the_kernel_layout(
    make_crm: Callable[..., Crm], page_plugin: Callable[[], PluginInfo]
) -> None:
    info = page_plugin()
    with http_client(make_crm([info, signed_on()])) as client:
        response = client.get(f"/p/{info.name}/greeting")
    assert response.status_code == 201
    assert '<p id="greeting">Hello from the plugin &lt;pages&gt;</p>' in response.text
    # The kernel's layout around it: title block, navigation and the actor.
    assert "<title>Greeting · crmkit</title>" in response.text
    assert 'aria-label="Main"' in response.text
    assert "tester · admin" in response.text


def test_templates_of_a_plugin_not_enabled_are_not_found(
    page_plugin: Callable[[], PluginInfo],
) -> None:
    enabled, other = page_plugin(), page_plugin()
    env = make_environment([enabled])
    assert env.get_template(f"{enabled.name}/greeting.html")
    with pytest.raises(jinja2.TemplateNotFound):
        env.get_template(f"{other.name}/greeting.html")
    # Kernel templates keep their names; a plugin cannot replace them.
    assert (env.get_template("base.html").filename or "").endswith("crmkit/web/templates/base.html")

"""``crmkit serve`` (the configured CRM over HTTP) and ``crmkit demo`` (a CRM with generated data)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import click
from starlette.applications import Starlette

from crmkit.app import Crm
from crmkit.core.settings import Settings


def _plugins(crm: Crm) -> str:
    loaded = ", ".join(crm.host.loaded) or "none"
    failed = [s.name for s in crm.host.statuses.values() if s.state == "failed"]
    return f"plugins: {loaded}" + (f" (failed: {', '.join(failed)})" if failed else "")


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options believing X-Forwarded-For and -Proto from ``trusted_proxies`` only.

    Left to itself uvicorn believes them from 127.0.0.1, so any local process (or a
    proxy nobody configured) could choose the client address the rate limits count.
    """
    trusted = list(settings.trusted_proxies)
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for serving the CRM: the proxies believed and the request log.

    The event loop and the HTTP parser stay uvicorn's ``auto``: uvloop and httptools,
    which crmkit depends on (uvicorn's ``standard`` extra), wherever they install;
    asyncio and h11 elsewhere. A line per request is written only when ``access_log``
    asks for it: formatting and writing it costs more than a cached read does.
    """
    return {"access_log": settings.access_log, **proxy_options(settings)}


def asgi_app() -> Starlette:
    """The configured CRM's web application (an import string for uvicorn, so ``--reload`` works)."""
    from crmkit.cli.context import get_app
    from crmkit.web.app import create_asgi

    crm = get_app()
    click.echo(f"crmkit: {_plugins(crm)}", err=True)
    return create_asgi(crm, long_lived=True)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--reload", is_flag=True, help="Restart when the code changes (development).")
def serve(host: str, port: int, reload: bool) -> None:
    """Serve the CRM configured by crmkit.toml and CRMKIT_* over HTTP (uvicorn)."""
    import uvicorn

    from crmkit.cli.context import get_app

    uvicorn.run(
        "crmkit.cli.serve:asgi_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        **server_options(get_app().settings),
    )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@click.command()
@click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    default="crmkit-demo.db",
    show_default=True,
    help="The SQLite file; created and filled on the first run, reused afterwards.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--customers", default=3000, show_default=True, type=click.IntRange(0))
@click.option("--prospects", default=5000, show_default=True, type=click.IntRange(0))
@click.option("--no-serve", is_flag=True, help="Create and fill the database, then stop.")
def demo(
    database: Path, host: str, port: int, customers: int, prospects: int, no_serve: bool
) -> None:
    """A CRM with every installed plugin and generated data, served on this machine.

    The demo users share a published password (printed here): keep it to this machine.
    """
    from crmkit.demo.app import LOGIN_HINT, demo_asgi, open_demo
    from crmkit.demo.seed import seed

    crm = open_demo(database, f"http://{host}:{port}")
    seeded = seed(crm, customers=customers, prospects=prospects)
    if seeded is None:
        click.echo(f"crmkit demo: reusing {database} (already filled); {_plugins(crm)}")
    else:
        click.echo(
            f"crmkit demo: {seeded.customers:,} customers, {seeded.prospects:,} prospects, "
            f"{seeded.interactions:,} interactions and {seeded.users} users written to {database} "
            f"in {seeded.seconds:.1f} s; {_plugins(crm)}"
        )
    if no_serve:
        crm.close()
        return
    if not _is_loopback(host):
        click.echo(
            f"crmkit demo: warning: listening on {host}; anyone who can reach it can log in as admin",
            err=True,
        )
    import uvicorn

    click.echo(f"crmkit demo: {LOGIN_HINT}")
    click.echo(f"crmkit demo: open http://{host}:{port}/ (Ctrl+C stops it)")
    uvicorn.run(
        demo_asgi(crm, long_lived=True), host=host, port=port, **server_options(crm.settings)
    )

"""Start-up benchmark: ``crmkit plugins list`` and a cold web start, against ``import crmkit``.

    python bench/startup.py [--runs N]

Every figure is the median wall time of N fresh interpreter processes (cold
start: nothing imported, nothing cached in the process), with every installed
plugin enabled:

* baseline — ``python -c "import crmkit"``;
* plugins list — the ``crmkit plugins list`` command;
* web cold start — import crmkit's web layer, build the application (``Crm``) on
  a new SQLite file, build its ASGI application, start it (lifespan) and serve
  its first request (``GET /api/v1/health``) through the ASGI interface, as a
  server would; the child process also reports where its time went.

The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from typing import Any

COLD_START = """
import asyncio, json, tempfile, time
started = time.perf_counter()
from crmkit.app import Crm
from crmkit.core.settings import Settings
from crmkit.web.app import create_asgi
imported = time.perf_counter()


async def first_request(asgi):
    # What a server does: lifespan start-up, one request, shut-down (no HTTP client imported).
    lifespan_in, sent = asyncio.Queue(), []
    async def lifespan_send(message):
        sent.append(message["type"])
    lifespan_in.put_nowait({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(
        asgi({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, lifespan_in.get, lifespan_send)
    )
    while "lifespan.startup.complete" not in sent:
        await asyncio.sleep(0)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/api/v1/health", "raw_path": b"/api/v1/health",
        "query_string": b"", "root_path": "", "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
    }
    response = []
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        response.append(message)
    await asgi(scope, receive, send)
    lifespan_in.put_nowait({"type": "lifespan.shutdown"})
    await lifespan
    return response[0]["status"]


with tempfile.TemporaryDirectory() as folder:
    crm = Crm(Settings(database_url=f"sqlite:///{folder}/bench.db", plugins={"*": True}))
    built = time.perf_counter()
    asgi = create_asgi(crm)
    asgi_built = time.perf_counter()
    status = asyncio.run(first_request(asgi))
    served = time.perf_counter()
assert status == 200, status
print(json.dumps({
    "import_s": imported - started,
    "build_app_s": built - imported,
    "build_asgi_s": asgi_built - built,
    "start_and_first_request_s": served - asgi_built,
    "plugins": crm.host.loaded,
}))
"""

COMMANDS: dict[str, list[str]] = {
    "baseline": [sys.executable, "-c", "import crmkit"],
    "plugins_list": [
        sys.executable,
        "-c",
        "from crmkit.cli.main import main; main()",
        "plugins",
        "list",
    ],
    "web_cold_start": [sys.executable, "-c", COLD_START],
}


def timed(command: list[str]) -> tuple[float, str]:
    """Wall seconds of one run of ``command`` and its standard output; a failure stops the bench."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command[:3]} failed:\n{done.stderr}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="processes per figure (median)")
    runs = parser.parse_args().runs

    walls: dict[str, list[float]] = {name: [] for name in COMMANDS}
    breakdowns: list[dict[str, Any]] = []
    # Interleaved, so that a busy moment of the machine hits every figure alike.
    for _ in range(runs):
        for name, command in COMMANDS.items():
            seconds, output = timed(command)
            walls[name].append(seconds)
            if name == "web_cold_start":
                breakdowns.append(json.loads(output.strip().splitlines()[-1]))

    median = {name: statistics.median(values) for name, values in walls.items()}
    steps = {
        key: statistics.median(b[key] for b in breakdowns)
        for key in breakdowns[0]
        if key.endswith("_s")
    }
    plugins = breakdowns[0]["plugins"]
    base = median["baseline"]
    print(f"median of {runs} cold processes each; plugins enabled: {', '.join(plugins) or 'none'}")
    for name, seconds in median.items():
        extra = "" if name == "baseline" else f"  (+{seconds - base:.3f} s over the baseline)"
        print(f"  {name:<16} {seconds:.3f} s{extra}")
    print("  web cold start inside the process:")
    for key, seconds in steps.items():
        print(f"    {key.removesuffix('_s'):<26} {seconds:.3f} s")
    print(
        json.dumps(
            {
                "runs": runs,
                "plugins": plugins,
                "baseline_import_s": round(base, 4),
                "plugins_list_s": round(median["plugins_list"], 4),
                "plugins_list_over_baseline_s": round(median["plugins_list"] - base, 4),
                "web_cold_start_s": round(median["web_cold_start"], 4),
                "web_cold_start_over_baseline_s": round(median["web_cold_start"] - base, 4),
                "web_cold_start_steps_s": {k: round(v, 4) for k, v in steps.items()},
            }
        )
    )


if __name__ == "__main__":
    main()

"""What the benchmarks that load a server over HTTP share: a free port, and a server of the
benchmark's own started in a process of its own, answered before it is measured."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(arguments: list[str], probe: str, stack: ExitStack) -> str:
    """Run ``python ARGUMENTS --port PORT`` (the benchmark serving one of its servers) until
    ``stack`` closes; its base URL once ``probe`` answers at all (an error status too)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, *arguments, "--port", str(port)])
    stack.callback(process.wait, 10)
    stack.callback(process.terminate)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}{probe}", timeout=1)
        except urllib.error.HTTPError:
            return base  # a 401, 403, 404 or 405: it answers
        except OSError:
            time.sleep(0.2)
        else:
            return base
    raise RuntimeError(f"{' '.join(arguments)} did not start")

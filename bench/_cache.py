"""Where the benchmarks keep the large databases they fill once and reuse between runs."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def schema_tag() -> str:
    """Short for the migrations the checkout holds: a database filled before a schema change
    is not reused after it (its tables would lack what the code now writes)."""
    found = [*ROOT.glob("crmkit/migrations/versions/*.py")]
    found += ROOT.glob("plugins/*/*/migrations/versions/*.py")
    names = sorted(p.name for p in found)
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:8]


def cached_sqlite(bench: str, name: str) -> str:
    """The URL of the SQLite file ``name`` of benchmark ``bench`` in the temporary folder."""
    folder = Path(tempfile.gettempdir()) / f"crmkit-bench-{bench}"
    folder.mkdir(exist_ok=True)
    return f"sqlite:///{folder / f'{name}-{schema_tag()}.sqlite'}"

"""Hook overhead benchmark: the cost of saving an entity with 0 and with 10 plugins hooked in.

    python bench/hooks.py [--saves N] [--chunk C] [--plugins P]

Each save is ``create_party`` of a prospect with an email address and a phone
number, in a transaction of its own (events delivered after commit, as in
production), on a SQLite file. The measured arm has P throwaway plugins that
each implement the write hooks ``entity_validate`` and ``entity_saved`` with
trivial work; the baseline arm has none. The N saves of each arm run in chunks
of C, alternating between the arms, so that drifts of a shared machine hit
both alike; the figures are medians over chunks. A second measurement times
the two hook calls of a save alone, without the database, to show what the
host's call path costs. The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from crmkit import Party, ValidationError, hookimpl
from crmkit.app import Crm
from crmkit.core.parties import build_party, create_party
from crmkit.core.settings import Settings
from crmkit.testing import make_app, register_plugin

TARGET_OVERHEAD = 0.30


class Bookkeeper:
    """A plugin doing what a cheap write hook does: look at the change, count the write."""

    def __init__(self) -> None:
        self.saved = 0

    @hookimpl
    def entity_validate(self, entity_type: str, changes: dict[str, Any]) -> None:
        if entity_type == "prospect" and changes.get("display_name") == "":
            raise ValidationError("display_name", "a prospect needs a name")

    @hookimpl
    def entity_saved(self, entity: Any, change: str) -> None:
        if change == "created" and entity.id is not None:
            self.saved += 1


def make(folder: Path, name: str, plugins: int) -> tuple[Crm, list[Bookkeeper]]:
    """An application on a SQLite file of its own, with ``plugins`` bookkeepers."""
    keepers = [Bookkeeper() for _ in range(plugins)]
    infos = [register_plugin(k, name=f"keeper{i:02d}") for i, k in enumerate(keepers)]
    settings = Settings(database_url=f"sqlite:///{folder / name}.db")
    return make_app(infos, settings=settings), keepers


def prospects(count: int, offset: int) -> list[Party]:
    """Fresh prospects to save (built before timing: parsing is not what is measured)."""
    return [
        build_party(
            "prospect",
            {
                "first_name": "Anna",
                "last_name": f"Berg {offset + i}",
                "emails": [f"anna.berg{offset + i}@example.com"],
                "phones": [f"030 {1_000_000 + offset + i}"],
            },
            region="DE",
        )
        for i in range(count)
    ]


def save_all(app: Crm, entities: list[Party]) -> float:
    """Seconds to save every entity, one transaction each."""
    started = time.perf_counter()
    for entity in entities:
        with app.transaction() as tx:
            create_party(tx, entity)
    return time.perf_counter() - started


def dispatch_us(app: Crm, calls: int = 20_000) -> float:
    """µs the two write-hook calls of one save take, without any database work."""
    entity = prospects(1, 0)[0]
    entity.id = 1
    changes = {"display_name": entity.display_name}
    started = time.perf_counter()
    for _ in range(calls):
        app.host.call(
            "entity_validate", tx=None, entity_type="prospect", entity=entity, changes=changes
        )
        app.host.call(
            "entity_saved", tx=None, entity_type="prospect", entity=entity, change="created"
        )
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=5000, help="saves per arm")
    parser.add_argument("--chunk", type=int, default=100, help="saves per chunk (arms alternate)")
    parser.add_argument("--plugins", type=int, default=10, help="plugins in the measured arm")
    args = parser.parse_args()
    chunks = max(1, args.saves // args.chunk)

    timings: dict[str, list[float]] = {"baseline": [], "hooked": []}
    with tempfile.TemporaryDirectory() as folder:
        baseline, _ = make(Path(folder), "baseline", 0)
        hooked, keepers = make(Path(folder), "hooked", args.plugins)
        # Warm both up (first connection, statement caches) outside the measurement.
        for app in (baseline, hooked):
            save_all(app, prospects(100, 10_000_000))
        for chunk in range(chunks):
            for arm, app in (("baseline", baseline), ("hooked", hooked)):
                seconds = save_all(app, prospects(args.chunk, chunk * args.chunk))
                timings[arm].append(seconds / args.chunk * 1e6)
            if (chunk + 1) % max(1, chunks // 5) == 0:
                print(
                    f"chunk {chunk + 1:3}/{chunks}: baseline {timings['baseline'][-1]:7.1f} µs/save,"
                    f" hooked {timings['hooked'][-1]:7.1f} µs/save"
                )
        dispatch = {"baseline": dispatch_us(baseline), "hooked": dispatch_us(hooked)}
        for app in (baseline, hooked):
            app.close()

    saved = 100 + chunks * args.chunk
    assert all(k.saved >= saved for k in keepers), "a plugin's entity_saved did not run"
    base = statistics.median(timings["baseline"])
    with_hooks = statistics.median(timings["hooked"])
    overhead = with_hooks / base - 1
    print(f"saves per arm: {chunks * args.chunk} in {chunks} alternating chunks of {args.chunk}")
    print(f"baseline (0 plugins):  {base:8.1f} µs/save (median over chunks)")
    print(f"hooked ({args.plugins} plugins):   {with_hooks:8.1f} µs/save")
    print(f"overhead:              {overhead:8.1%} (target <= {TARGET_OVERHEAD:.0%})")
    print(
        f"hook calls alone:      {dispatch['baseline']:8.1f} µs/save with 0 plugins,"
        f" {dispatch['hooked']:.1f} µs/save with {args.plugins}"
    )
    print(
        json.dumps(
            {
                "benchmark": "hooks",
                "saves_per_arm": chunks * args.chunk,
                "chunk": args.chunk,
                "plugins": args.plugins,
                "baseline_us_per_save": round(base, 1),
                "hooked_us_per_save": round(with_hooks, 1),
                "overhead_ratio": round(overhead, 4),
                "target_overhead_ratio": TARGET_OVERHEAD,
                "target_met": overhead <= TARGET_OVERHEAD,
                "hook_calls_us_per_save_baseline": round(dispatch["baseline"], 2),
                "hook_calls_us_per_save_hooked": round(dispatch["hooked"], 2),
            }
        )
    )


if __name__ == "__main__":
    main()

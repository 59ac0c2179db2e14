"""A worker killed with SIGKILL mid-way, then run again: the ledger is exactly what the work says.

The worker is a real process on the test's database applying a list of earnings and
redemptions, each in its own transaction with its reference. It is killed twice: once while
it holds a transaction that has written an entry and not committed (the narrowest window
there is), once from outside wherever it is; then it runs the whole list again to the end.
No points are created or lost: every balance equals the list's totals, no entry is written
twice, and the balance check passes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmkit_loyalty.ledger.tables import entry, redemption
from sqlalchemy import func, select

from crmkit import Crm
from crmkit.testing import TestDatabase

if TYPE_CHECKING:
    from conftest import LedgerKit

WORKER = """
import json, sys, time
from crmkit import Settings
from crmkit.testing import make_app
from crmkit_loyalty.ledger import entries, redemptions, service

url, plan_path, hold_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
crm = make_app(["loyalty"], settings=Settings(database_url=url), create_tables=False)
if hold_at >= 0:
    # Stop inside the transaction of work item ``hold_at``, right after its entry is written.
    append = entries.append
    def holding(*args, **kwargs):
        made = append(*args, **kwargs)
        if done == hold_at:
            print("holding", flush=True)
            time.sleep(600)
        return made
    entries.append = holding
for done, item in enumerate(json.load(open(plan_path))):
    with crm.transaction() as tx:
        if item["kind"] == "earn":
            service.earn(tx, item["member"], item["points"], source="shop", reference=item["ref"])
        else:
            redemptions.redeem(tx, item["member"], points=item["points"], reference=item["ref"])
    print("done", done, flush=True)
print("finished", flush=True)
"""


def _start(db: TestDatabase, plan: Path, hold_at: int = -1) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, db.session_url, str(plan), str(hold_at)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _read_until(worker: subprocess.Popen[str], wanted: str) -> None:
    assert worker.stdout is not None
    for line in worker.stdout:
        if line.startswith(wanted):
            return
    raise AssertionError(f"the worker ended (status {worker.wait()}) before saying {wanted!r}")


def _kill(worker: subprocess.Popen[str]) -> None:
    worker.send_signal(signal.SIGKILL)
    assert worker.wait() == -signal.SIGKILL


def test_a_worker_killed_twice_then_run_again_leaves_the_ledger_exact(
    crm: Crm, crm_db: TestDatabase, ledger: LedgerKit, new_party: Any, tmp_path: Path
) -> None:
    members = [ledger.member(new_party(emails=[f"m{n}@example.org"])) for n in range(4)]
    plan: list[dict[str, Any]] = []
    expected = dict.fromkeys(members, 0)
    for round_ in range(15):
        for m in members:
            plan.append(
                {"kind": "earn", "member": m, "points": 40 + round_, "ref": f"o-{m}-{round_}"}
            )
            expected[m] += 40 + round_
            if round_ % 3 == 2:
                plan.append({"kind": "redeem", "member": m, "points": 50, "ref": f"r-{m}-{round_}"})
                expected[m] -= 50
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))

    first = _start(crm_db, path, hold_at=17)  # an earning: killed with its entry uncommitted
    _read_until(first, "holding")
    _kill(first)
    second = _start(crm_db, path)
    _read_until(second, f"done {len(plan) // 2}")
    _kill(second)
    last = _start(crm_db, path)
    _read_until(last, "finished")
    assert last.wait() == 0

    for m, points in expected.items():
        assert ledger.balance(m) == points
    with crm.read() as conn:
        entries = conn.execute(select(func.count()).select_from(entry)).scalar_one()
        redeemed = conn.execute(select(func.count()).select_from(redemption)).scalar_one()
    assert entries == len(plan)
    assert redeemed == sum(1 for item in plan if item["kind"] == "redeem")
    ledger.assert_balances()

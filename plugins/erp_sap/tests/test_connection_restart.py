"""``crmkit erp_sap sync`` killed with SIGKILL at random points, then run again: the result
equals one clean run (the same parties, external ids and failures; nothing twice)."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from crmkit_erp_sap.partners.sync import sync
from crmkit_erp_sap.partners.tables import sync_failure, sync_run
from crmkit_erp_sap.testing import BusinessPartners, SapServer
from sqlalchemy import select

from crmkit import Crm, contact_point_table, external_ids_of, party_table
from crmkit.testing import TestDatabase, make_app, test_database

PARTNERS = 240
MALFORMED = {17: "email", 88: "country", 131: "date", 200: "key"}
KILLS = 4


def partners() -> BusinessPartners:
    served = BusinessPartners(seed=31, count=PARTNERS, server_page=20)
    served.malformed.update(MALFORMED)
    return served


def outcome(crm: Crm) -> dict[str, Any]:
    """What a sync leaves, keyed by what SAP knows (party ids differ between databases)."""
    with crm.read() as conn:
        points: dict[int, list[tuple[str, str]]] = {}
        for row in conn.execute(
            select(
                contact_point_table.c.party_id,
                contact_point_table.c.kind,
                contact_point_table.c.value,
            )
        ):
            points.setdefault(row.party_id, []).append((row.kind, row.value))
        by_partner: dict[str, Any] = {}
        parties = conn.execute(
            select(
                party_table.c.id, party_table.c.display_name, party_table.c.kind, party_table.c.role
            )
        ).all()
        for party in parties:
            ids = [(found.system, found.external_id) for found in external_ids_of(conn, party.id)]
            assert len(ids) == 1, ids
            by_partner[ids[0][1]] = (
                party.display_name,
                party.kind,
                party.role,
                sorted(points.get(party.id, [])),
            )
        failures = sorted(
            {
                (row.business_partner or "", row.field or "", row.reason)
                for row in conn.execute(select(sync_failure))
            }
        )
    return {"parties": len(parties), "by_partner": by_partner, "failures": failures}


def toml(table: Mapping[str, Any], prefix: str = "") -> list[str]:
    lines = [f"{k} = {json.dumps(v)}" for k, v in table.items() if not isinstance(v, Mapping)]
    for key, value in table.items():
        if isinstance(value, Mapping):
            name = f"{prefix}.{key}" if prefix else key
            lines += ["", f"[{name}]", *toml(value, name)]
    return lines


def wait_until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.002)


def test_a_sync_killed_at_random_points_and_rerun_equals_one_clean_run(
    make_erp_sap: Any, crm_db: TestDatabase, tmp_path: Path
) -> None:
    rng = random.Random(18)
    with SapServer(partners()) as sap:
        system = sap.system_settings(page_size=20, max_retries=2)
        crm = make_erp_sap({"connection": {"systems": {"S4P": system}}})
        config = tmp_path / "crmkit.toml"
        settings = {
            "crmkit": {"database_url": crm_db.session_url},
            "plugins": {"erp_sap": {"connection": {"systems": {"S4P": system}}}},
        }
        config.write_text("\n".join(toml(settings)) + "\n")
        env = {**os.environ, "CRMKIT_CONFIG": str(config), "CRMKIT_PLUGINS": "erp_sap"}
        command = [
            sys.executable,
            "-c",
            "from crmkit.cli.main import main; main()",
            "erp_sap",
            "sync",
        ]

        killed = sum(
            _killed_midway(command, env, tmp_path / f"attempt-{attempt}.log", sap, rng)
            for attempt in range(KILLS)
        )
        finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)

        assert finished.returncode == 0, finished.stderr
        assert "finished" in finished.stdout
        assert killed >= 2
        interrupted = _statuses(crm)
        result = outcome(crm)

    with (
        tempfile.TemporaryDirectory() as folder,
        test_database(folder) as clean_db,
        SapServer(partners()) as sap,
    ):
        clean = make_app(
            ["erp_sap"],
            database=clean_db,
            settings=crm.settings.__class__(
                database_url=clean_db.url,
                plugin_settings={
                    "erp_sap": {
                        "connection": {"systems": {"S4P": sap.system_settings(page_size=20)}}
                    }
                },
            ),
        )
        try:
            run = sync(clean, "S4P")
            expected = outcome(clean)
        finally:
            clean.close()

    assert run.status == "finished"
    assert result == expected
    assert expected["parties"] == PARTNERS - len(MALFORMED)
    assert len(expected["failures"]) == len(MALFORMED)
    assert interrupted.count("finished") >= 1
    assert "running" not in interrupted
    assert interrupted.count("interrupted") >= 1


def _statuses(crm: Crm) -> list[str]:
    with crm.read() as conn:
        return [
            row.status for row in conn.execute(select(sync_run.c.status).order_by(sync_run.c.id))
        ]


def _killed_midway(
    command: list[str], env: dict[str, str], log: Path, sap: SapServer, rng: random.Random
) -> bool:
    """Run the sync and SIGKILL it at a random point: some calls into the run, then a random
    moment after that call; whether it was still running to be killed."""
    at_call = len(sap.calls) + rng.randint(1, 10)
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=out, start_new_session=True)
    wait_until(lambda: len(sap.calls) >= at_call or process.poll() is not None, 120)
    time.sleep(rng.uniform(0, 0.08))
    running = process.poll() is None
    if running:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    _end_group(process.pid)
    return running


def _end_group(group: int) -> None:
    """The sync's page-reading worker processes, if the kill left any behind."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)

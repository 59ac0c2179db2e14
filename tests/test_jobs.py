"""Background jobs: registered by plugins, scheduled by ``every``, their outcomes recorded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select, update

from crmkit import Job, NotFound, PluginError, hookimpl
from crmkit.app import Crm
from crmkit.cli.context import configured_app
from crmkit.cli.main import cli
from crmkit.core.db import transaction
from crmkit.core.parties import build_party, create_party
from crmkit.core.tables import job_state, outbox, utcnow
from crmkit.testing import apps, register_plugin


class Chores:
    """Three jobs: one hourly, one every minute that fails while the ERP is down, one on demand."""

    def __init__(self) -> None:
        self.ran: list[str] = []
        self.erp_down = True

    def tidy(self, app: Crm) -> None:
        self.ran.append("tidy")

    def sync(self, app: Crm) -> None:
        self.ran.append("sync")
        if self.erp_down:
            raise ConnectionError("ERP unreachable")

    def report(self, app: Crm) -> None:
        self.ran.append("report")

    @hookimpl
    def register_jobs(self) -> list[Job]:
        return [
            Job("chores.tidy", self.tidy, every=timedelta(hours=1)),
            Job("chores.sync", self.sync, every=timedelta(minutes=1)),
            Job("chores.report", self.report),
        ]


@pytest.fixture
def chores() -> Chores:
    return Chores()


@pytest.fixture
def app(make_crm: Callable[..., Crm], chores: Chores) -> Crm:
    return make_crm(plugins=[register_plugin(chores, name="chores")])


def test_hook_register_jobs(app: Crm, chores: Chores) -> None:
    assert {"chores.tidy", "chores.sync", "chores.report", "core.deliver_outbox"} <= set(
        app.jobs.jobs
    )
    assert app.jobs.run("chores.report").ok
    assert chores.ran == ["report"]


def test_successful_run_records_last_run_and_last_success(app: Crm) -> None:
    before = utcnow()
    result = app.jobs.run("chores.tidy")
    assert result.ok and result.error is None
    state = app.jobs.states()["chores.tidy"]
    assert state.last_run_at >= before
    assert state.last_success_at == state.last_run_at
    assert state.last_error is None
    assert (state.runs, state.failures) == (1, 0)


def test_failed_run_records_the_error_and_keeps_the_last_success(app: Crm, chores: Chores) -> None:
    chores.erp_down = False
    app.jobs.run("chores.sync")
    succeeded_at = app.jobs.states()["chores.sync"].last_success_at

    chores.erp_down = True
    result = app.jobs.run("chores.sync")

    assert not result.ok
    assert result.error == "ConnectionError: ERP unreachable"
    state = app.jobs.states()["chores.sync"]
    assert state.last_error == "ConnectionError: ERP unreachable"
    assert state.last_error_at == state.last_run_at > succeeded_at
    assert state.last_success_at == succeeded_at
    assert (state.runs, state.failures) == (2, 1)


def test_one_failing_job_does_not_stop_the_others(app: Crm, chores: Chores) -> None:
    results = app.jobs.run_due()
    assert [r.name for r in results] == [
        "chores.sync",
        "chores.tidy",
        "core.deliver_outbox",
        "core.deliver_webhooks",
        "core.escalate_missed_first_contacts",
        "core.expire_untouched_prospects",
        "core.prune_idempotency_answers",
        "core.prune_signed_receipts",
    ]
    assert [r.ok for r in results] == [False, True, True, True, True, True, True, True]
    assert chores.ran == ["sync", "tidy"]


def test_due_jobs_follow_their_interval(app: Crm) -> None:
    app.jobs.run_due()
    now = utcnow()
    assert app.jobs.due(now) == []
    assert app.jobs.due(now + timedelta(seconds=31)) == [
        "core.deliver_outbox",
        "core.deliver_webhooks",
    ]
    assert app.jobs.due(now + timedelta(seconds=61)) == [
        "chores.sync",
        "core.deliver_outbox",
        "core.deliver_webhooks",
    ]
    assert app.jobs.due(now + timedelta(hours=1)) == [
        "chores.sync",
        "chores.tidy",
        "core.deliver_outbox",
        "core.deliver_webhooks",
        "core.escalate_missed_first_contacts",
        "core.expire_untouched_prospects",
        "core.prune_idempotency_answers",
        "core.prune_signed_receipts",
    ]


def test_on_demand_job_is_never_due(app: Crm) -> None:
    assert "chores.report" not in app.jobs.due(utcnow() + timedelta(days=365))


def test_running_an_unknown_job_names_it(app: Crm) -> None:
    with pytest.raises(NotFound, match=r"'chores\.nap'"):
        app.jobs.run("chores.nap")


def test_serve_runs_due_jobs_until_stopped(app: Crm, chores: Chores) -> None:
    rounds = iter([False, False, True])
    app.jobs.serve(lambda: next(rounds), tick=0)
    # Second round: nothing is due any more.
    assert chores.ran == ["sync", "tidy"]


@pytest.mark.parametrize("name", ["tidy", "other.tidy", "chores.tidy"])
def test_job_names_must_carry_the_plugin_prefix_and_be_unique(
    make_crm: Callable[..., Crm], name: str
) -> None:
    class Misnamed:
        @hookimpl
        def register_jobs(self) -> list[Job]:
            return [Job(name, print), Job("chores.tidy", print)]

    with pytest.raises(PluginError) as caught:
        make_crm(plugins=[register_plugin(Misnamed(), name="chores")])
    assert caught.value.plugin == "chores"
    assert name in caught.value.message


# --- The command line.


@pytest.fixture
def cli_env(crm: Crm, crm_db: apps.TestDatabase, tmp_path: Any) -> Iterator[dict[str, str]]:
    """Environment for ``crmkit`` commands working on this test's (kernel-only) database."""
    url = crm_db.session_url
    env = {
        "CRMKIT_DATABASE_URL": url,
        "CRMKIT_PLUGINS": "",
        "CRMKIT_CONFIG": str(tmp_path / "absent.toml"),
    }
    configured_app.cache_clear()
    yield env
    configured_app.cache_clear()


def invoke(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_jobs_list_shows_schedule_last_run_success_and_error(
    cli_env: dict[str, str], crm: Crm
) -> None:
    first = invoke(cli_env, "jobs", "list")
    assert first.exit_code == 0, first.output
    header, row, *kernel_jobs = first.output.splitlines()
    assert header.split() == ["JOB", "EVERY", "LAST", "RUN", "LAST", "SUCCESS", "LAST", "ERROR"]
    assert row.split() == ["core.deliver_outbox", "30s", "never", "never", "-"]
    assert [r.split()[0] for r in kernel_jobs] == [
        "core.deliver_webhooks",
        "core.escalate_missed_first_contacts",
        "core.expire_untouched_prospects",
        "core.prune_idempotency_answers",
        "core.prune_signed_receipts",
    ]

    with crm.engine.begin() as conn:
        conn.execute(
            insert(job_state).values(
                name="core.deliver_outbox",
                last_run_at=utcnow(),
                last_error_at=utcnow(),
                last_error="OperationalError: database is locked\nTraceback ...",
                runs=1,
                failures=1,
            )
        )
    second = invoke(cli_env, "jobs", "list")
    row = second.output.splitlines()[1]
    assert "OperationalError: database is locked" in row
    assert "Traceback" not in row
    assert row.split()[2] != "never" and row.split()[4] == "never"


def test_jobs_run_runs_the_job_and_reports_success(cli_env: dict[str, str], crm: Crm) -> None:
    result = invoke(cli_env, "jobs", "run", "core.deliver_outbox")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("job core.deliver_outbox succeeded in")
    with crm.engine.connect() as conn:
        state = conn.execute(select(job_state)).one()
    assert state.runs == 1 and state.last_success_at is not None


def test_jobs_run_of_an_unknown_job_fails_naming_it(cli_env: dict[str, str]) -> None:
    result = invoke(cli_env, "jobs", "run", "core.nap")
    assert result.exit_code == 1
    assert "no job named 'core.nap'" in result.output
    assert "core.deliver_outbox" in result.output


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_worker_runs_due_jobs_until_signalled(
    cli_env: dict[str, str], crm: Crm, signum: signal.Signals
) -> None:
    # An event committed by a process that died before delivering it.
    with transaction(crm.engine, crm.host, app=crm) as tx:
        create_party(tx, build_party("prospect", {"last_name": "Berg"}, region="DE"))
        # This app has no subscriber, so the event was stored as delivered: make it pending.
        tx.conn.execute(update(outbox).values(delivered_at=None))
    command = [sys.executable, "-c", "from crmkit.cli.main import main; main()"]
    worker = subprocess.Popen(
        [*command, "worker", "--tick", "0.1"],
        env={**os.environ, **cli_env},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stderr is not None
        ready = worker.stderr.readline()
        assert ready.startswith("worker: scheduling"), ready
        deadline = time.monotonic() + 20
        delivered = None
        while delivered is None and time.monotonic() < deadline:
            with crm.engine.connect() as conn:
                delivered = conn.execute(select(outbox.c.delivered_at)).scalar()
            time.sleep(0.05)
        assert delivered is not None, "the worker did not deliver the pending event"
        worker.send_signal(signum)
        _, errors = worker.communicate(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, errors
    assert "core.deliver_outbox" in ready
    assert f"{signum.name} received" in errors
    assert errors.rstrip().endswith("worker: stopped")

"""Background jobs: definitions from ``register_jobs``, run in-process by default.

Every job records its last run, last success and last error in ``core_job_state``;
a failing job is recorded and never stops the others. A job must be idempotent:
after a crash it may run again for the same period.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from attrs import frozen
from sqlalchemy import Engine, insert, select, update

from crmkit.core.db import reading
from crmkit.core.errors import NotFound
from crmkit.core.tables import job_state, utcnow

log = logging.getLogger(__name__)


@frozen
class Job:
    """A named piece of background work; ``every`` schedules it, None means on demand only."""

    name: str
    function: Callable[[Any], Any]
    every: timedelta | None = None
    description: str = ""


@frozen
class JobResult:
    name: str
    ok: bool
    error: str | None
    duration_ms: int


class JobQueue(Protocol):
    """Where job runs go: in-process now, a distributed broker when one machine is not enough."""

    def enqueue(self, name: str) -> None: ...


class JobRunner:
    """Runs jobs and keeps their state; the in-process scheduler and queue of the embedded set-up."""

    def __init__(self, app: Any, engine: Engine, jobs: Iterable[Job]) -> None:
        self.app = app
        self.engine = engine
        self.jobs: dict[str, Job] = {}
        for job in jobs:
            if job.name in self.jobs:
                raise ValueError(f"job {job.name!r} is registered twice")
            self.jobs[job.name] = job

    def enqueue(self, name: str) -> None:
        """Run the job now, in this process (the in-process queue)."""
        self.run(name)

    def run(self, name: str) -> JobResult:
        """Run one job and record the outcome; its exception is recorded, not raised."""
        job = self.jobs.get(name)
        if job is None:
            known = ", ".join(sorted(self.jobs)) or "none"
            raise NotFound(f"no job named {name!r} (registered: {known})")
        started = utcnow()
        clock = time.perf_counter()
        error: str | None = None
        try:
            job.function(self.app)
        except Exception as exc:
            log.exception("job %s failed", name)
            error = f"{type(exc).__name__}: {exc}"
        duration = int((time.perf_counter() - clock) * 1000)
        self._record(name, started, error, duration)
        return JobResult(name, error is None, error, duration)

    def _record(self, name: str, started: datetime, error: str | None, duration_ms: int) -> None:
        with self.engine.begin() as conn:
            current = conn.execute(select(job_state).where(job_state.c.name == name)).first()
            values: dict[str, Any] = {"last_run_at": started, "last_duration_ms": duration_ms}
            if error is None:
                values["last_success_at"] = started
            else:
                values.update(last_error=error[:4000], last_error_at=started)
            if current is None:
                conn.execute(
                    insert(job_state).values(
                        name=name, runs=1, failures=int(error is not None), **values
                    )
                )
            else:
                conn.execute(
                    update(job_state)
                    .where(job_state.c.name == name)
                    .values(
                        runs=job_state.c.runs + 1,
                        failures=job_state.c.failures + int(error is not None),
                        **values,
                    )
                )

    def states(self) -> dict[str, Any]:
        """The recorded state of every job, by name (None for a job that never ran)."""
        with reading(self.engine) as conn:
            rows = {r.name: r for r in conn.execute(select(job_state))}
        return {name: rows.get(name) for name in sorted(self.jobs)}

    def due(self, now: datetime | None = None) -> list[str]:
        """Scheduled jobs whose interval has passed since their last run."""
        now = now or utcnow()
        states = self.states()
        names = []
        for name, job in sorted(self.jobs.items()):
            if job.every is None:
                continue
            state = states[name]
            if state is None or state.last_run_at is None or state.last_run_at + job.every <= now:
                names.append(name)
        return names

    def run_due(self, now: datetime | None = None) -> list[JobResult]:
        """Run every due job once; one failure does not stop the rest."""
        return [self.run(name) for name in self.due(now)]

    def serve(
        self,
        stop: Callable[[], bool],
        tick: float = 1.0,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        """The scheduler loop: run due jobs until ``stop()`` says so.

        ``sleep`` waits between rounds; a worker passes an event's ``wait`` to stop at once.
        """
        while not stop():
            self.run_due()
            sleep(tick)

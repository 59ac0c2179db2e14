"""SLA clocks: two per case (first response, resolution), kept in step with the case.

The cases part calls :func:`case_changed` after every change it makes. A clock starts when
the case opens, under the policy its party's tier, priority and category choose; it counts
business time by the calendar of the case's team. First response stops at the first public
reply, resolution when the case is resolved or closed; both pause while the case waits on the
customer (and on a third party when ``pause_on_third_party`` is set) and resume when the
customer answers; a reopened case restarts its resolution clock. While a clock runs, its due
time and warning time are stored, so that a work list is an index scan.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from attrs import evolve, frozen
from sqlalchemy import Connection, insert, or_, select, update

from crmkit import Transaction, utcnow
from crmkit_service.cases.model import Case
from crmkit_service.sla.breaches import record_breach
from crmkit_service.sla.calendar_store import calendar_for_team
from crmkit_service.sla.calendars import Calendar, add_business_seconds, business_seconds_between
from crmkit_service.sla.policies import Policy, policy_for
from crmkit_service.sla.settings import SlaSettings
from crmkit_service.sla.tables import calendar as calendar_table
from crmkit_service.sla.tables import clock

Metric = Literal["first_response", "resolution"]
METRICS: tuple[Metric, ...] = ("first_response", "resolution")
CHANGES = ("opened", "status", "replied", "customer_replied", "priority", "category", "reassigned")
FINISHED_STATUSES = ("resolved", "closed")


@frozen
class Clock:
    """One SLA clock of one case; ``due_at`` is None while it is paused (a stopped one keeps its last)."""

    id: int
    case_id: int
    metric: str
    party_id: int
    owner_id: int | None
    team: str | None
    case_status: str
    policy_id: int | None
    target_seconds: int
    warning_percent: int
    started_at: datetime
    elapsed_seconds: int
    running_since: datetime | None
    paused_at: datetime | None
    due_at: datetime | None
    warn_at: datetime | None
    stopped_at: datetime | None
    met: bool | None
    warned_at: datetime | None
    breached_at: datetime | None
    escalation_level: int
    escalated_at: datetime | None
    updated_at: datetime

    @property
    def running(self) -> bool:
        return self.running_since is not None

    @property
    def state(self) -> str:
        """running, paused or stopped."""
        if self.stopped_at is not None:
            return "stopped"
        return "running" if self.running else "paused"


def clock_from_row(row: Any) -> Clock:
    return Clock(**{c.name: getattr(row, c.name) for c in clock.c})


def clocks_of_case(conn: Connection, case_id: int) -> dict[str, Clock]:
    """The case's clocks by metric (none when no policy applied to it)."""
    rows = conn.execute(select(clock).where(clock.c.case_id == case_id))
    return {row.metric: clock_from_row(row) for row in rows}


def case_changed(tx: Transaction, case: Case, change: str) -> None:
    """Bring the case's clocks in step with ``case`` just after ``change`` was made to it.

    ``change`` is one of "opened", "status", "replied" (a public reply: the first one is the
    first response), "customer_replied", "priority", "category" and "reassigned".
    """
    if change not in CHANGES:
        raise ValueError(f"unknown case change {change!r}: expected one of {', '.join(CHANGES)}")
    settings: SlaSettings = tx.app.settings_of["service"].sla
    now = utcnow()
    # A case just opened has no clocks yet: no need to look.
    found = {} if change == "opened" else clocks_of_case(tx.conn, case.id)
    if not found:
        if case.is_open and change in ("opened", "priority", "category"):
            _start(tx, case, settings, now)
        return
    calendars = _Calendars(tx.conn, settings)
    policy = None
    if change in ("priority", "category"):
        policy = policy_for(
            tx.conn, case.party_id, case.priority, case.category_id, settings.tier_field
        )
    for current in found.values():
        after = _next_state(current, case, change, policy, settings, calendars, now)
        if after != current:
            _save(tx, current, after, now)


class _Calendars:
    """The calendars of the teams met during one change, each read once."""

    def __init__(self, conn: Connection, settings: SlaSettings) -> None:
        self.conn, self.settings = conn, settings
        self.found: dict[str | None, Calendar] = {}

    def of(self, team: str | None) -> Calendar:
        if team not in self.found:
            self.found[team] = calendar_for_team(self.conn, team, self.settings.default_calendar)
        return self.found[team]


def pauses(status: str, settings: SlaSettings) -> bool:
    """Whether clocks stand still while a case is in ``status``."""
    if status == "waiting_on_customer":
        return True
    return status == "waiting_on_third_party" and settings.pause_on_third_party


def _start(tx: Transaction, case: Case, settings: SlaSettings, now: datetime) -> None:
    policy = policy_for(
        tx.conn, case.party_id, case.priority, case.category_id, settings.tier_field
    )
    if policy is None:
        return
    calendar = calendar_for_team(tx.conn, case.team, settings.default_calendar)
    started = min(case.created_at, now)
    for metric in METRICS:
        base = Clock(
            id=0,
            case_id=case.id,
            metric=metric,
            party_id=case.party_id,
            owner_id=case.owner_id,
            team=case.team,
            case_status=case.status,
            policy_id=policy.id,
            target_seconds=_target(policy, metric),
            warning_percent=policy.warning_percent or settings.warning_percent,
            started_at=started,
            elapsed_seconds=0,
            running_since=started,
            paused_at=None,
            due_at=None,
            warn_at=None,
            stopped_at=None,
            met=None,
            warned_at=None,
            breached_at=None,
            escalation_level=0,
            escalated_at=None,
            updated_at=now,
        )
        state = _advanced(base, calendar, now)
        if pauses(case.status, settings):
            state = _paused(state, now)
        elif _stops(metric, case):
            state = _stopped(state, now)
        else:
            state = _scheduled(state, calendar)
        values = {k: v for k, v in _values(state).items() if k != "id"}
        new_id = tx.conn.execute(insert(clock).values(**values).returning(clock.c.id)).scalar_one()
        if state.met is False:
            record_breach(tx, evolve(state, id=new_id), now)


def _target(policy: Policy, metric: str) -> int:
    minutes = (
        policy.first_response_minutes if metric == "first_response" else policy.resolution_minutes
    )
    return minutes * 60


def _stops(metric: str, case: Case) -> bool:
    if case.status in FINISHED_STATUSES:
        return True
    return metric == "first_response" and case.first_response_at is not None


def _next_state(
    current: Clock,
    case: Case,
    change: str,
    policy: Policy | None,
    settings: SlaSettings,
    calendars: _Calendars,
    now: datetime,
) -> Clock:
    old_calendar = calendars.of(current.team)
    state = _advanced(current, old_calendar, now)
    state = evolve(state, owner_id=case.owner_id, team=case.team, case_status=case.status)
    if policy is not None and state.policy_id != policy.id:
        state = evolve(
            state,
            policy_id=policy.id,
            target_seconds=_target(policy, state.metric),
            warning_percent=policy.warning_percent or settings.warning_percent,
            # A new target is a new promise: warn and escalate afresh against it.
            warned_at=None,
            breached_at=None,
            escalation_level=0,
            escalated_at=None,
        )
    reopened = current.case_status in FINISHED_STATUSES and case.status not in FINISHED_STATUSES
    if state.metric == "resolution" and reopened:
        state = evolve(
            state,
            started_at=now,
            elapsed_seconds=0,
            running_since=now,
            paused_at=None,
            stopped_at=None,
            met=None,
            warned_at=None,
            breached_at=None,
            escalation_level=0,
            escalated_at=None,
        )
    if state.stopped_at is not None:
        return state
    if _stops(state.metric, case):
        return _stopped(state, now)
    status_changed = current.case_status != case.status
    # The customer's answer hands the case back to us, unless a third party still has it.
    answered = change == "customer_replied" and case.status != "waiting_on_third_party"
    if answered or (status_changed and not pauses(case.status, settings)):
        state = _resumed(state, now)
    elif status_changed:
        state = _paused(state, now)
    return _scheduled(state, calendars.of(state.team)) if state.running else state


def _advanced(state: Clock, calendar: Calendar, now: datetime) -> Clock:
    """The clock with the business time since it last started counting added to it."""
    if state.running_since is None:
        return state
    spent = business_seconds_between(calendar, state.running_since, now)
    return evolve(state, elapsed_seconds=state.elapsed_seconds + spent, running_since=now)


def _paused(state: Clock, now: datetime) -> Clock:
    if not state.running:
        return state
    return evolve(state, running_since=None, paused_at=now, due_at=None, warn_at=None)


def _resumed(state: Clock, now: datetime) -> Clock:
    if state.running:
        return state
    return evolve(state, running_since=now, paused_at=None)


def _stopped(state: Clock, now: datetime) -> Clock:
    return evolve(
        state,
        running_since=None,
        paused_at=None,
        warn_at=None,
        stopped_at=now,
        met=state.elapsed_seconds <= state.target_seconds,
    )


def _scheduled(state: Clock, calendar: Calendar) -> Clock:
    """The due and warning times of a running clock, from the business time it has left."""
    assert state.running_since is not None
    since = state.running_since
    warn_seconds = state.target_seconds * state.warning_percent // 100
    due = add_business_seconds(
        calendar, since, max(state.target_seconds - state.elapsed_seconds, 0)
    )
    warn = add_business_seconds(calendar, since, max(warn_seconds - state.elapsed_seconds, 0))
    if state.elapsed_seconds > state.target_seconds and state.due_at is not None:
        due = state.due_at  # already past: keep the moment it passed
    return evolve(state, due_at=due, warn_at=warn)


def _values(state: Clock) -> dict[str, Any]:
    return {c.name: getattr(state, c.name) for c in clock.c}


def _save(tx: Transaction, current: Clock, after: Clock, now: datetime) -> None:
    changed: Mapping[str, Any] = {
        name: value for name, value in _values(after).items() if getattr(current, name) != value
    }
    tx.conn.execute(update(clock).where(clock.c.id == current.id).values(**changed, updated_at=now))
    late = after.met is False and current.met is not False
    if late and after.breached_at is None:
        # Stopped late before the watch job saw the breach: the breach is still recorded.
        record_breach(tx, after, now)


def reschedule(tx: Transaction, teams: set[str | None], *, teams_without_calendar: bool) -> int:
    """Due and warning times of the running clocks of ``teams`` again, by their calendars now.

    ``teams_without_calendar``: also the clocks of teams counting by the default calendar.
    Returns how many clocks were rescheduled.
    """
    settings: SlaSettings = tx.app.settings_of["service"].sla
    named = [clock.c.team.in_([t for t in teams if t is not None])]
    if None in teams or teams_without_calendar:
        named.append(clock.c.team.is_(None))
    if teams_without_calendar:
        with_own = select(calendar_table.c.team).where(calendar_table.c.team.is_not(None))
        named.append(clock.c.team.not_in(with_own))
    rows = tx.conn.execute(
        select(clock).where(
            clock.c.stopped_at.is_(None), clock.c.running_since.is_not(None), or_(*named)
        )
    ).all()
    calendars = _Calendars(tx.conn, settings)
    now = utcnow()
    for row in rows:
        current = clock_from_row(row)
        # Time already counted stays counted: only what is left is laid on the calendar.
        after = _scheduled(current, calendars.of(current.team))
        if after != current:
            _save(tx, current, after, now)
    return len(rows)

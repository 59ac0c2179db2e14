"""Planning's scheduled jobs: reminders, run-rate alerts and the weekly forecast snapshot."""

from __future__ import annotations

from datetime import timedelta

from crmkit import Job
from crmkit_sfa.planning.alerts import raise_reminders
from crmkit_sfa.planning.forecast import take_snapshot
from crmkit_sfa.planning.run_rate import check_run_rates

JOBS = [
    Job(
        "sfa.raise_reminders",
        raise_reminders,
        every=timedelta(minutes=15),
        description="Alert owners to overdue activities, stuck deals and passed close dates",
    ),
    Job(
        "sfa.check_run_rates",
        check_run_rates,
        every=timedelta(hours=6),
        description="Alert owners and managers to targets the run-rate says will be missed",
    ),
    Job(
        # Hourly, but it writes once a week: a week that has its snapshot is left alone.
        "sfa.snapshot_forecast",
        take_snapshot,
        every=timedelta(hours=1),
        description="Keep this week's forecast figures for the change since last week",
    ),
]

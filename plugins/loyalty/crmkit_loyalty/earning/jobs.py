"""The earning part's background jobs."""

from __future__ import annotations

from crmkit import Job

JOBS: list[Job] = []

"""The partners part's scheduled jobs."""

from __future__ import annotations

from crmkit import Job

JOBS: list[Job] = []

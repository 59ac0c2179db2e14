"""The demo users' work: tasks about their parties (some overdue, some done) and notifications.

Rows for ``core_task`` and ``core_notification``, written in bulk by the seeding;
what escalations add comes from the kernel's own job.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from crmkit.demo.data import USERS, Generator

SOURCE = "demo"
TASKS_PER_USER = 8
NOTIFICATIONS_PER_USER = 6
WORKERS = ("sales", "manager", "service")
"""Roles whose members get tasks and notifications."""

TASK_TITLES = (
    "Call back about the offer",
    "Send the updated price list",
    "Prepare the annual review",
    "Confirm the delivery date",
    "Ask for feedback on the installation",
    "Clarify the open invoice",
)
NOTIFICATIONS = (
    ("assignment", "A prospect was assigned to you"),
    ("info", "A customer replied to your email"),
    ("info", "Your weekly summary is ready"),
    ("warning", "A quotation expires this week"),
)


def _due(generator: Generator) -> datetime:
    """Mostly in the next two weeks, a quarter of them overdue."""
    days = (
        generator.rng.uniform(-7, 0)
        if generator.rng.random() < 0.25
        else generator.rng.uniform(0, 14)
    )
    return (generator.now + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)


def task_rows(
    generator: Generator,
    user_ids: Mapping[str, int],
    parties_of: Mapping[str, Sequence[int]],
) -> Iterator[dict[str, Any]]:
    """Open and done tasks about each worker's own parties."""
    for demo in USERS:
        mine = parties_of.get(demo.username, ())
        if demo.role not in WORKERS or not mine:
            continue
        for _ in range(TASKS_PER_USER):
            due = _due(generator)
            created = due - timedelta(days=generator.rng.uniform(1, 10))
            done = generator.rng.random() < 0.3 and due < generator.now
            yield {
                "owner_id": user_ids[demo.username],
                "party_id": generator.rng.choice(mine),
                "title": generator.rng.choice(TASK_TITLES),
                "details": None,
                "due_at": due,
                "status": "done" if done else "open",
                "source": SOURCE,
                "created_at": min(created, generator.now),
                "done_at": due if done else None,
                "version": 2 if done else 1,
            }


def notification_rows(
    generator: Generator,
    user_ids: Mapping[str, int],
    parties_of: Mapping[str, Sequence[int]],
) -> Iterator[dict[str, Any]]:
    """A few notifications for each worker over the last days, the older ones read."""
    for demo in USERS:
        mine = parties_of.get(demo.username, ())
        if demo.role not in WORKERS or not mine:
            continue
        for _ in range(NOTIFICATIONS_PER_USER):
            kind, title = generator.rng.choice(NOTIFICATIONS)
            created = generator.now - timedelta(hours=generator.rng.uniform(0.5, 24 * 6))
            read = created < generator.now - timedelta(days=2)
            yield {
                "user_id": user_ids[demo.username],
                "kind": kind,
                "title": title,
                "body": None,
                "link": f"/parties/{generator.rng.choice(mine)}",
                "source": SOURCE,
                "created_at": created.replace(microsecond=0),
                "read_at": created + timedelta(hours=1) if read else None,
            }

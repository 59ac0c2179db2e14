"""The feedback_received hook: a survey's answer handed to every plugin that acts on feedback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crmkit import Crm, RecordRef, Transaction, hookimpl
from crmkit.testing import register_plugin


class Desk:
    """Opens a ticket for a low score, in the caller's transaction."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, str, int | None, tuple[int, int], str | None, str | None]] = []

    @hookimpl
    def feedback_received(
        self,
        tx: Transaction,
        party_id: int,
        survey: str,
        score: int | None,
        scale: tuple[int, int],
        text: str | None,
        reference: str | None,
    ) -> RecordRef | None:
        assert tx.conn is not None
        self.seen.append((party_id, survey, score, scale, text, reference))
        if score is not None and score <= 6:
            return RecordRef("desk.ticket", f"T-{party_id}")
        return None


class Archive:
    """Takes only the arguments it needs, and makes nothing of the answer."""

    def __init__(self) -> None:
        self.texts: list[str | None] = []

    @hookimpl
    def feedback_received(self, text: str | None) -> None:
        self.texts.append(text)


def answer(app: Crm, score: int | None, text: str | None = None) -> list[Any]:
    with app.transaction() as tx:
        results: list[Any] = tx.hooks.call(
            "feedback_received",
            tx=tx,
            party_id=7,
            survey="nps-2026-q4",
            score=score,
            scale=(0, 10),
            text=text,
            reference="answer-1",
        )
    return results


def test_hook_feedback_received(make_crm: Callable[..., Crm]) -> None:
    desk, archive = Desk(), Archive()
    app = make_crm(
        plugins=[register_plugin(desk, name="desk"), register_plugin(archive, name="archive")],
        create_tables=True,
    )
    assert answer(app, 3, "Slow delivery") == [RecordRef("desk.ticket", "T-7")]
    assert answer(app, 9) == []  # collect: only what is not None
    assert desk.seen[0] == (7, "nps-2026-q4", 3, (0, 10), "Slow delivery", "answer-1")
    assert archive.texts == ["Slow delivery", None]


def test_an_implementation_that_fails_stops_the_caller(make_crm: Callable[..., Crm]) -> None:
    class Broken:
        @hookimpl
        def feedback_received(self, party_id: int) -> None:
            raise RuntimeError("desk is down")

    app = make_crm(plugins=[register_plugin(Broken(), name="broken")], create_tables=True)
    with pytest.raises(RuntimeError, match="desk is down"):
        answer(app, 2)

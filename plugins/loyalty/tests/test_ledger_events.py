"""What the ledger tells other plugins: an event for each change of points."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from crmkit_loyalty.ledger import adjustments

from crmkit import Crm, Event, hookimpl
from crmkit.testing import register_plugin

if TYPE_CHECKING:
    from conftest import LedgerKit, LoyaltyMaker


class Listener:
    def __init__(self) -> None:
        self.told: list[tuple[str, int, int]] = []

    @hookimpl
    def on_event(self, event: Event) -> None:
        if event.type.startswith("loyalty.points_"):
            self.told.append((event.type, event.payload["points"], event.payload["balance"]))


@pytest.fixture
def listener() -> Listener:
    return Listener()


@pytest.fixture
def crm(make_loyalty: LoyaltyMaker, listener: Listener) -> Crm:
    return make_loyalty(plugins=(register_plugin(listener, name="listener"),))


def test_an_adjustment_is_told_once_even_when_sent_again(
    crm: Crm, ledger: LedgerKit, listener: Listener, new_party: Any
) -> None:
    member_id = ledger.member(new_party(), 100)
    for _ in range(2):
        with crm.transaction() as tx:
            adjustments.adjust(tx, member_id, -30, reason="Given by mistake", key="k")

    assert listener.told == [
        ("loyalty.points_earned", 100, 100),
        ("loyalty.points_adjusted", -30, 70),
    ]

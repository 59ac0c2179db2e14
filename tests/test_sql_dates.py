"""``shifted_day``: a day moved in SQL, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Column, Date, MetaData, Table, insert, select

from crmkit import Crm, UTCDateTime, shifted_day

days = MetaData()
moments = Table("shift_test", days, Column("day", Date), Column("at", UTCDateTime()))


@pytest.mark.parametrize(
    ("day", "moved", "expected"),
    [
        (date(2024, 2, 29), {"years": 1}, date(2025, 2, 28)),  # SQLite alone: 1 March
        (date(2024, 2, 29), {"years": 4}, date(2028, 2, 29)),
        (date(2026, 3, 15), {"days": -30}, date(2026, 2, 13)),
        (date(2025, 12, 31), {"years": 1, "days": 1}, date(2027, 1, 1)),
    ],
)
def test_a_day_moves_by_years_then_days(
    make_crm: Callable[..., Crm], day: date, moved: dict[str, int], expected: date
) -> None:
    crm = make_crm()
    with crm.engine.begin() as conn:
        moments.create(conn)
        conn.execute(insert(moments).values(day=day, at=datetime(2020, 1, 1, 23, 30, tzinfo=UTC)))
        got = conn.execute(
            select(shifted_day(moments.c.day, **moved), shifted_day(moments.c.at, days=1))
        ).one()
        moments.drop(conn)
    assert got[0] == expected
    assert got[1] == date(2020, 1, 2)  # a timestamp's day, then moved

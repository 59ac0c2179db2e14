"""The one territory rule: a territory is a prefix of a ``<country>-<postcode>`` key, alike in Python and SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select

from crmkit import Crm, in_territory, territory_condition
from crmkit.core.territories import territory_fit

BOUNDARIES: list[tuple[tuple[str, ...], str | None, bool]] = [
    # A postcode prefix covers longer postcodes, never shorter or other ones.
    (("DE-1",), "DE-1", True),
    (("DE-1",), "DE-10", True),
    (("DE-10",), "DE-1", False),
    (("DE-10",), "DE-10", True),
    (("DE-10",), "DE-10115", True),
    (("DE-10",), "DE-11", False),
    (("DE-10",), "DE-", False),
    # A bare country covers its keys, also one without a postcode, and no longer code.
    (("DE",), "DE-10115", True),
    (("DE",), "DE-", True),
    (("DE",), "DEU-1", False),
    (("DE",), "DE", False),
    (("DE",), "AT-1010", False),
    (("D",), "DE-10115", False),
    # As users type them: spaces and case do not matter.
    ((" de - 10 ",), "DE-10115", True),
    (("at",), "AT-1010", True),
    # Empty territories cover nothing, not even a key without a country.
    (("",), "-10115", False),
    (("  ",), "-10115", False),
    ((), "DE-10115", False),
    # One covering territory of several is enough.
    (("AT", "", "DE-10"), "DE-10115", True),
    (("AT", "DE-11"), "DE-10115", False),
    # LIKE wildcards in a territory are plain characters.
    (("DE-1%",), "DE-10", False),
    (("DE-_0",), "DE-10", False),
    (("DE-1%",), "DE-1%5", True),
    # No key (a party without an address) is in no territory.
    (("DE",), None, False),
    (("DE",), "", False),
]


@pytest.mark.parametrize(("territories", "key", "covered"), BOUNDARIES)
def test_in_territory_at_the_prefix_boundaries(
    territories: tuple[str, ...], key: str | None, covered: bool
) -> None:
    assert in_territory(key, territories) is covered


def test_territory_condition_keeps_exactly_the_keys_in_territory(crm: Crm) -> None:
    keys = Table(
        "test_territory_keys",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("key", String(50)),
    )
    distinct_keys = sorted({k for _, k, _ in BOUNDARIES if k is not None})
    with crm.engine.begin() as conn:
        keys.create(conn)
        conn.execute(keys.insert(), [{"key": k} for k in [*distinct_keys, None]])
    cases = {territories for territories, _, _ in BOUNDARIES}
    with crm.engine.connect() as conn:
        for territories in cases:
            condition = territory_condition(keys.c.key, territories)
            if condition is None:
                found = set()
            else:
                found = set(conn.scalars(select(keys.c.key).where(condition)))
            expected = {k for k in distinct_keys if in_territory(k, territories)}
            assert found == expected, territories


def test_territories_that_cover_nothing_give_no_condition() -> None:
    column = Column("key", String(50))
    assert territory_condition(column, ()) is None
    assert territory_condition(column, ("", " ")) is None
    assert territory_condition(column, ("DE",)) is not None


def test_the_closest_territory_fits_best() -> None:
    assert territory_fit("DE-10115", ("DE", "DE-10")) == len("DE-10")
    assert territory_fit("DE-10115", ("DE",)) == len("DE-")
    assert territory_fit("DE-10115", ("AT", "DE-11")) == 0
    assert territory_fit(None, ("DE",)) == 0

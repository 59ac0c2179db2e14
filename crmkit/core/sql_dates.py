"""A day moved by whole days and years in SQL, as both databases write it.

SQLite keeps dates as ISO text and moves them with ``date(x, '+N days')``; PostgreSQL adds
an interval. Plugins use it for a day a record is due: a warranty's end less the days of
notice, a service a year after the last one.

Years move to the same day of the same month; a day that month does not have in the year
reached (29 February) becomes its last day: 2024-02-29 plus one year is 2025-02-28, on
both databases (SQLite alone would roll over to 1 March).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class shifted_day(FunctionElement[Any]):
    """The day of ``day`` (a date, a timestamp or ISO text) moved by ``years``, then ``days``."""

    type = Date()
    inherit_cache = True
    name = "shifted_day"

    def __init__(self, day: ColumnElement[Any], *, days: int = 0, years: int = 0) -> None:
        # Whole numbers only: they are written into the statement (never text from a client).
        self.days, self.years = int(days), int(years)
        super().__init__(day)

    def _gen_cache_key(self, anon_map: Any, bindparams: Any) -> Any:
        return (*super()._gen_cache_key(anon_map, bindparams), self.days, self.years)


@compiles(shifted_day, "sqlite")
def _sqlite(element: shifted_day, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = element.clauses
    given = compiler.process(day, **kw)
    moved = f"date({given}, '{element.years:+d} years')"
    # A day of the month the year reached lacks rolls over into the next month: take the
    # last day of the month instead, as PostgreSQL does.
    kept = (
        f"CASE WHEN strftime('%d', {moved}) = strftime('%d', {given}) THEN {moved} "
        f"ELSE date({moved}, 'start of month', '-1 day') END"
    )
    return f"date({kept}, '{element.days:+d} days')"


@compiles(shifted_day, "postgresql")
def _postgresql(element: shifted_day, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = element.clauses
    return (
        f"CAST(CAST({compiler.process(day, **kw)} AS DATE) "
        f"+ make_interval(years => {element.years}, days => {element.days}) AS DATE)"
    )

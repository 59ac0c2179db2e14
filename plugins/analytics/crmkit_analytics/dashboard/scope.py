"""Which rollup rows an actor's figures may come from, and the filters they may ask for.

A rollup row carries the territory key, team and owner of the records it counts. The rule
follows the kernel's record rules for parties (read through public names only):

* an actor who sees every party (an admin, the system, read-only): every row;
* a manager: rows they own, rows owned by their team (users of their team or whom they
  manage), rows of their team, and rows whose territory is in their territories;
* a sales user (when an integrator grants them the dashboard): rows they own and rows of
  their territories;
* anyone else: nothing.

Rows without an owner outside one's territories are left out for everyone but those who
see every party: a figure never mixes in records one may not open.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, timedelta

from attrs import frozen
from sqlalchemy import ColumnElement, Connection, Table, false, or_, select, true

from crmkit import (
    Actor,
    PermissionDenied,
    ValidationError,
    clean_territory,
    in_territory,
    read_date,
    sees_every_party,
    territory_condition,
    user_table,
)

PERIODS = ("month", "quarter", "year", "custom")
MAX_DAYS = 5 * 366
FIRST_DAY = date(1900, 1, 1)
"""The first day a figure may cover: the period before it, the age bands of a stock and the
drill into the oldest band are all still dates (year 1 has no period before it)."""


def read_day(field: str, value: str) -> date:
    """A day of a query (YYYY-MM-DD) from :data:`FIRST_DAY` on; ValidationError naming
    ``field`` otherwise."""
    day = read_date(field, value)
    if day < FIRST_DAY:
        raise ValidationError(field, f"expected a day from {FIRST_DAY.isoformat()} on")
    return day


@frozen
class Period:
    """The days a figure covers (both included) and the period before it, as long."""

    kind: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one (the month, quarter, year before)."""
        if self.kind == "month":
            end = self.start - timedelta(days=1)
            return Period("month", end.replace(day=1), end)
        if self.kind == "quarter":
            end = self.start - timedelta(days=1)
            return Period("quarter", date(end.year, end.month - 2, 1), end)
        if self.kind == "year":
            return Period(
                "year", date(self.start.year - 1, 1, 1), date(self.start.year - 1, 12, 31)
            )
        return Period("custom", self.start - timedelta(days=self.days), self.start - timedelta(1))


def period_of(query: Mapping[str, str], today: date) -> Period:
    """The period a query asks for: ``period`` (default month, the one holding ``end`` or
    today) or ``start`` and ``end`` (YYYY-MM-DD, a custom period)."""
    kind = query.get("period") or ("custom" if query.get("start") else "month")
    if kind not in PERIODS:
        raise ValidationError("period", f"expected one of {', '.join(PERIODS)}")
    if kind == "custom":
        if not query.get("start"):
            raise ValidationError("start", "a custom period needs a first day (YYYY-MM-DD)")
        start = read_day("start", query["start"])
        end = read_day("end", query["end"]) if query.get("end") else today
        if end < start:
            raise ValidationError("end", "the last day is before the first")
        if (end - start).days >= MAX_DAYS:
            raise ValidationError("end", f"a period covers at most {MAX_DAYS} days")
        return Period("custom", start, end)
    if query.get("start"):
        raise ValidationError("start", "only a custom period takes a first day")
    day = read_day("end", query["end"]) if query.get("end") else today
    if kind == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(kind, day.replace(day=1), day.replace(day=last))
    if kind == "quarter":
        first_month = (day.month - 1) // 3 * 3 + 1
        last = calendar.monthrange(day.year, first_month + 2)[1]
        return Period(kind, date(day.year, first_month, 1), date(day.year, first_month + 2, last))
    return Period(kind, date(day.year, 1, 1), date(day.year, 12, 31))


@frozen
class Scope:
    """The rows an actor's figures come from, with the territory and team they filtered on."""

    condition: ColumnElement[bool]
    territory: str = ""
    team: str = ""
    sees_all: bool = False


def _team_members(actor: Actor) -> ColumnElement[bool] | None:
    if actor.user_id is None:
        return None
    team = [user_table.c.manager_id == actor.user_id]
    if actor.team:
        team.append(user_table.c.team == actor.team)
    return or_(*team)


def visible_rows(host: object, actor: Actor, table: Table) -> tuple[ColumnElement[bool], bool]:
    """The rows of ``table`` (territory, team, owner_id columns) ``actor`` may count, and
    whether that is every row."""
    if sees_every_party(host, actor):
        return true(), True
    if actor.role not in ("sales", "manager") or actor.user_id is None:
        return false(), False
    seen: list[ColumnElement[bool]] = [table.c.owner_id == actor.user_id]
    covered = territory_condition(table.c.territory, actor.territories)
    if covered is not None:
        seen.append(covered)
    if actor.role == "manager":
        members = _team_members(actor)
        if members is not None:
            seen.append(table.c.owner_id.in_(select(user_table.c.id).where(members)))
        if actor.team:
            seen.append(table.c.team == actor.team)
    return or_(*seen), False


def scope_of(
    host: object, actor: Actor, table: Table, territory: str = "", team: str = ""
) -> Scope:
    """The rows for ``actor`` narrowed to ``territory`` and ``team``; a filter outside what they
    may see is refused (PermissionDenied), never answered with others' figures."""
    condition, sees_all = visible_rows(host, actor, table)
    territory, team = clean_territory(territory), team.strip()
    if territory:
        as_key = territory if "-" in territory else f"{territory}-"
        if not sees_all and not in_territory(as_key, actor.territories):
            raise PermissionDenied(f"{actor.username} may not see territory {territory}")
        narrowed = territory_condition(table.c.territory, [territory])
        condition = condition & (narrowed if narrowed is not None else false())
    if team:
        if not sees_all and team not in teams_of(actor):
            raise PermissionDenied(f"{actor.username} may not see team {team}")
        condition = condition & (table.c.team == team)
    return Scope(condition, territory, team, sees_all)


def teams_of(actor: Actor) -> tuple[str, ...]:
    """The teams an actor who does not see everything may filter on: their own."""
    return (actor.team,) if actor.team and actor.role in ("manager", "sales") else ()


def filter_options(
    conn: Connection, host: object, actor: Actor, table: Table, limit: int = 200
) -> tuple[list[str], list[str]]:
    """The territories and teams ``actor`` may filter on: all of the rollups' for those who
    see everything, else their own territories and team."""
    if not sees_every_party(host, actor):
        return sorted(clean_territory(t) for t in actor.territories if t.strip()), list(
            teams_of(actor)
        )
    territories = conn.execute(
        select(table.c.territory)
        .where(table.c.territory != "")
        .distinct()
        .order_by(table.c.territory)
        .limit(limit)
    ).scalars()
    teams = conn.execute(
        select(table.c.team)
        .where(table.c.team != "")
        .distinct()
        .order_by(table.c.team)
        .limit(limit)
    ).scalars()
    return list(territories), list(teams)

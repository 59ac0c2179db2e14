"""Reading one page of partners: fetch it, map its rows, build their parties.

Nothing here needs the database; :mod:`.sync` writes what it makes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from attrs import frozen

from crmkit import utcnow
from crmkit_erp_sap.connection.session import Page as SapPage
from crmkit_erp_sap.connection.session import SapSession
from crmkit_erp_sap.connection.values import BadValue
from crmkit_erp_sap.partners.apply import Outcome, Planned, plan_partners
from crmkit_erp_sap.partners.cursor import ORDER_BY, Position, position_of
from crmkit_erp_sap.partners.odata import ENTITY_SET, EXPAND, SERVICE, partner_record
from crmkit_erp_sap.partners.record import PartnerRecord

FUTURE_TOLERANCE = timedelta(days=1)
"""How far ahead of our clock a partner's change time may be (clocks and time zones differ)
before the row is refused as a change in the future."""


class UnorderedPage(Exception):
    """SAP sent a page out of the order asked: the cursor cannot be trusted past it."""


@frozen
class Reader:
    """How to read pages of one system: what to select, how to map and build."""

    system: str
    select: tuple[str, ...]
    custom_fields: Mapping[str, str]
    default_region: str | None


@frozen
class PageRead:
    """A page read: its records, its rows that could not be read, and where it ends."""

    rows: int
    records: list[PartnerRecord]
    failures: list[dict[str, Any]]
    end: Position


def fetch_page(reader: Reader, start: Position, session: SapSession) -> SapPage:
    """The page just past ``start``, as SAP sent it."""
    pages = session.iter_collection(
        SERVICE,
        ENTITY_SET,
        filter=start.filter(),
        expand=EXPAND,
        select=reader.select,
        orderby=ORDER_BY,
    )
    # The first page only: the next is asked for from the cursor, not by the next link.
    return next(iter(pages))


def read_rows(reader: Reader, rows: list[dict[str, Any]], start: Position) -> PageRead:
    """The records of a page's rows, its failed rows, and the position after its last row."""
    records, failures, end = _mapped(reader, rows, start)
    return PageRead(len(rows), records, failures, end)


def planned_of(reader: Reader, read: PageRead) -> list[Planned | Outcome]:
    """The page's parties built, ready to write."""
    return plan_partners(read.records, reader.default_region)


def _mapped(
    reader: Reader, rows: list[dict[str, Any]], start: Position
) -> tuple[list[PartnerRecord], list[dict[str, Any]], Position]:
    records: list[PartnerRecord] = []
    failures: list[dict[str, Any]] = []
    end = start
    latest = utcnow() + FUTURE_TOLERANCE
    previous: Position | None = None
    for place, row in enumerate(rows):
        number = row.get("BusinessPartner") if isinstance(row, dict) else None
        number = number if isinstance(number, str) and number else None
        try:
            if not isinstance(row, dict):
                raise BadValue("row", row, "not an object")
            at = position_of(row)
            if previous is not None and at.sort_key() < previous.sort_key():
                raise UnorderedPage(
                    f"SAP sent partner {at.key!r} after {previous.key!r}, out of the order asked"
                    " (LastChangeDate, LastChangeTime, BusinessPartner): stopped"
                )
            if at.changed_at is not None and at.changed_at > latest:
                # Trusting it would move the cursor past every change until that day.
                raise BadValue(
                    "LastChangeDate", row.get("LastChangeDate"), "a change in the future"
                )
            previous = at
            if at.sort_key() > end.sort_key():
                end = at
            records.append(partner_record(reader.system, row, reader.custom_fields))
        except BadValue as bad:
            failures.append(
                {
                    "business_partner": number,
                    "position": None if number else place,
                    "field": bad.property,
                    "reason": f"{bad.reason} ({bad.value!r})"[:2000],
                }
            )
    return records, failures, end

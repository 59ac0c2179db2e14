"""Importing a list: lines of emails, party ids or external ids (a CSV file or JSON), matched
to the parties the importer sees, with a report of the lines nothing matched.

A malformed file (not UTF-8 text, no column to match by, too many lines) is refused whole;
a line that matches nothing is reported and the others are imported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from attrs import frozen
from sqlalchemy import select

from crmkit import (
    EmailAddress,
    Transaction,
    ValidationError,
    contact_point_table,
    find_by_external_id,
    party_table,
    require,
    seen_parties,
)
from crmkit_campaigns.segments import records
from crmkit_campaigns.segments.access import SEGMENT_WRITE
from crmkit_campaigns.segments.lists import add_address_keys, add_parties, seen_ids, touch
from crmkit_campaigns.segments.model import ImportReport, Unmatched

COLUMNS = ("party_id", "email", "external_id")
"""What a line is matched by; a CSV file's header names one of them (``external_id`` with
``system`` beside it)."""
MAX_VALUE = 320


@frozen
class Line:
    """One line to match: its number (the file's, header included), by what, and the value."""

    number: int
    column: str
    value: str
    system: str = ""


def lines_of_csv(content: bytes, limit: int) -> list[Line]:
    """The lines of a CSV file with a header; ValidationError("file", ...) when malformed."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("file", "not UTF-8 text") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    # strict: a quote left open is an error, not a field running to the end of the file.
    rows = csv.reader(io.StringIO(text), dialect, strict=True)
    try:
        header = [name.strip().lower() for name in next(rows, [])]
        column = next((name for name in COLUMNS if name in header), None)
        if column is None:
            raise ValidationError(
                "file", f"the first line names no column among {', '.join(COLUMNS)}"
            )
        at = header.index(column)
        system_at = header.index("system") if "system" in header else None
        if column == "external_id" and system_at is None:
            raise ValidationError("file", "an external_id column needs a system column beside it")
        found: list[Line] = []
        for number, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(found) >= limit:
                raise ValidationError("file", f"more than {limit} lines")
            value = row[at].strip() if at < len(row) else ""
            system = (
                row[system_at].strip() if system_at is not None and system_at < len(row) else ""
            )
            found.append(Line(number, column, value, system))
    except csv.Error as exc:
        raise ValidationError("file", f"not a CSV file at line {rows.line_num}: {exc}") from None
    if not found:
        raise ValidationError("file", "no lines below the header")
    return found


def lines_of_json(data: Any, limit: int) -> list[Line]:
    """``{"emails": [...]}``, ``{"party_ids": [...]}`` or ``{"external_ids": [{"system", "id"}]}``."""
    if not isinstance(data, Mapping) or len(data) != 1:
        raise ValidationError("body", "expected one of emails, party_ids or external_ids")
    name, items = next(iter(data.items()))
    column = {"emails": "email", "party_ids": "party_id", "external_ids": "external_id"}.get(name)
    if column is None:
        raise ValidationError(name, "unknown field: expected emails, party_ids or external_ids")
    if not isinstance(items, list) or not items:
        raise ValidationError(name, "expected a list of at least one item")
    if len(items) > limit:
        raise ValidationError(name, f"more than {limit} items")
    found: list[Line] = []
    for i, item in enumerate(items):
        if column == "external_id":
            if not isinstance(item, Mapping) or set(item) != {"system", "id"}:
                raise ValidationError(f"{name}[{i}]", "expected an object with system and id")
            for key in ("system", "id"):
                if not isinstance(item[key], str | int) or isinstance(item[key], bool):
                    raise ValidationError(f"{name}[{i}].{key}", "expected a text")
            found.append(Line(i + 1, column, str(item["id"]), str(item["system"])))
        elif isinstance(item, str | int) and not isinstance(item, bool):
            found.append(Line(i + 1, column, str(item)))
        else:
            raise ValidationError(f"{name}[{i}]", "expected a text or a number")
    return found


def match(tx: Transaction, lines: list[Line]) -> tuple[dict[int, set[int]], list[Unmatched]]:
    """The visible parties each line matches (by line number), and the lines nothing matched."""
    matched: dict[int, set[int]] = {}
    unmatched: list[Unmatched] = []
    ids: dict[int, int] = {}
    emails: dict[int, str] = {}
    for line in lines:
        if len(line.value) > MAX_VALUE or not line.value:
            unmatched.append(Unmatched(line.number, line.value[:MAX_VALUE], "empty or too long"))
        elif line.column == "party_id":
            if line.value.isdigit() and line.value.isascii() and len(line.value) < 16:
                ids[line.number] = int(line.value)
            else:
                unmatched.append(Unmatched(line.number, line.value, "not a party id"))
        elif line.column == "email":
            try:
                emails[line.number] = EmailAddress.parse(line.value).normalised
            except ValidationError as exc:
                unmatched.append(Unmatched(line.number, line.value, exc.reason))
        else:
            try:
                party = find_by_external_id(tx.conn, line.system, line.value)
            except ValidationError as exc:
                unmatched.append(Unmatched(line.number, line.value, exc.reason))
                continue
            if party is not None and party.id is not None:
                ids[line.number] = party.id
            else:
                # Reported below as a party the importer does not see: one message for both,
                # so that an import never tells which external ids exist.
                ids[line.number] = 0
    seen = seen_ids(tx, ids.values())
    for number, party_id in ids.items():
        if party_id in seen:
            matched[number] = {party_id}
    by_email = parties_by_email(tx, set(emails.values()))
    for number, key in emails.items():
        if by_email.get(key):
            matched[number] = by_email[key]
    for line in lines:
        if line.number not in matched and (line.number in ids or line.number in emails):
            unmatched.append(Unmatched(line.number, line.value, "no party you see matches"))
    unmatched.sort(key=lambda u: u.line)
    return matched, unmatched


def parties_by_email(tx: Transaction, keys: set[str]) -> dict[str, set[int]]:
    """The visible parties having each of these normalised addresses."""
    if not keys:
        return {}
    cp = contact_point_table
    rows = tx.conn.execute(
        select(cp.c.key, cp.c.party_id)
        .join(party_table, party_table.c.id == cp.c.party_id)
        .where(cp.c.kind == "email", cp.c.key.in_(keys), seen_parties(tx.hooks, tx.actor))
    )
    found: dict[str, set[int]] = {}
    for row in rows:
        found.setdefault(row.key, set()).add(row.party_id)
    return found


def import_lines(tx: Transaction, list_id: int, kind: str, lines: list[Line]) -> ImportReport:
    """Add what ``lines`` match to the list. A suppression list takes email lines as addresses,
    whoever (if anyone) has them."""
    require(tx.hooks, tx.actor, SEGMENT_WRITE)
    records.list_row(tx, list_id, kind)
    if kind == "suppression" and lines[0].column == "email":
        return suppress_addresses(tx, list_id, lines)
    matched, unmatched = match(tx, lines)
    added = add_parties(tx, list_id, {p for parties in matched.values() for p in parties})
    if added:
        touch(tx, list_id, None, {})
    return ImportReport(lines=len(lines), matched=len(matched), added=added, unmatched=unmatched)


def suppress_addresses(tx: Transaction, list_id: int, lines: list[Line]) -> ImportReport:
    keys: list[str] = []
    unmatched: list[Unmatched] = []
    for line in lines:
        try:
            keys.append(EmailAddress.parse(line.value).normalised)
        except ValidationError as exc:
            unmatched.append(Unmatched(line.number, line.value[:MAX_VALUE], exc.reason))
    added = add_address_keys(tx, list_id, keys)
    if added:
        touch(tx, list_id, None, {})
    return ImportReport(lines=len(lines), matched=len(keys), added=added, unmatched=unmatched)

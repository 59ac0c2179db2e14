"""Records for matching from a CSV file, read and normalised by worker processes part by part."""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import io
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import attrs
import phonenumbers
from attrs import Factory, frozen

from crmkit.core.errors import ValidationError
from crmkit.core.importing import check_encoding
from crmkit.core.matching.batch import (
    Progress,
    collector_paused,
    default_workers,
    process_context,
)
from crmkit.core.matching.blocking import blocking_keys
from crmkit.core.matching.candidates import KeyTable
from crmkit.core.matching.record import MATCH_FIELDS, MatchRecord, record_from_fields

MULTI_VALUE_FIELDS = ("email", "phone")
PARTS_PER_WORKER = 8
"""Parts of the file per worker: enough to even out the load and to show progress."""
BYTES_PER_RECORD = 150
"""A rough size of one CSV row, to choose the number of workers before reading."""


@frozen
class MatchInput:
    """The records of a file in file order, with their ids and blocking keys."""

    ids: list[str]
    records: list[MatchRecord]
    keys: KeyTable


@frozen
class _Part:
    """A piece of the file of whole rows: its byte offsets and the number of its first line."""

    start: int
    end: int
    line: int


@frozen
class _Rows:
    """The rows of one part as records, with their ids, line numbers and blocking keys."""

    ids: list[str] = Factory(list)
    lines: list[int] = Factory(list)
    records: list[MatchRecord] = Factory(list)
    keys: KeyTable = Factory(KeyTable)
    problem: tuple[str, str] | None = None
    """The option and message of the first bad row, which ends the part."""


@frozen
class _Columns:
    """Which column holds the id and which the field each other mapped column feeds."""

    id: int
    fields: tuple[tuple[str, int], ...]
    default_region: str


@frozen
class _Source:
    """What a worker needs to read a part of the file."""

    path: Path
    name: str
    encoding: str
    """Without a byte-order mark: only the header, read apart, may start with one."""
    delimiter: str
    columns: _Columns


def _plan(
    header: Sequence[str], id_column: str, mapping: Mapping[str, str], region: str
) -> _Columns:
    for column, field_name in mapping.items():
        if field_name not in MATCH_FIELDS:
            raise ValidationError(
                "--map", f"{field_name!r} is not one of {', '.join(MATCH_FIELDS)}"
            )
        if column not in header:
            raise ValidationError("--map", f"the file has no column {column!r}")
    if id_column not in header:
        raise ValidationError("--id", f"the file has no column {id_column!r}")
    # Columns named like a field are read too, unless mapped (or the id).
    named = {c: c for c in header if c in MATCH_FIELDS and c not in mapping and c != id_column}
    fields = {**named, **mapping}
    for field_name in set(fields.values()) - set(MULTI_VALUE_FIELDS):
        columns = sorted(c for c, f in fields.items() if f == field_name)
        if len(columns) > 1:
            raise ValidationError(
                "--map", f"{field_name} is read from {columns[0]} and {columns[1]}"
            )
    return _Columns(
        header.index(id_column),
        tuple((f, header.index(c)) for c, f in fields.items()),
        region,
    )


def _normalise(columns: _Columns, row: list[str]) -> MatchRecord:
    values: dict[str, str] = {}
    for field_name, index in columns.fields:
        value = row[index] if index < len(row) else ""
        # Emails and phones may come from several columns ("phone", "mobile").
        values[field_name] = f"{values[field_name]};{value}" if field_name in values else value
    return record_from_fields(values, default_region=columns.default_region)


def _line_end(data: bytes, start: int, target: int) -> int:
    """The offset just after the first line end at or after ``target`` that is outside quotes.

    A line end inside a quoted value follows an odd number of quote characters
    counted from ``start`` (a line start); doubled quotes in a value count twice.
    """
    end = data.find(b"\n", target)
    quotes = data.count(b'"', start, end)
    while end != -1 and quotes % 2:
        following = data.find(b"\n", end + 1)
        quotes += data.count(b'"', end, following)
        end = following
    return len(data) if end == -1 else end + 1


def _parts(data: bytes, start: int, count: int) -> list[_Part]:
    """About ``count`` parts of equal size covering ``data`` from ``start``, each whole rows."""
    parts = []
    line = data.count(b"\n", 0, start) + 1
    step = max(1, (len(data) - start) // count)
    while start < len(data):
        end = _line_end(data, start, min(start + step, len(data)))
        parts.append(_Part(start, end, line))
        line += data.count(b"\n", start, end)
        start = end
    return parts


def _read_part(source: _Source, part: _Part) -> _Rows:
    """The records of one part of the file; the first bad row ends the part, and is reported."""
    with source.path.open("rb") as raw:
        raw.seek(part.start)
        text = raw.read(part.end - part.start).decode(source.encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=source.delimiter)
    rows = _Rows()
    id_index = source.columns.id
    if part.start == 0:
        next(reader, None)  # the header, read before
    try:
        for row in reader:
            if not any(row):
                continue
            line = part.line + reader.line_num - 1
            if id_index >= len(row) or not row[id_index].strip():
                return attrs.evolve(
                    rows, problem=("--id", f"{source.name} line {line}: the id is empty")
                )
            record = _normalise(source.columns, row)
            rows.ids.append(row[id_index].strip())
            rows.lines.append(line)
            rows.keys.add(blocking_keys(record))
            rows.records.append(record)
    except csv.Error as exc:
        line = part.line + reader.line_num - 1
        return attrs.evolve(rows, problem=("FILE", f"{source.name} line {line}: {exc}"))
    return rows


def _splits_at_line_ends(encoding: str, delimiter: str) -> bool:
    """Whether line ends, quotes and the delimiter are single bytes of their own in ``encoding``.

    Then the file can be cut at a line end and each piece decoded alone.
    """
    try:
        return all(bytes([ord(c)]).decode(encoding) == c for c in f'\n\r"{delimiter}')
    except (UnicodeDecodeError, ValueError):
        return False


def read_records(
    path: Path,
    *,
    id_column: str,
    mapping: Mapping[str, str],
    default_region: str,
    delimiter: str = ",",
    encoding: str = "utf-8",
    workers: int | None = None,
    progress: Progress | None = None,
) -> MatchInput:
    """Every row of the CSV file ``path`` as a record for matching; raises naming the bad option.

    The file is cut into parts at line ends, and each worker process reads,
    parses and normalises its own parts: only the finished records travel.
    """
    if not path.is_file():
        raise ValidationError("FILE", f"{path} is no readable file")
    region = default_region.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError("--region", f"{default_region!r} is not a phone region")
    check_encoding(path, encoding)
    data = path.read_bytes()
    is_utf8 = codecs.lookup(encoding).name == "utf-8"
    splits = _splits_at_line_ends(encoding, delimiter)
    # Without single-byte line ends the whole file is one part, which starts with the header.
    header_end = _line_end(data, 0, 0) if splits else len(data)
    # A byte-order mark (as spreadsheet programs write) is not part of the first column's name.
    header_text = data[:header_end].decode("utf-8-sig" if is_utf8 else encoding)
    reader = csv.reader(io.StringIO(header_text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise ValidationError("FILE", f"{path.name} is empty")
    header = [h.strip() for h in header]
    # More rows before the first "\n": lines end in "\r" alone, and cannot be cut at "\n".
    splits = splits and next(reader, None) is None
    workers = default_workers(len(data) // BYTES_PER_RECORD) if workers is None else workers
    parts = (
        _parts(data, header_end, max(workers, 1) * PARTS_PER_WORKER)
        if splits
        else [_Part(0, len(data), 1)]
    )
    size = len(data)
    del data
    source = _Source(
        path,
        path.name,
        "utf-8" if is_utf8 else encoding,
        delimiter,
        _plan(header, id_column, mapping, region),
    )
    read = functools.partial(_read_part, source)
    result = MatchInput([], [], KeyTable())
    seen: set[str] = set()
    with collector_paused(), contextlib.ExitStack() as stack:
        if workers == 0:
            pieces: Iterator[_Rows] = map(read, parts)
        else:
            pool = stack.enter_context(process_context().Pool(workers))
            pieces = pool.imap(read, parts)
        for part, rows in zip(parts, pieces, strict=True):
            for record_id, line in zip(rows.ids, rows.lines, strict=True):
                if record_id in seen:
                    raise ValidationError(
                        "--id", f"{path.name} line {line}: id {record_id!r} again"
                    )
                seen.add(record_id)
            if rows.problem:
                raise ValidationError(*rows.problem)
            result.keys.extend(rows.keys)
            result.ids.extend(rows.ids)
            result.records.extend(rows.records)
            if progress:
                progress("reading", part.end, size)
    return result

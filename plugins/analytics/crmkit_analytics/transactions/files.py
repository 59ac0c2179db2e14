"""Transaction files for ``crmkit analytics clv``: a CSV file read into arrays, with every
refusal naming the row or the problem."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import numpy as np
from attrs import frozen
from numpy.typing import NDArray

from crmkit_analytics.transactions.reading import days_since_epoch


class FileError(ValueError):
    """The file cannot be used: the message says where and why."""


@frozen
class Transactions:
    """A file's transactions: ``customer`` indexes ``names`` (the file's customer ids in the
    order first met), ``t`` in days since 1970-01-01, ``amount``."""

    customer: NDArray[np.int64]
    t: NDArray[np.float64]
    amount: NDArray[np.float64]
    names: list[str]


def read_day(text: str) -> float:
    """A date (``2026-03-01``) or a date and time (``2026-03-01T10:30:00+01:00``; naive is
    UTC) as days since the epoch; ValueError when it is neither."""
    text = text.strip()
    if len(text) == 10:
        return float(date.fromisoformat(text).toordinal() - date(1970, 1, 1).toordinal())
    return days_since_epoch(datetime.fromisoformat(text))


def _rows(path: Path, columns: dict[str, str]) -> Iterator[tuple[int, list[str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise FileError(f"{path.name} is empty: a header row is needed")
        names = [name.strip() for name in header]
        where = []
        for option, column in columns.items():
            if column not in names:
                raise FileError(
                    f"{path.name} has no column {column!r} (given with --{option}); "
                    f"its columns are {', '.join(names)}"
                )
            where.append(names.index(column))
        for number, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) <= max(where):
                raise FileError(f"row {number}: has {len(row)} fields, fewer than the header")
            yield number, [row[index] for index in where]


def read_transactions(path: Path, *, customer: str, date_column: str, amount: str) -> Transactions:
    """Every row of the CSV file ``path`` (a header row naming the columns)."""
    codes: dict[str, int] = {}
    ids: list[int] = []
    days: list[float] = []
    amounts: list[float] = []
    columns = {"customer": customer, "date": date_column, "amount": amount}
    try:
        for number, (who, when, value) in _rows(path, columns):
            who = who.strip()
            if not who:
                raise FileError(f"row {number}: the customer ({customer!r}) is empty")
            try:
                day = read_day(when)
            except ValueError:
                raise FileError(
                    f"row {number}: {when!r} in {date_column!r} is not a date (YYYY-MM-DD)"
                ) from None
            try:
                figure = float(value)
            except ValueError:
                raise FileError(f"row {number}: {value!r} in {amount!r} is not a number") from None
            if not math.isfinite(figure):
                raise FileError(f"row {number}: {value!r} in {amount!r} is not a number")
            if figure < 0:
                raise FileError(
                    f"row {number}: the amount {value.strip()} is negative "
                    "(returns are taken off the purchase they return, not listed as purchases)"
                )
            ids.append(codes.setdefault(who, len(codes)))
            days.append(day)
            amounts.append(figure)
    except UnicodeDecodeError as exc:
        raise FileError(f"{path.name} is not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise FileError(f"{path.name} is not a readable CSV file: {exc}") from None
    if not ids:
        raise FileError(f"{path.name} has no transactions")
    return Transactions(
        customer=np.asarray(ids, dtype=np.int64),
        t=np.asarray(days, dtype=np.float64),
        amount=np.asarray(amounts, dtype=np.float64),
        names=list(codes),
    )

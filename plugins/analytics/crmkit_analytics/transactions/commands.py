"""``crmkit analytics clv``: lifetime value of the customers of a transaction file."""

from __future__ import annotations

import csv
import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn

import click
import numpy as np

from crmkit_analytics.transactions import clv as model
from crmkit_analytics.transactions.files import FileError, read_transactions

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _day(value: datetime | None) -> float | None:
    return None if value is None else float(value.date().toordinal() - EPOCH_ORDINAL)


def _iso(day: float) -> str:
    return date.fromordinal(int(day) + EPOCH_ORDINAL).isoformat()


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(2)


@click.command("clv")
@click.argument("transactions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--customer", "customer_column", required=True, help="The customer id column.")
@click.option("--date", "date_column", required=True, help="The date column (YYYY-MM-DD).")
@click.option("--amount", "amount_column", required=True, help="The amount column.")
@click.option(
    "--calibration-end",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The last day the models learn from  [default: the last day in the file]",
)
@click.option(
    "--holdout-end",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The last day of the holdout period after --calibration-end: purchases predicted "
    "there are compared with those made. Without it, the fit uses everything and predicts "
    "forward.",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write one row per customer (CSV).",
)
@click.option(
    "--horizon-days",
    type=click.IntRange(1, 3650),
    default=365,
    show_default=True,
    help="The horizon of the lifetime value and, without --holdout-end, of the purchases "
    "predicted.",
)
@click.option(
    "--discount-rate",
    type=click.FloatRange(0.0, 10.0),
    default=0.10,
    show_default=True,
    help="Annual discount rate of the lifetime value.",
)
def clv(
    transactions: Path,
    customer_column: str,
    date_column: str,
    amount_column: str,
    calibration_end: datetime | None,
    holdout_end: datetime | None,
    out: Path,
    horizon_days: int,
    discount_rate: float,
) -> None:
    """Fit BG/NBD and Gamma-Gamma on TRANSACTIONS.csv (one row per purchase) and write
    each customer's predictions; the last line printed is a JSON object with the fitted
    parameters and, with --holdout-end, the holdout error (RMSE of purchases per customer).
    """
    try:
        data = read_transactions(
            transactions, customer=customer_column, date_column=date_column, amount=amount_column
        )
    except FileError as exc:
        _fail(str(exc))
    last_day = float(np.floor(data.t.max()))
    cal_day = _day(calibration_end)
    hold_day = _day(holdout_end)
    if hold_day is not None and cal_day is None:
        _fail("--holdout-end needs --calibration-end")
    if cal_day is None:
        cal_day = last_day
    if hold_day is not None and hold_day <= cal_day:
        _fail("--holdout-end must come after --calibration-end")
    summary = model.summarise(data.customer, data.t, data.amount, cal_day, cutoff=cal_day + 1)
    if len(summary) == 0:
        _fail(f"no transaction falls on or before the calibration end {_iso(cal_day)}")
    if len(summary) < 2:
        _fail(
            "only one customer bought by the calibration end: the models learn from "
            "how customers differ and need many"
        )
    actual = np.zeros(len(summary))
    if hold_day is not None:
        buyers, counts = model.count_between(data.customer, data.t, cal_day + 1, hold_day + 1)
        if buyers.size == 0:
            _fail(
                f"the holdout period {_iso(cal_day + 1)} to {_iso(hold_day)} holds no "
                "transaction: there is nothing to compare the predictions with"
            )
        place = np.searchsorted(summary.customer, buyers)
        known = (place < len(summary)) & (
            summary.customer[np.minimum(place, len(summary) - 1)] == buyers
        )
        actual[place[known]] = counts[known]
        period = hold_day - cal_day
    else:
        period = float(horizon_days)
    try:
        result = model.fit_and_predict(
            summary, period_days=period, horizon_days=horizon_days, discount_rate=discount_rate
        )
    except model.ModelError as exc:
        _fail(str(exc))
    holdout = hold_day is not None
    zero = np.flatnonzero((summary.frequency > 0) & (summary.monetary <= 0))
    if zero.size:
        named = ", ".join(data.names[code] for code in summary.customer[zero[:5]].tolist())
        more = f" and {zero.size - 5} more" if zero.size > 5 else ""
        click.echo(
            f"Note: {zero.size} customer(s) whose repeat purchases are worth 0 ({named}{more}) "
            "are left out of the spend fit (Gamma-Gamma needs positive values); their expected "
            "spend is the model's for a mean of 0",
            err=True,
        )
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "customer",
                "frequency",
                "recency",
                "T",
                "expected_purchases_holdout",
                "actual_purchases_holdout",
                "p_alive",
                "expected_avg_spend",
                "clv",
            ]
        )
        for index, code in enumerate(summary.customer.tolist()):
            writer.writerow(
                [
                    data.names[code],
                    int(summary.frequency[index]),
                    f"{summary.recency[index]:g}",
                    f"{summary.T[index]:g}",
                    f"{result.expected_purchases[index]:.6f}",
                    int(actual[index]) if holdout else "",
                    f"{result.p_alive[index]:.6f}",
                    f"{result.expected_spend[index]:.4f}",
                    f"{result.clv[index]:.4f}",
                ]
            )
    report: dict[str, object] = {
        "customers": len(summary),
        "transactions": int(data.customer.size),
        "calibration_end": _iso(cal_day),
        "parameters": {"bg_nbd": result.bg.as_dict(), "gamma_gamma": result.gg.as_dict()},
        "horizon_days": horizon_days,
        "discount_rate": discount_rate,
        "zero_value_repeat_customers": int(zero.size),
    }
    if holdout:
        errors = result.expected_purchases - actual
        report["holdout_end"] = _iso(float(hold_day or 0))
        report["holdout_days"] = int(period)
        report["holdout_rmse"] = math.sqrt(float(np.mean(errors * errors)))
        report["holdout_purchases_expected"] = float(result.expected_purchases.sum())
        report["holdout_purchases_actual"] = int(actual.sum())
    else:
        report["predicted_days"] = int(period)
    click.echo(f"{len(summary)} customers written to {out.name}")
    click.echo(json.dumps(report))


COMMANDS = [clv]

"""``crmkit analytics clv``: a transaction file in, one row per customer out, the fitted
parameters and the holdout error as JSON on the last line; bad files refused with the row
or the problem named, exit code 2, no traceback."""

from __future__ import annotations

import csv
import json
import math
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from crmkit_analytics.transactions import clv

from crmkit import Crm
from crmkit.testing import invoke

COLUMNS = [
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
START = date(2024, 1, 1)


def write_file(
    path: Path, rows: list[list[Any]], header: tuple[str, ...] = ("cust", "day", "paid")
) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two years of a shop: 3,000 customers drawn from BG/NBD and Gamma-Gamma, by day."""
    rng = np.random.default_rng(42)
    ids, t, amount = clv.simulate(
        rng, 3000, r=0.8, alpha=12.0, a=0.9, b=4.0, p=6.0, q=4.0, v=90.0, observe_days=730.0
    )
    rows = [
        [f"C{who:05d}", (START + timedelta(days=int(day))).isoformat(), f"{paid:.2f}"]
        for who, day, paid in zip(ids.tolist(), t.tolist(), amount.tolist(), strict=True)
    ]
    return write_file(tmp_path_factory.mktemp("clv") / "orders.csv", rows)


def run(crm: Crm, *args: str) -> Any:
    return invoke(crm, "analytics", "clv", *args)


def test_holdout_run_writes_each_customer_and_reports_the_error(
    crm: Crm, shop_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "predictions.csv"
    result = run(
        crm,
        str(shop_file),
        "--customer", "cust",
        "--date", "day",
        "--amount", "paid",
        "--calibration-end", "2024-10-31",
        "--holdout-end", "2025-12-31",
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    bg, gg = report["parameters"]["bg_nbd"], report["parameters"]["gamma_gamma"]
    assert set(bg) == {"r", "alpha", "a", "b"} and set(gg) == {"p", "q", "v"}
    assert bg["r"] == pytest.approx(0.8, rel=0.3)
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == COLUMNS
    assert report["customers"] == len(rows)
    assert report["holdout_days"] == 426
    # Customers whose first purchase came after the calibration end are not predicted.
    first_days = {row["customer"] for row in rows}
    assert len(first_days) == len(rows) < 3000
    expected = np.array([float(r["expected_purchases_holdout"]) for r in rows])
    actual = np.array([float(r["actual_purchases_holdout"]) for r in rows])
    rmse = math.sqrt(float(np.mean((expected - actual) ** 2)))
    assert report["holdout_rmse"] == pytest.approx(rmse, rel=1e-4)
    # The model predicts the holdout's total within a few per cent, per customer far better
    # than a guess of the average for everyone.
    assert expected.sum() == pytest.approx(actual.sum(), rel=0.1)
    assert rmse < float(np.std(actual))
    alive = [float(r["p_alive"]) for r in rows]
    assert all(0.0 <= p <= 1.0 for p in alive)
    assert all(float(r["clv"]) >= 0 for r in rows)


def test_without_a_holdout_it_fits_everything_and_predicts_forward(
    crm: Crm, shop_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "forward.csv"
    result = run(
        crm, str(shop_file), "--customer", "cust", "--date", "day", "--amount", "paid",
        "--out", str(out), "--horizon-days", "180", "--discount-rate", "0.05",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert "holdout_rmse" not in report and report["predicted_days"] == 180
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3000 == report["customers"]
    assert {row["actual_purchases_holdout"] for row in rows} == {""}


def refusal(crm: Crm, path: Path, tmp_path: Path, *extra: str) -> str:
    result = run(
        crm, str(path), "--customer", "cust", "--date", "day", "--amount", "paid",
        "--out", str(tmp_path / "out.csv"), *extra,
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.csv").exists()
    return str(result.output)


def test_bad_files_are_refused_naming_the_row_or_the_problem(crm: Crm, tmp_path: Path) -> None:
    good = [["A", "2025-01-02", "10"], ["A", "2025-02-03", "12"], ["B", "2025-01-05", "7"]]
    bad_date = write_file(tmp_path / "d.csv", [*good, ["B", "2025-13-01", "5"]])
    assert "row 5: '2025-13-01' in 'day' is not a date" in refusal(crm, bad_date, tmp_path)
    negative = write_file(tmp_path / "n.csv", [*good, ["B", "2025-03-01", "-5.00"]])
    assert "row 5: the amount -5.00 is negative" in refusal(crm, negative, tmp_path)
    not_number = write_file(tmp_path / "x.csv", [["A", "2025-01-02", "ten"], *good])
    assert "row 2: 'ten' in 'paid' is not a number" in refusal(crm, not_number, tmp_path)
    columns = write_file(tmp_path / "c.csv", good, header=("client", "day", "paid"))
    message = refusal(crm, columns, tmp_path)
    assert "no column 'cust' (given with --customer)" in message and "client" in message
    one = write_file(tmp_path / "o.csv", [["A", "2025-01-02", "10"], ["A", "2025-02-03", "5"]])
    assert "only one customer" in refusal(crm, one, tmp_path)
    empty_holdout = refusal(
        crm, write_file(tmp_path / "h.csv", good), tmp_path,
        "--calibration-end", "2025-06-30", "--holdout-end", "2025-12-31",
    )  # fmt: skip
    assert "holdout period 2025-07-01 to 2025-12-31 holds no transaction" in empty_holdout
    backwards = refusal(
        crm, write_file(tmp_path / "b.csv", good), tmp_path,
        "--calibration-end", "2025-06-30", "--holdout-end", "2025-06-01",
    )  # fmt: skip
    assert "--holdout-end must come after --calibration-end" in backwards
    nothing = write_file(tmp_path / "e.csv", [])
    assert "has no transactions" in refusal(crm, nothing, tmp_path)
    no_repeat = write_file(tmp_path / "r.csv", [["A", "2025-01-02", "1"], ["B", "2025-01-03", "2"]])
    assert "no customer bought twice" in refusal(crm, no_repeat, tmp_path)

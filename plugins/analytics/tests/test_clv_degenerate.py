"""``crmkit analytics clv`` on data the models cannot identify (refused, exit code 2, nothing
written, never ``nan``) and on customers whose repeat purchases are worth 0 (left out of the
spend fit, named, valued)."""

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

START = date(2022, 1, 1)
OPTIONS = ("--customer", "cust", "--date", "day", "--amount", "amt")


def write(path: Path, rows: list[list[Any]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["cust", "day", "amt"])
        writer.writerows(rows)
    return path


def run(crm: Crm, path: Path, out: Path, *args: str) -> Any:
    return invoke(crm, "analytics", "clv", str(path), *OPTIONS, "--out", str(out), *args)


@pytest.mark.parametrize(
    ("rows", "args"),
    [
        # Two customers with one repeat each, one with a time zone east of UTC.
        (
            [
                ["A", "2024-01-01T23:30:00+05:00", 10],
                ["A", "2024-03-01T10:00:00Z", 12],
                ["B", "2024-02-01", 5],
                ["B", "2024-04-01", 5],
            ],
            (),
        ),
        # Three customers with one repeat each; the only holdout purchase by a newcomer.
        (
            [
                ["A", "2024-01-01", 10],
                ["A", "2024-02-01", 10],
                ["B", "2024-01-05", 5],
                ["B", "2024-03-01", 5],
                ["C", "2024-01-09", 5],
                ["C", "2024-01-20", 7],
                ["D", "2024-08-01", 5],
            ],
            ("--calibration-end", "2024-06-30", "--holdout-end", "2024-12-31"),
        ),
    ],
)
def test_a_degenerate_fit_is_refused(
    crm: Crm, tmp_path: Path, rows: list[list[Any]], args: tuple[str, ...]
) -> None:
    out = tmp_path / "out.csv"
    result = run(crm, write(tmp_path / "tx.csv", rows), out, *args)
    assert result.exit_code == 2, result.output
    assert "degenerate" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_predictions_are_never_written_as_nan() -> None:
    summary = clv.summarise(
        np.array([0, 0, 1, 1]),
        np.array([0.0, 60.0, 31.0, 91.0]),
        np.array([10.0, 12, 5, 5]),
        91.0,
        cutoff=92.0,
    )
    with pytest.raises(clv.ModelError, match="degenerate"):
        clv.fit_and_predict(summary, period_days=365.0)


@pytest.fixture(scope="module")
def shop_rows() -> list[list[Any]]:
    """800 customers over two years, drawn from BG/NBD and Gamma-Gamma."""
    ids, t, amount = clv.simulate(
        np.random.default_rng(3),
        800,
        r=0.8,
        alpha=12.0,
        a=0.9,
        b=4.0,
        p=6.0,
        q=4.0,
        v=90.0,
        observe_days=730.0,
    )
    return [
        [f"C{who:04d}", (START + timedelta(days=int(day))).isoformat(), f"{paid:.2f}"]
        for who, day, paid in zip(ids.tolist(), t.tolist(), amount.tolist(), strict=True)
    ]


def test_zero_value_repeat_purchases_are_left_out_of_the_spend_fit_and_named(
    crm: Crm, tmp_path: Path, shop_rows: list[list[Any]]
) -> None:
    args = ("--calibration-end", "2023-06-30", "--holdout-end", "2023-12-31")
    plain = run(crm, write(tmp_path / "plain.csv", shop_rows), tmp_path / "plain_out.csv", *args)
    assert plain.exit_code == 0, plain.output
    free = [["Z-free", "2022-03-01", "0"], ["Z-free", "2022-05-01", "0.00"]]
    free += [["Y-free", "2022-02-01", "30"], ["Y-free", "2022-04-01", "0"]]
    out = tmp_path / "out.csv"
    result = run(crm, write(tmp_path / "zero.csv", shop_rows + free), out, *args)
    assert result.exit_code == 0, result.output
    assert "2 customer(s) whose repeat purchases are worth 0" in result.output
    assert "Z-free" in result.output and "Y-free" in result.output
    found = json.loads(result.output.strip().splitlines()[-1])
    before = json.loads(plain.output.strip().splitlines()[-1])
    assert found["zero_value_repeat_customers"] == 2
    assert before["zero_value_repeat_customers"] == 0
    # Spend is fitted on the same customers as without them; purchases count them.
    for name, value in before["parameters"]["gamma_gamma"].items():
        assert found["parameters"]["gamma_gamma"][name] == pytest.approx(value, rel=1e-6)
    assert found["customers"] == before["customers"] + 2
    with out.open() as handle:
        rows = {row["customer"]: row for row in csv.DictReader(handle)}
    gg = found["parameters"]["gamma_gamma"]
    population = gg["p"] * gg["v"] / (gg["q"] - 1.0)
    for who in ("Z-free", "Y-free"):
        spend = float(rows[who]["expected_avg_spend"])
        assert 0.0 < spend < population
        assert math.isfinite(float(rows[who]["clv"]))
    assert all("nan" not in ",".join(row.values()) for row in rows.values())

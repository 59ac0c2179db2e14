"""Matching benchmark: time, peak memory and F1 of ``crmkit match`` at growing sizes.

    python bench/match.py [--sizes 10k,100k,1M] [--runs K] [--data DIR] [--workers N]

For each size, generates a labelled test set (:mod:`crmkit.testing.people`,
seed fixed; kept in ``--data`` between runs when given), then runs, each as a
subprocess and ``--runs`` times:

* **match**: the real ``crmkit match`` command on the file;
* **baseline**: reading and normalising the same file the way ``crmkit match``
  does (same workers), without blocking, comparing or writing pairs,

so that the ratio of the two shows what matching costs above reading the data.
Reports medians of wall time and of user+system CPU seconds, the largest
resident set of any one process (``ru_maxrss``), the records per second, and the
precision, recall and F1 of the pairs found. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from crmkit.testing.people import MAPPING, TestSet, evaluate, write_test_set

SUFFIXES = {"k": 1_000, "m": 1_000_000}
BASELINE = """
import sys
from pathlib import Path
from crmkit.core.matching.source import read_records
from crmkit.testing.people import MAPPING
workers = None if sys.argv[2] == "" else int(sys.argv[2])
read_records(Path(sys.argv[1]), id_column="id", mapping=MAPPING, default_region="DE", workers=workers)
"""


def size(text: str) -> int:
    text = text.strip().lower()
    if text[-1:] in SUFFIXES:
        return int(float(text[:-1]) * SUFFIXES[text[-1]])
    return int(text)


def run(command: list[str]) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak memory (MiB, largest process) of one subprocess."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "peak_mib": after.ru_maxrss / 1024}


def test_set(directory: Path, count: int) -> TestSet:
    folder = directory / f"people-{count}"
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, pairs_path = folder / "people.csv", folder / "people.pairs.csv"
    if csv_path.is_file() and pairs_path.is_file():
        return TestSet(csv_path, pairs_path, count, 0)
    return write_test_set(folder, count, seed=count)


def measure(data: TestSet, runs: int, workers: int | None, out: Path) -> dict[str, Any]:
    worker_options = [] if workers is None else ["--workers", str(workers)]
    maps = [o for column, field in MAPPING.items() for o in ("--map", f"{column}={field}")]
    crmkit = [str(Path(sys.executable).with_name("crmkit"))]
    match = [
        *crmkit,
        "match",
        str(data.csv_path),
        "--id",
        "id",
        *maps,
        "--out",
        str(out),
        *worker_options,
    ]
    baseline = [
        sys.executable,
        "-c",
        BASELINE,
        str(data.csv_path),
        "" if workers is None else str(workers),
    ]
    matched = [run(match) for _ in range(runs)]
    read = [run(baseline) for _ in range(runs)]
    quality = evaluate(out, data)
    wall = statistics.median(r["wall"] for r in matched)
    read_wall = statistics.median(r["wall"] for r in read)
    return {
        "records": data.records,
        "wall_s": round(wall, 2),
        "cpu_s": round(statistics.median(r["cpu"] for r in matched), 2),
        "peak_mib": round(max(r["peak_mib"] for r in matched)),
        "records_per_s": round(data.records / wall),
        "baseline_wall_s": round(read_wall, 2),
        "ratio_to_baseline": round(wall / read_wall, 2),
        "precision": round(quality.precision, 4),
        "recall": round(quality.recall, 4),
        "f1": round(quality.f1, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="10k,100k,1M", help="Comma-separated sizes (10k, 1M, 5000)."
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="Runs per size (the median is reported)."
    )
    parser.add_argument("--data", type=Path, help="Keep generated sets here for later runs.")
    parser.add_argument("--workers", type=int, help="Passed to crmkit match [default: its own].")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.data or Path(scratch)
        for count in map(size, args.sizes.split(",")):
            data = test_set(directory, count)
            data = TestSet(
                data.csv_path, data.pairs_path, sum(1 for _ in data.csv_path.open()) - 1, 0
            )
            results.append(
                measure(data, args.runs, args.workers, Path(scratch) / f"pairs-{count}.csv")
            )
    header = (
        "records",
        "wall_s",
        "cpu_s",
        "peak_mib",
        "records_per_s",
        "baseline_wall_s",
        "ratio_to_baseline",
        "precision",
        "recall",
        "f1",
    )
    print("  ".join(f"{h:>17}" for h in header))
    for result in results:
        print("  ".join(f"{result[h]:>17}" for h in header))
    print(json.dumps({"benchmark": "match", "runs": args.runs, "results": results}))


if __name__ == "__main__":
    main()

"""Matching benchmark: F1, time and peak memory of ``crmkit match`` next to splink, at growing sizes.

    python bench/match.py [--sizes 10k,100k,1M] [--damage typed] [--runs K] [--data DIR] [--workers N]
                          [--no-splink]

For each size, generates a labelled test set (:mod:`crmkit.testing.people`,
seed = size, damage ``--damage``: ``typed``, the harder set with mistyped
digits and names, or ``classic``; kept in ``--data`` between runs when given),
then runs, each as a subprocess and ``--runs`` times:

* **crmkit**: the real ``crmkit match`` command on the file;
* **crmkit-em**: ``crmkit match --estimate-weights``, weights estimated from the file;
* **splink**: splink (unsupervised, DuckDB backend) on the same file, read and
  normalised by crmkit's reader (same workers) so that both compare the same
  values: splink's documented comparisons for people (names, date of birth,
  postcode, city, email; identifiers and street by Damerau-Levenshtein), u
  estimated by random sampling, m by expectation maximisation, pairs at a match
  probability of 0.9 joined into clusters like ``crmkit match`` does;
* **read**: reading and normalising the file the way ``crmkit match`` does, nothing else,

Splink comes from the bench requirements: ``pip install -r requirements/bench.txt``.
Reports medians of wall time and of user+system CPU seconds, the largest
resident set of any one process (``ru_maxrss``), and the precision, recall and
F1 of the pairs found. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from crmkit.testing.people import DAMAGE_SETS, MAPPING, TestSet, evaluate, write_test_set

SUFFIXES = {"k": 1_000, "m": 1_000_000}
READ = """
import sys
from pathlib import Path
from crmkit.core.matching.source import read_records
from crmkit.testing.people import MAPPING
workers = None if sys.argv[2] == "" else int(sys.argv[2])
read_records(Path(sys.argv[1]), id_column="id", mapping=MAPPING, default_region="DE", workers=workers)
"""
MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - started
used = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = used.ru_utime + used.ru_stime
print(json.dumps({"wall": wall, "cpu": cpu, "peak_mib": used.ru_maxrss / 1024}))
"""
MAX_CLUSTER_SIZE = 50
"""As ``crmkit match``: larger splink clusters give only their scored pairs."""


def size(text: str) -> int:
    text = text.strip().lower()
    if text[-1:] in SUFFIXES:
        return int(float(text[:-1]) * SUFFIXES[text[-1]])
    return int(text)


def run(command: list[str]) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak memory (MiB, largest process) of one subprocess.

    Run under a fresh Python process of its own: ``ru_maxrss`` of a process's
    children is the largest of all it ever waited for, not of the last one.
    """
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        check=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    return json.loads(measured.stdout.splitlines()[-1])


def test_set(directory: Path, count: int, damage: str) -> TestSet:
    folder = directory / f"people-{damage}-{count}"
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, pairs_path = folder / "people.csv", folder / "people.pairs.csv"
    if not (csv_path.is_file() and pairs_path.is_file()):
        write_test_set(folder, count, seed=count, damage=DAMAGE_SETS[damage])
    records = sum(1 for _ in csv_path.open(encoding="utf-8")) - 1
    return TestSet(csv_path, pairs_path, records, 0)


def splink_pairs(csv_path: Path, out: Path, workers: int | None) -> None:
    """Run splink on the records of ``csv_path`` and write the pairs it finds to ``out``."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from crmkit.core.matching.source import read_records

    source = read_records(
        csv_path, id_column="id", mapping=MAPPING, default_region="DE", workers=workers
    )

    def value(text: str) -> str | None:
        return text or None

    rows = [
        {
            "unique_id": record_id,
            "first_name": value(r.first_name or r.organisation),
            "surname": value(r.last_name),
            "dob": r.birth_date.isoformat() if r.birth_date else None,
            "postcode": value(r.postcode),
            "city": value(r.city),
            "street": value(f"{r.street} {r.street_number}".strip()),
            "email": r.emails[0] if r.emails else None,
            "phone": r.phones[0] if r.phones else None,
            "national_id": value(r.national_id),
            "external_id": value(r.external_id),
        }
        for record_id, r in zip(source.ids, source.records, strict=True)
    ]
    del source
    db_api = DuckDBAPI()
    data = db_api.register(rows)
    del rows
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode"),
            cl.DamerauLevenshteinAtThresholds("city").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("street", [1, 3]),
            cl.EmailComparison("email"),
            cl.DamerauLevenshteinAtThresholds("phone", [1]),
            cl.DamerauLevenshteinAtThresholds("national_id", [1]),
            cl.DamerauLevenshteinAtThresholds("external_id", [1]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
            block_on("dob", "postcode"),
            block_on("email"),
            block_on("phone"),
            block_on("national_id"),
            block_on("external_id"),
            block_on("postcode", "street"),
        ],
    )
    linker = Linker(data, settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob"), block_on("email")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    predictions = linker.inference.predict(threshold_match_probability=0.9)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.9)
    members: defaultdict[str, list[str]] = defaultdict(list)
    for record_id, cluster_id in (
        clusters.as_duckdbpyrelation().select("unique_id, cluster_id").fetchall()
    ):
        members[cluster_id].append(record_id)
    pairs: set[tuple[str, str]] = set()
    for ids in members.values():
        if 1 < len(ids) <= MAX_CLUSTER_SIZE:
            pairs.update(itertools.combinations(sorted(ids), 2))
    scored = predictions.as_duckdbpyrelation().select("unique_id_l, unique_id_r").fetchall()
    pairs.update((a, b) if a < b else (b, a) for a, b in scored)

    with out.open("w", newline="", encoding="utf-8") as target:
        writer = csv.writer(target)
        writer.writerow(("id_a", "id_b"))
        writer.writerows(sorted(pairs))


def commands(data: TestSet, workers: int | None, out: Path) -> dict[str, list[str]]:
    worker_options = [] if workers is None else ["--workers", str(workers)]
    maps = [o for column, field in MAPPING.items() for o in ("--map", f"{column}={field}")]
    match = [
        str(Path(sys.executable).with_name("crmkit")),
        "match",
        str(data.csv_path),
        "--id",
        "id",
        *maps,
        *worker_options,
    ]
    workers_text = "" if workers is None else str(workers)
    return {
        "crmkit": [*match, "--out", str(out / "crmkit.csv")],
        "crmkit-em": [*match, "--estimate-weights", "--out", str(out / "crmkit-em.csv")],
        "splink": [
            sys.executable,
            __file__,
            "--splink-run",
            str(data.csv_path),
            str(out / "splink.csv"),
            workers_text,
        ],
        "read": [sys.executable, "-c", READ, str(data.csv_path), workers_text],
    }


def measure(
    data: TestSet, runs: int, workers: int | None, out: Path, engines: list[str]
) -> list[dict[str, Any]]:
    results = []
    for engine, command in commands(data, workers, out).items():
        if engine not in engines:
            continue
        timings = [run(command) for _ in range(runs)]
        result: dict[str, Any] = {
            "records": data.records,
            "engine": engine,
            "wall_s": round(statistics.median(t["wall"] for t in timings), 2),
            "cpu_s": round(statistics.median(t["cpu"] for t in timings), 2),
            "peak_mib": round(max(t["peak_mib"] for t in timings)),
        }
        if engine != "read":
            quality = evaluate(out / f"{engine}.csv", data)
            result |= {
                "precision": round(quality.precision, 4),
                "recall": round(quality.recall, 4),
                "f1": round(quality.f1, 4),
            }
        results.append(result)
    return results


def main() -> None:
    if sys.argv[1:2] == ["--splink-run"]:
        workers = None if sys.argv[4] == "" else int(sys.argv[4])
        splink_pairs(Path(sys.argv[2]), Path(sys.argv[3]), workers)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="10k,100k,1M", help="Comma-separated sizes (10k, 1M, 5000)."
    )
    parser.add_argument(
        "--damage", default="typed", choices=sorted(DAMAGE_SETS), help="Which generated set."
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="Runs per size (the median is reported)."
    )
    parser.add_argument("--data", type=Path, help="Keep generated sets here for later runs.")
    parser.add_argument("--workers", type=int, help="Passed to crmkit match [default: its own].")
    parser.add_argument("--no-splink", action="store_true", help="Leave splink out.")
    args = parser.parse_args()
    engines = ["crmkit", "crmkit-em", "read"] + ([] if args.no_splink else ["splink"])
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.data or Path(scratch)
        for count in map(size, args.sizes.split(",")):
            data = test_set(directory, count, args.damage)
            out = Path(scratch) / f"out-{count}"
            out.mkdir()
            results += measure(data, args.runs, args.workers, out, engines)
    header = ("records", "engine", "wall_s", "cpu_s", "peak_mib", "precision", "recall", "f1")
    print("  ".join(f"{h:>10}" for h in header))
    for result in results:
        print("  ".join(f"{result.get(h, ''):>10}" for h in header))
    print(
        json.dumps(
            {"benchmark": "match", "damage": args.damage, "runs": args.runs, "results": results}
        )
    )


if __name__ == "__main__":
    main()

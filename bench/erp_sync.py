"""ERP sync benchmark: business partners pulled from the loopback SAP server into crmkit,
beside the plain CSV import of the same partners, and a rerun with 1 % changed.

    python bench/erp_sync.py [--partners N] [--changed PERCENT] [--page-size K]
                             [--database-url postgresql://...]

The loopback SAP server (``crmkit_erp_sap.testing.SapServer``, partners generated from a
seed) runs in its own process, so it does not share the interpreter lock with the sync.
Each measured phase runs in a fresh process of its own, on a fresh database (a SQLite file
in a temporary directory, or a new schema on the PostgreSQL server given), so its peak
memory (maximum resident set) is its own:

* **sync**: ``crmkit erp_sap sync --full`` (``crmkit_erp_sap.partners.sync.sync``) of all
  partners, with addresses, e-mails, phones, customers and sales areas;
* **import**: ``crmkit import customers`` (``crmkit.core.importing.import_parties``) of the
  same partners written as a CSV file beforehand (name or organisation, e-mail, phone,
  street, house number, postcode, city, country) - the plain import path, run twice (rows
  built in the importing process, and with the worker processes it chooses itself); the
  faster is the baseline;
* **rerun**: ``crmkit erp_sap sync`` (a delta) on the sync's database after ``--changed``
  % of the partners changed in SAP.

Only the phase's own work is timed (not starting the process or the app). Prints rows/s
and peak memory of each, the ratio sync/import (target at least 0.5) and
rerun/sync seconds (target under 0.05); the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text

from crmkit import Settings
from crmkit.core.importing import ImportOptions, import_parties
from crmkit.testing import make_app

SEED = 18
SYSTEM = "S4P"
EXPAND = frozenset(
    {
        "to_BusinessPartnerAddress",
        "to_BusinessPartnerAddress/to_EmailAddress",
        "to_BusinessPartnerAddress/to_PhoneNumber",
    }
)
IMPORT_WORKERS = (0, None)
"""``crmkit import`` building rows in this process, and as it chooses by file size and CPUs
(worker processes): the faster of the two is the baseline."""
CSV_HEADER = [
    "first_name",
    "last_name",
    "organisation_name",
    "kind",
    "email",
    "phone",
    "street",
    "street_number",
    "postcode",
    "city",
    "country",
]


# --- The loopback SAP server, in its own process, steered through a pipe.


def serve(partners: int, page: int, control: Connection) -> None:
    from crmkit_erp_sap.testing import BusinessPartners, SapServer

    with SapServer(BusinessPartners(seed=SEED, count=partners, server_page=page)) as sap:
        control.send(sap.system_settings(page_size=page, max_retry_wait=1.0))
        while True:
            command, argument = control.recv()
            if command == "stop":
                return
            control.send(len(sap.partners.change(argument)))


# --- The phases, each in a process of its own.


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def crm_settings(url: str, system: dict[str, Any]) -> Settings:
    return Settings(
        database_url=url, plugin_settings={"erp_sap": {"connection": {"systems": {SYSTEM: system}}}}
    )


def run_sync(url: str, system: dict[str, Any], full: bool, create: bool) -> dict[str, Any]:
    from crmkit_erp_sap.partners.sync import sync

    app = make_app(["erp_sap"], settings=crm_settings(url, system), create_tables=create)
    try:
        started = time.perf_counter()
        run = sync(app, SYSTEM, full=full, trigger="cli")
        seconds = time.perf_counter() - started
    finally:
        app.close()
    return {
        "seconds": seconds,
        "status": run.status,
        "error": run.error,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "failed": run.failed,
        "peak_mb": peak_mb(),
    }


def run_import(
    url: str, system: dict[str, Any], path: Path, workdir: Path, workers: int | None
) -> dict[str, Any]:
    app = make_app(["erp_sap"], settings=crm_settings(url, system))
    try:
        started = time.perf_counter()
        result = import_parties(
            app,
            "customer",
            path,
            ImportOptions(rejects=workdir / "rejects.csv", workers=workers),
        )
        seconds = time.perf_counter() - started
    finally:
        app.close()
    return {
        "seconds": seconds,
        "created": result.created,
        "rejected": result.rejected,
        "merged": result.merged,
        "peak_mb": peak_mb(),
    }


def _report(work: Any, args: tuple[Any, ...], answer: Connection) -> None:
    answer.send(work(*args))


def in_process(work: Any, *args: Any) -> dict[str, Any]:
    """``work(*args)`` in a fresh spawned process (not a daemon: the sync starts workers of
    its own); what it returned."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_report, args=(work, args, theirs))
    process.start()
    found: dict[str, Any] = ours.recv()
    process.join()
    return found


# --- The data and the databases.


def write_csv(path: Path, partners: int) -> None:
    """The partners the server serves, as a CSV file ``crmkit import customers`` reads."""
    from crmkit_erp_sap.testing import BusinessPartners

    source = BusinessPartners(seed=SEED, count=partners)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        for index in range(partners):
            row = source.partner(index, expand=EXPAND)
            address = row["to_BusinessPartnerAddress"]["results"][0]
            person = row["BusinessPartnerCategory"] == "1"
            writer.writerow(
                [
                    row["FirstName"],
                    row["LastName"],
                    "" if person else row["OrganizationBPName1"],
                    "person" if person else "organisation",
                    address["to_EmailAddress"]["results"][0]["EmailAddress"],
                    address["to_PhoneNumber"]["results"][0]["InternationalPhoneNumber"],
                    address["StreetName"],
                    address["HouseNumber"],
                    address["PostalCode"],
                    address["CityName"],
                    address["Country"],
                ]
            )


@contextmanager
def fresh_database(url: str | None, workdir: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, or a new schema on the PostgreSQL server."""
    if url is None:
        yield f"sqlite:///{workdir / f'{uuid.uuid4().hex}.db'}"
        return
    from sqlalchemy import create_engine

    schema = f"bench_erp_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield str(make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--partners", type=int, default=1_000_000)
    parser.add_argument("--changed", type=float, default=1.0, help="percent changed for the rerun")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--database-url", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    figures: dict[str, Any] = {"partners": args.partners, "page_size": args.page_size}
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(
        target=serve, args=(args.partners, args.page_size, theirs), daemon=True
    )
    server.start()
    system: dict[str, Any] = ours.recv()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            path = workdir / "partners.csv"
            started = time.perf_counter()
            write_csv(path, args.partners)
            print(f"wrote {args.partners} partners as CSV in {time.perf_counter() - started:.1f}s")
            with fresh_database(args.database_url, workdir) as url:
                first = in_process(run_sync, url, system, True, True)
                print(f"sync: {first}")
                ours.send(("change", args.changed))
                changed = ours.recv()
                rerun = in_process(run_sync, url, system, False, False)
                print(f"rerun after {changed} changed: {rerun}")
            imports = []
            for workers in IMPORT_WORKERS:
                with fresh_database(args.database_url, workdir) as url:
                    found = in_process(run_import, url, system, path, workdir, workers)
                print(f"import (workers {'auto' if workers is None else workers}): {found}")
                imports.append({**found, "workers": workers})
            imported = min(imports, key=lambda found: found["seconds"])
    finally:
        ours.send(("stop", None))
        server.join(timeout=10)
    sync_rate = args.partners / first["seconds"]
    import_rate = args.partners / imported["seconds"]
    figures.update(
        database="postgresql" if args.database_url else "sqlite",
        sync_rows_per_s=round(sync_rate),
        sync_peak_mb=round(first["peak_mb"]),
        sync_counts={k: first[k] for k in ("status", "created", "updated", "unchanged", "failed")},
        import_rows_per_s=round(import_rate),
        import_peak_mb=round(imported["peak_mb"]),
        import_counts={k: imported[k] for k in ("created", "rejected", "merged")},
        import_workers="auto" if imported["workers"] is None else imported["workers"],
        import_seconds_each={
            "auto" if i["workers"] is None else str(i["workers"]): round(i["seconds"], 2)
            for i in imports
        },
        ratio_sync_to_import=round(sync_rate / import_rate, 3),
        changed=changed,
        rerun_seconds=round(rerun["seconds"], 3),
        rerun_peak_mb=round(rerun["peak_mb"]),
        rerun_counts={k: rerun[k] for k in ("status", "created", "updated", "unchanged", "failed")},
        rerun_share_of_first=round(rerun["seconds"] / first["seconds"], 4),
    )
    print(
        f"sync {sync_rate:,.0f} rows/s (peak {first['peak_mb']:.0f} MB), import {import_rate:,.0f}"
        f" rows/s (peak {imported['peak_mb']:.0f} MB): ratio {sync_rate / import_rate:.2f};"
        f" rerun with {changed} changed {rerun['seconds']:.2f}s ="
        f" {100 * rerun['seconds'] / first['seconds']:.1f} % of the first run"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

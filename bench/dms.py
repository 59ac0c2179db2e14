"""DMS lead benchmark: ADF leads parsed, taken in and routed, beside the plain intake of the
same leads as CSV, in the same run.

    python bench/dms.py [--leads N] [--per-document D] [--database-url postgresql://...]

Generates ``--leads`` realistic car-buyer leads (German names, addresses in the postcode
areas of the demo's dealers, phone numbers written as people write them, a brand, model
and year, a VIN on some, 2 % of them repeats of a lead shortly before) and writes them
twice: as ADF 1.0 documents of ``--per-document`` prospects, in the shapes real producers
send (the ``adf`` processing instruction, unquoted attributes, odd date offsets), and as
one CSV file. Then, each on a fresh database with the dms plugin and 20 dealers covering
every German postcode area for some brands:

* **parse**: ``parse_adf`` of every document alone (no database): leads/s;
* **adf**: every document through ``crmkit_dms.formats.receiving.receive``, one
  transaction per document, the path of ``POST /p/dms/public/adf``: each lead parsed, taken
  in through the kernel's intake (match, score, store), its vehicle of interest checked,
  routed to a dealer (or the fallback queue), the document logged: leads/s;
* **csv**: the same leads as CSV through ``crmkit import`` (``import_parties``, prospects):
  the kernel's plain intake, without routing: leads/s.

Prints the figures and their ratio; the last line is one JSON object. On PostgreSQL with
``--database-url`` (a schema made and dropped for each path).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from crmkit_dms.formats.adf import parse_adf
from crmkit_dms.formats.receiving import receive
from crmkit_dms.partners.service import create_partner

from crmkit import SYSTEM, Crm, Settings
from crmkit.core.importing import ImportOptions, import_parties
from crmkit.testing import make_app, test_database

FIRST = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hannah",
    "Jonas",
    "Lena",
    "Lukas",
    "Marie",
    "Max",
    "Mia",
    "Noah",
    "Paul",
    "Sophie",
    "Tim",
    "Jürgen",
    "Özlem",
]
LAST_STEMS = [
    "Bau",
    "Berg",
    "Brand",
    "Eck",
    "Fisch",
    "Hoff",
    "Kling",
    "Kraus",
    "Lind",
    "Mohr",
    "Neu",
    "Ober",
    "Rein",
    "Roth",
    "Schön",
    "Stein",
    "Vogel",
    "Wald",
    "Weiß",
    "Zimmer",
]
LAST_ENDINGS = ["", "er", "mann", "hardt", "inger", "mayer", "stedt", "feld", "ow", "bach"]
CITIES = [
    ("10115", "Berlin", "30"),
    ("20095", "Hamburg", "40"),
    ("80331", "München", "89"),
    ("50667", "Köln", "221"),
    ("60311", "Frankfurt am Main", "69"),
    ("70173", "Stuttgart", "711"),
    ("40213", "Düsseldorf", "211"),
    ("04109", "Leipzig", "341"),
    ("90402", "Nürnberg", "911"),
    ("30159", "Hannover", "511"),
]
MODELS = {
    "VW": ["Golf", "Polo", "Passat", "ID.4", "Tiguan"],
    "Skoda": ["Octavia", "Fabia", "Kodiaq"],
    "Audi": ["A3", "A4", "Q5"],
    "SEAT": ["Ibiza", "Leon"],
}
DOMAINS = ["web.de", "gmx.de", "t-online.de", "posteo.de", "mailbox.org"]
STREETS = [
    "Haupt",
    "Bahnhof",
    "Garten",
    "Schul",
    "Linden",
    "Berg",
    "Wald",
    "Kirch",
    "Mühlen",
    "Rosen",
]
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
HEADER = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "street",
    "street_number",
    "postcode",
    "city",
    "country",
]


UMLAUTS = str.maketrans({"ü": "ue", "ö": "oe", "ä": "ae", "ß": "ss"})


def _ascii(name: str) -> str:
    return name.lower().translate(UMLAUTS)


def leads(count: int, seed: int = 42) -> list[dict[str, Any]]:
    """``count`` leads as dicts (also what the CSV rows hold)."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for n in range(count):
        if out and rng.random() < 0.02:
            out.append(dict(rng.choice(out[-500:]), lead_id=f"BENCH-{n}"))
            continue
        postcode, city, area = rng.choice(CITIES)
        first, last = rng.choice(FIRST), rng.choice(LAST_STEMS) + rng.choice(LAST_ENDINGS)
        brand = rng.choice(list(MODELS))
        out.append(
            {
                "lead_id": f"BENCH-{n}",
                "first_name": first,
                "last_name": last,
                "email": f"{_ascii(first)}.{_ascii(last)}{n}@{rng.choice(DOMAINS)}",
                "phone": f"0{area} {rng.randrange(100, 999)} {rng.randrange(1000, 99999)}",
                "street": f"{rng.choice(STREETS)}str.",
                "street_number": str(rng.randrange(1, 200)),
                "postcode": f"{int(postcode) + rng.randrange(90):05d}",
                "city": city,
                "country": "DE",
                "brand": brand,
                "model": rng.choice(MODELS[brand]),
                "year": rng.randrange(2019, 2027),
                "vin": "".join(rng.choice(VIN_CHARS) for _ in range(17))
                if rng.random() < 0.3
                else "",
            }
        )
    return out


def _prospect(lead: dict[str, Any], n: int) -> str:
    vin = f"<vin>{lead['vin']}</vin>" if lead["vin"] else ""
    # Deviations real producers send: unquoted attributes, an odd offset, no seconds.
    date = "2026-12-06T09:30:20-08:0" if n % 3 else "2026-12-06T9:30"
    return (
        f'<prospect status=new><id sequence=1 source="bench">{lead["lead_id"]}</id>'
        f"<requestdate>{date}</requestdate><vehicle interest=buy status=new><year>{lead['year']}</year>"
        f"<make>{lead['brand']}</make><model>{lead['model']}</model>{vin}</vehicle>"
        f'<customer><contact><name part="first">{lead["first_name"]}</name>'
        f'<name part="last">{lead["last_name"]}</name><email>{lead["email"]}</email>'
        f'<phone type="mobile">{lead["phone"]}</phone><address type="home">'
        f'<street line="1">{lead["street"]} {lead["street_number"]}</street><city>{lead["city"]}</city>'
        f"<postalcode>{lead['postcode']}</postalcode><country>DE</country></address></contact></customer>"
        '<vendor><contact><name part="full">Autohaus</name></contact></vendor></prospect>'
    )


def documents(all_leads: list[dict[str, Any]], per_document: int) -> list[bytes]:
    found = []
    for start in range(0, len(all_leads), per_document):
        group = all_leads[start : start + per_document]
        body = "".join(_prospect(lead, start + n) for n, lead in enumerate(group))
        found.append(f'<?adf version="1.0"?>\n<?xml version="1.0"?>\n<adf>{body}</adf>'.encode())
    return found


def write_csv(all_leads: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for lead in all_leads:
            writer.writerow([lead[name] for name in HEADER])


def _dealers(app: Crm) -> None:
    """20 dealers: two per postcode area (first digit), each for two of the four brands."""
    brands = list(MODELS)
    with app.transaction(SYSTEM) as tx:
        for area in range(10):
            for n in range(2):
                create_partner(
                    tx,
                    {
                        "code": f"D{area}{n}",
                        "name": f"Autohaus {area}{n}",
                        "kind": "dealer",
                        "brands": brands[2 * n : 2 * n + 2],
                        "regions": [{"country": "DE", "postcode_prefix": str(area)}],
                    },
                )


def _app(workdir: Path) -> Any:
    database = test_database(workdir)
    db = database.__enter__()
    return database, make_app(["dms"], database=db, settings=Settings(database_url=db.url))


def run_parse(docs: list[bytes], count: int) -> float:
    started = time.perf_counter()
    parsed = sum(len(parse_adf(body, max_leads=10_000)) for body in docs)
    assert parsed == count
    return count / (time.perf_counter() - started)


def run_adf(docs: list[bytes], count: int, workdir: Path) -> tuple[float, float, Counter[str]]:
    database, app = _app(workdir / "adf")
    outcomes: Counter[str] = Counter()
    try:
        _dealers(app)
        started, cpu = time.perf_counter(), time.process_time()
        for body in docs:
            with app.transaction(SYSTEM) as tx:
                received = receive(tx, body, source="bench", fmt="adf")
            for result in received.results:
                if "refused" in result:
                    outcomes["refused"] += 1
                else:
                    outcomes[result["outcome"]] += 1
                    outcomes["routed" if result.get("partner_id") else "fallback_queue"] += 1
        rate = count / (time.perf_counter() - started)
        return rate, (time.process_time() - cpu) / count, outcomes
    finally:
        app.close()
        database.__exit__(None, None, None)


def run_csv(path: Path, count: int, workdir: Path) -> tuple[float, float, Any]:
    database, app = _app(workdir / "csv")
    try:
        started, cpu = time.perf_counter(), time.process_time()
        result = import_parties(
            app, "prospect", path, ImportOptions(rejects=workdir / "rejects.csv", workers=0)
        )
        rate = count / (time.perf_counter() - started)
        return rate, (time.process_time() - cpu) / count, result
    finally:
        app.close()
        database.__exit__(None, None, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--per-document", type=int, default=50)
    parser.add_argument("--database-url", help="run on this PostgreSQL server instead of SQLite")
    args = parser.parse_args()
    if args.database_url:
        os.environ["CRMKIT_TEST_DATABASE_URL"] = args.database_url
    all_leads = leads(args.leads)
    docs = documents(all_leads, args.per_document)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for sub in ("adf", "csv"):
            (workdir / sub).mkdir()
        csv_path = workdir / "leads.csv"
        write_csv(all_leads, csv_path)
        parse_rate = run_parse(docs, args.leads)
        print(f"parse: {parse_rate:,.0f} leads/s", flush=True)
        adf_rate, adf_cpu, outcomes = run_adf(docs, args.leads, workdir)
        print(
            f"adf (parse, intake, route, log): {adf_rate:,.0f} leads/s, "
            f"{adf_cpu * 1000:.2f} CPU ms/lead {dict(outcomes)}",
            flush=True,
        )
        csv_rate, csv_cpu, result = run_csv(csv_path, args.leads, workdir)
        print(
            f"csv (plain intake): {csv_rate:,.0f} leads/s, {csv_cpu * 1000:.2f} CPU ms/lead, "
            f"created {result.created}, merged {result.merged}"
        )
    figures = {
        "leads": args.leads,
        "per_document": args.per_document,
        "database": "postgresql" if args.database_url else "sqlite",
        "parse_leads_per_s": round(parse_rate, 1),
        "adf_leads_per_s": round(adf_rate, 1),
        "csv_leads_per_s": round(csv_rate, 1),
        "adf_to_csv": round(adf_rate / csv_rate, 3),
        "adf_cpu_ms_per_lead": round(adf_cpu * 1000, 3),
        "csv_cpu_ms_per_lead": round(csv_cpu * 1000, 3),
        "routed": outcomes["routed"],
        "fallback_queue": outcomes["fallback_queue"],
        "refused": outcomes["refused"],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

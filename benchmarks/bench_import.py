"""The referral import's speed and memory, against the target of issue 5/7: 100,000 referral rows from a
CSV in under 20 s, memory under 300 MB.

    python benchmarks/bench_import.py                  # 100,000 rows into a fresh database
    python benchmarks/bench_import.py --rows 200000    # more
    python benchmarks/bench_import.py --into benchmarks/data/demo-100000.db   # on top of existing data

It writes a CSV of plausible rows (names from the demo's name pools, US dates, a few states and close
reasons, 40 partner practices the database does not know yet, so the import creates them) into a
temporary folder, then imports it as the wizard would: header guess, value guesses, ``run_import`` in
one transaction with its partners created. The import runs in a child process, so its peak resident
memory (``ru_maxrss``) is its own, interpreter and libraries included. ``--into`` imports into a copy.
``benchmarks/run.py`` runs this import with all the other measures.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from bench_common import child_env  # noqa: E402

TARGET_S = 20.0
TARGET_MB = 300.0
HEADERS = [
    "Patient Name",
    "DOB",
    "Phone",
    "Email",
    "Referring Practice",
    "Referring Provider",
    "Service",
    "Reason for Referral",
    "Priority",
    "Received Via",
    "Status",
    "Close Reason",
    "Referral Date",
    "Insurance",
]
STATES = [("New", ""), ("In Progress", ""), ("Reached", ""), ("Seen", ""), ("Declined", "Not eligible"),
          ("Unable to reach", "No response"), ("Cancelled", "")]  # fmt: skip
STATE_WEIGHTS = [30, 20, 10, 25, 5, 7, 3]


def write_csv(path: Path, rows: int, seed: int) -> list[str]:
    """A referral log of ``rows`` rows; returns the partner names it uses."""
    from refdesk.demo.catalog import PAYERS, PLACES, SERVICE_LINES, SURNAMES
    from refdesk.demo.names import CLINICIAN_FIRST, CLINICIAN_LAST, CULTURES

    rng = random.Random(seed)
    partners = [
        f"{place} {kind}"
        for place, kind in zip(
            rng.sample(PLACES, 20) * 2,
            ["Primary Care"] * 20 + [f"{s} Orthopedics" for s in SURNAMES],
            strict=False,
        )
    ]
    firsts = [name for culture in CULTURES for name in culture.first_names]
    lasts = [name for culture in CULTURES for name in culture.last_names]
    lines = SERVICE_LINES[:3]
    today = date.today()
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADERS)
        for number in range(rows):
            born = date(1930, 1, 1) + timedelta(days=rng.randrange(30_000))
            received = today - timedelta(days=rng.randrange(1, 700))
            state, reason = rng.choices(STATES, STATE_WEIGHTS)[0]
            line = rng.choice(lines)
            first, last = rng.choice(firsts), rng.choice(lasts)
            out.writerow(
                [
                    f"{last}, {first}",
                    f"{born:%m/%d/%Y}",
                    f"({rng.randrange(200, 999)}) {rng.randrange(200, 999)}-{number % 10000:04d}",
                    f"{''.join(filter(str.isalnum, first.lower()))}.{number}@example.org"
                    if rng.random() < 0.3
                    else "",
                    rng.choice(partners),
                    f"Dr. {rng.choice(CLINICIAN_FIRST)} {rng.choice(CLINICIAN_LAST)}",
                    line.name,
                    rng.choice(line.reasons),
                    rng.choice(["Routine", "Routine", "Routine", "Urgent", "STAT"]),
                    rng.choice(["Fax", "Fax", "Phone", "Portal", "Email"]),
                    state,
                    reason,
                    f"{received:%m/%d/%Y}",
                    rng.choice(PAYERS),
                ]
            )
    return sorted(set(partners))


def child(database: Path, csv_path: Path, partners: list[str]) -> dict[str, float]:
    """The timed part, in its own process: open, guess, import."""
    from refdesk.demo.catalog import SERVICE_LINES
    from refdesk.imports.mapping import guess_mapping
    from refdesk.imports.referrals import run_import
    from refdesk.imports.source import open_source
    from refdesk.services.actor import ensure_staff
    from refdesk.services.catalog import NewServiceLine, create_service_line, list_service_lines
    from refdesk.storage import Database

    with Database.open(database) as db:
        actor = ensure_staff(db, "bench", "Benchmark")
        have = {line.name for line in list_service_lines(db)}
        for spec in SERVICE_LINES[:3]:
            if spec.name not in have:
                create_service_line(
                    db, actor, NewServiceLine(name=spec.name, required_records=["Recent notes"])
                )
        start = time.perf_counter()
        with open_source(csv_path) as source:
            mapping = guess_mapping("referrals", source.headers)
            mapping.date_format = "MDY"
            result = run_import(db, actor, source, mapping, create_partners=partners)
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    return {"seconds": seconds, "peak_mb": peak, "imported": result.imported, "read": result.read}


def import_once(database: Path, csv_path: Path, partners: list[str]) -> dict[str, float]:
    """One import of ``csv_path`` into ``database`` (created when missing) in a fresh child process:
    seconds, peak_mb, imported, read. Raises ``CalledProcessError`` (with its stderr) if it fails."""
    command = [sys.executable, __file__, "--child", str(database), str(csv_path), json.dumps(partners)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=child_env())
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--into", type=Path, help="a database to import into (a copy of it is used)")
    parser.add_argument("--child", nargs=3, metavar=("DB", "CSV", "PARTNERS_JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        database, csv_path, partners = args.child
        print(json.dumps(child(Path(database), Path(csv_path), json.loads(partners))))
        return 0
    with tempfile.TemporaryDirectory(prefix="refdesk-bench-import-") as folder:
        work = Path(folder)
        csv_path = work / "referral-log.csv"
        start = time.perf_counter()
        partners = write_csv(csv_path, args.rows, args.seed)
        size = csv_path.stat().st_size / 1e6
        print(f"wrote {args.rows:,} rows ({size:.1f} MB) in {time.perf_counter() - start:.1f} s")
        database = work / "import.db"
        if args.into:
            shutil.copy(args.into, database)
        try:
            figures = import_once(database, csv_path, partners)
        except subprocess.CalledProcessError as error:
            print(error.stderr, file=sys.stderr)
            return 1
    ok = figures["seconds"] < TARGET_S and figures["peak_mb"] < TARGET_MB
    print(
        f"imported {figures['imported']:,} of {figures['read']:,} rows in {figures['seconds']:.1f} s "
        f"(target {TARGET_S:.0f} s), peak RSS {figures['peak_mb']:.0f} MB (target {TARGET_MB:.0f} MB): "
        f"{'ok' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""RefDesk's speed and memory benchmark: every measure at every size, in one run, in one table.

    python benchmarks/run.py                              # 10k, 100k and 1M referrals, 3 runs each
    python benchmarks/run.py --sizes 10000 100000 --runs 5
    python benchmarks/run.py --smoke                      # CI: 10k only, 1 run each, under ~2 minutes

Databases. Missing demo databases are built once with ``refdesk demo`` into ``benchmarks/data/`` and
reused: ``demo-<n>.db`` for the queue (20 partners at 10k, 50 at 100k, 500 at 1M) and ``demo-<n>-p500.db``
with 500 partners for the metrics, letters and summary (the 1M database serves both). Each is opened once
before anything is timed, so a database made by an older RefDesk is migrated then, in place, not during a
measure. The metrics and documents write (letters are logged, the letterhead is filled in): they run on a
copy in a scratch folder (``$BENCH_TMP`` or the system's; the 1M copy needs about 2 GB). RefDesk's
modules are byte-compiled first (hash-checked ``__pycache__``), as an installed app ships them: with
``PYTHONDONTWRITEBYTECODE`` set, each cold start would otherwise compile them all again.

Measures, size by size, each in fresh child processes (so one cannot warm the next, and each child's peak
memory is its own), using the single-purpose scripts' code (``bench_queue.py``, ``bench_metrics.py``,
``bench_documents.py``, ``bench_import.py``, which still run alone):

- cold start: one process per run, from its start to the main window showing the first queue page. The
  window is built directly, as the app does once someone has signed in: sign-in is excluded (a person
  types a password);
- filter change and search keystroke to the first page, opening a referral: one process, ``--runs``
  passes over 4 filters, 8 keystrokes and a few referrals;
- every partner's metrics for the last 12 months and for a half year cut mid-month (the slowest shape);
- status letters for 500 partners in one file (a month), and the busiest partner's summary PDF;
- the CSV import, size-free: a generated referral log of 100,000 rows into a new database, one process per
  run; with 100k among the sizes, also into a copy of ``demo-100000.db``;
- peak memory: the largest peak resident memory (``ru_maxrss``) of the measuring processes of a column.

Figures are medians of ``--runs`` runs. The table (Markdown) goes to stdout with each target beside the
figure, marked ``ok`` or ``MISSED`` where the target applies (letters: 500 at 100k; import: 100,000 rows);
progress goes to stderr. The same figures, every run, the targets and the machine (CPU count, Python, Qt,
SQLite, date) are written to ``benchmarks/results/benchmark.json`` (``--smoke``: ``benchmark-smoke.json``).

``--smoke`` checks that every measure still runs: 10k only, 1 run each, 50 letters, a 5,000-row import.
Exit status: 2 if a measure crashed; otherwise 1 if a target was missed (never with ``--smoke``); else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from bench_common import DATA, LETTERS_PARTNERS, RESULTS, ROOT, child_env, demo_database  # noqa: E402
from bench_report import BY_KEY, NEW, Report, column_title, machine, table, write_json  # noqa: E402

MEASURES_SCRIPT = HERE / "measures.py"
SIZES = [10_000, 100_000, 1_000_000]
#: The size the import "into an existing database" note is made at.
IMPORT_INTO = 100_000


@dataclass(frozen=True)
class Plan:
    sizes: list[int]
    runs: int
    letters: int
    import_rows: int
    smoke: bool
    data: Path


def byte_compile() -> None:
    """Compile RefDesk's modules as an installed app has them (pip and PyInstaller ship bytecode);
    otherwise, with ``PYTHONDONTWRITEBYTECODE`` set, every cold start would compile ~120 modules.
    Hash-checked, so a source file edited afterwards is never run from a stale cache."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "checked-hash",
         str(ROOT / "refdesk"), str(ROOT / "ui")],
        check=True, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def child(kind: str, *args: object) -> dict[str, Any]:
    """One ``measures.py`` process; its JSON line. Raises ``CalledProcessError`` if it fails."""
    done = subprocess.run(
        [sys.executable, str(MEASURES_SCRIPT), kind, *map(str, args)],
        capture_output=True, text=True, check=True, env=child_env(),
    )  # fmt: skip
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


class Bench:
    """One run of every measure; fills ``report`` as it goes and carries on past a crashed measure."""

    def __init__(self, plan: Plan, work: Path) -> None:
        self.plan, self.work = plan, work
        columns = [NEW, *(str(size) for size in plan.sizes)]
        self.report = Report(columns, details={column: {} for column in columns})
        self.rss: dict[str, dict[str, float]] = {column: {} for column in columns}

    def step(self, what: str, column: str, keys: list[str], work: Callable[[], None]) -> None:
        """Run one measure; if it fails, its cells say so (with the error's last line) and the run goes on.
        ``column`` is empty for a step of no particular column."""
        what = f"{column_title(column)}: {what}" if column else what
        say(f"{what} ...")
        try:
            work()
        except Exception as error:  # noqa: BLE001 - any failure of a measure is reported, not fatal
            stderr = getattr(error, "stderr", None) or ""
            say(f"{what} CRASHED: {error}\n{stderr[-3000:]}")
            last = (stderr.strip().splitlines() or [str(error)])[-1]
            self.report.errors.append(f"{what}: {last}")
            for key in keys:
                self.report.cell(key, column).error = last

    def memory(self, column: str, source: str, mb: float) -> None:
        self.rss[column][source] = max(mb, self.rss[column].get(source, 0.0))

    def add(self, column: str, found: dict[str, Any], source: str) -> None:
        """A child's samples (seconds) into the cells, in each measure's unit."""
        for key, seconds in found["samples"].items():
            scale = 1000.0 if BY_KEY[key].unit == "ms" else 1.0
            self.report.cell(key, column).samples.extend(s * scale for s in seconds)
        self.memory(column, source, found["rss_mb"])

    def run(self) -> Report:
        plan = self.plan
        self.step("compiling RefDesk's modules", "", [], byte_compile)
        databases = {
            size: (demo_database(plan.data, size), demo_database(plan.data, size, LETTERS_PARTNERS))
            for size in plan.sizes
        }
        for size, (queue_db, documents_db) in databases.items():
            self.size(size, queue_db, documents_db)
        self.csv_import(databases.get(IMPORT_INTO, (None, None))[0])
        for column, sources in self.rss.items():
            if sources:
                cell = self.report.cell("peak_rss", column)
                cell.samples = list(sources.values())
                cell.note = "largest: " + max(sources, key=lambda source: sources[source])
            self.report.details[column]["rss_mb"] = {k: round(v, 1) for k, v in sources.items()}
        self.report.labels["letters"] = f"status letters for {plan.letters} partners, one file, a month"
        self.report.labels["csv_import"] = f"{plan.import_rows:,}-row CSV import"
        return self.report

    def size(self, size: int, queue_db: Path, documents_db: Path) -> None:
        from bench_queue import cold_start

        plan, column = self.plan, str(size)
        details = self.report.details[column]
        details["databases"] = {"queue": queue_db.name, "documents": documents_db.name}
        opened = details.setdefault("open_s", {})
        for path in dict.fromkeys([queue_db, documents_db]):

            def open_once(path: Path = path) -> None:
                opened[path.name] = round(child("open", path)["info"]["open_s"], 2)

            self.step(f"opening {path.name} (migrated if older)", column, [], open_once)

        def cold() -> None:
            for _ in range(plan.runs):
                ms, mb = cold_start(queue_db, self.work)
                self.report.cell("cold_start", column).samples.append(ms)
                self.memory(column, "cold start", mb)

        self.step("cold start", column, ["cold_start"], cold)
        queue_keys = ["filter_change", "search_keystroke", "open_referral"]
        self.step(
            "queue",
            column,
            queue_keys,
            lambda: self.add(column, child("queue", queue_db, plan.runs), "queue"),
        )

        copy = self.work / f"documents-{size}.db"
        out = self.work / f"out-{size}"
        try:
            say(f"{size:,}: copying {documents_db.name} ...")
            shutil.copyfile(documents_db, copy)

            def metrics() -> None:
                found = child("metrics", copy, plan.runs)
                details["metrics"] = found["info"]
                self.add(column, found, "metrics")

            def documents() -> None:
                found = child("documents", copy, plan.runs, plan.letters, out)
                details["documents"] = found["info"]
                self.add(column, found, "documents")
                self.report.cell("letters", column).applies = (
                    size == 100_000 and found["info"]["letters"] == LETTERS_PARTNERS
                )

            self.step("metrics", column, ["metrics_year", "metrics_half_year"], metrics)
            self.step("letters and summary", column, ["letters", "summary_one_partner"], documents)
        finally:
            shutil.rmtree(out, ignore_errors=True)
            for leftover in self.work.glob(f"{copy.name}*"):
                leftover.unlink()

    def csv_import(self, into: Path | None) -> None:
        """The import, size-free into a new database; noted into the 100k database when it is measured."""
        from bench_import import import_once, write_csv

        plan = self.plan
        csv_path = self.work / "referral-log.csv"
        say(f"writing a {plan.import_rows:,}-row CSV ...")
        partners = write_csv(csv_path, plan.import_rows, seed=1)
        self.report.details[NEW]["import"] = {
            "rows": plan.import_rows,
            "csv_mb": csv_path.stat().st_size / 1e6,
        }
        targets = [(NEW, None)] + ([(str(IMPORT_INTO), into)] if into is not None and not plan.smoke else [])
        for column, source in targets:
            cell = self.report.cell("csv_import", column)
            cell.applies = plan.import_rows == 100_000
            cell.note = "into a new database" if source is None else f"into a copy of {source.name}"

            def imports(column: str = column, source: Path | None = source) -> None:
                for run in range(plan.runs):
                    database = self.work / f"import-{run}.db"
                    if source is not None:
                        shutil.copyfile(source, database)
                    try:
                        figures = import_once(database, csv_path, partners)
                    finally:
                        for leftover in self.work.glob(f"{database.name}*"):
                            leftover.unlink()
                    self.report.cell("csv_import", column).samples.append(figures["seconds"])
                    self.memory(column, "import", figures["peak_mb"])
                    self.report.details[column].setdefault("import", {})["imported"] = figures["imported"]

            self.step(f"CSV import {cell.note}", column, ["csv_import"], imports)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", help=f"referrals per database (default {SIZES})")
    parser.add_argument("--runs", type=int, help="runs per measure, their median is reported (default 3)")
    parser.add_argument("--smoke", action="store_true", help="10k only, 1 run, 50 letters, 5k-row import")
    parser.add_argument("--data", type=Path, default=DATA, help="where the demo databases are kept")
    parser.add_argument("--out", type=Path, help="the JSON file (default benchmarks/results/benchmark.json)")
    args = parser.parse_args(argv)
    if args.smoke and args.sizes:
        parser.error("--smoke runs 10,000 referrals only")
    plan = Plan(
        sizes=[10_000] if args.smoke else args.sizes or SIZES,
        runs=args.runs or (1 if args.smoke else 3),
        letters=50 if args.smoke else LETTERS_PARTNERS,
        import_rows=5_000 if args.smoke else 100_000,
        smoke=args.smoke,
        data=args.data,
    )
    out = args.out or RESULTS / ("benchmark-smoke.json" if args.smoke else "benchmark.json")
    started = time.perf_counter()
    about = machine()
    with tempfile.TemporaryDirectory(prefix="refdesk-bench-", dir=os.environ.get("BENCH_TMP")) as work:
        report = Bench(plan, Path(work)).run()
    took = time.perf_counter() - started
    print(table(report))
    write_json(
        report, out, machine=about, duration_s=round(took, 1), command=["benchmarks/run.py", *sys.argv[1:]],
        options={"sizes": plan.sizes, "runs": plan.runs, "letters": plan.letters,
                 "import_rows": plan.import_rows, "smoke": plan.smoke},
    )  # fmt: skip
    print(f"\nbenchmark took {took:.0f} s ({took / 60:.1f} min); figures in {out}")
    if report.crashed():
        print("CRASHED (details above, on stderr):", *report.errors, sep="\n  ")
        return 2
    return 1 if report.missed() and not plan.smoke else 0


if __name__ == "__main__":
    raise SystemExit(main())

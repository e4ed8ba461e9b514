"""The benchmark command (``benchmarks/run.py``): its table, its JSON, its databases, and its measures on a
small database. No timing is asserted: only that each measure runs and reports what it measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from refdesk.storage import Database
from tests.refdesk.reports.clinic_data import Month

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_common  # noqa: E402
import bench_report  # noqa: E402
import measures  # noqa: E402
import run  # noqa: E402
from bench_report import NEW, Cell, Report  # noqa: E402


def a_report() -> Report:
    report = Report([NEW, "10000", "100000"])
    report.cell("filter_change", "10000").samples = [20.0, 300.0, 25.0]  # median 25 ms: met
    report.cell("open_referral", "10000").samples = [70.0, 60.0, 80.0]  # median 70 ms: missed
    report.cell("letters", "10000").samples = [30.0]  # 500 letters at 10k: the 100k target does not apply
    report.cell("letters", "10000").applies = False
    report.cell("letters", "100000").samples = [12.0]
    report.cell("peak_rss", "10000").samples = [150.0, 320.0, 90.0]  # the largest process counts
    report.cell("csv_import", NEW).samples = [9.0, 11.0]
    return report


def row(text: str, label: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"| {label}"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_table_puts_each_target_beside_the_figures_and_marks_them() -> None:
    text = bench_report.table(a_report())

    assert row(text, "measure") == ["measure", "target", "new database", "10,000", "100,000"]
    assert row(text, "filter change") == ["filter change to first page", "< 100 ms", "", "25 ms ok", ""]
    assert row(text, "open a referral")[3] == "70 ms MISSED"
    assert row(text, "status letters")[1:] == ["< 20 s (500 letters at 100k)", "", "30.0 s", "12.0 s ok"]
    assert row(text, "peak resident memory")[1:] == ["< 300 MB", "", "320 MB MISSED", ""]
    assert row(text, "CSV import")[2] == "10.0 s ok"
    assert "cold start" not in text  # a measure that did not run has no row


def test_a_crashed_measure_is_shown_and_makes_the_run_fail() -> None:
    report = a_report()
    assert not report.crashed()
    assert report.missed()  # open a referral, peak memory

    report.cell("search_keystroke", "100000").error = "OperationalError: no such table: referral"

    assert report.crashed()
    assert row(bench_report.table(report), "search keystroke")[4] == "CRASHED"


def test_a_failing_step_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    plan = run.Plan(sizes=[10_000], runs=1, letters=50, import_rows=5_000, smoke=True, data=tmp_path)
    bench = run.Bench(plan, tmp_path)
    done: list[str] = []

    def crash() -> None:
        raise subprocess.CalledProcessError(1, ["python"], stderr="Traceback ...\nImportError: no ui.app\n")

    bench.step("queue", "10000", ["filter_change", "search_keystroke"], crash)
    bench.step("metrics", "10000", ["metrics_year"], lambda: done.append("metrics"))

    assert done == ["metrics"]
    assert bench.report.cell("filter_change", "10000").error == "ImportError: no ui.app"
    assert bench.report.errors == ["10,000: queue: ImportError: no ui.app"]


def test_json_keeps_every_figure_with_its_target_and_the_machine(tmp_path: Path) -> None:
    path = tmp_path / "results" / "benchmark.json"
    bench_report.write_json(a_report(), path, machine=bench_report.machine(), duration_s=1.0)

    data = json.loads(path.read_text())
    assert {"cpu_count", "python", "qt", "sqlite", "date"} <= data["machine"].keys()
    opened = data["measures"]["open_referral"]["cells"]["10000"]
    assert (opened["value"], opened["runs"], opened["target"], opened["met"]) == (70.0, 3, 50, False)
    assert data["measures"]["letters"]["cells"]["10000"]["met"] is None  # target set for 100k
    assert data["measures"]["peak_rss"]["cells"]["10000"]["value"] == 320.0
    assert data["measures"]["csv_import"]["cells"][NEW]["met"] is True


def test_a_cell_without_runs_has_no_figure() -> None:
    assert Cell().value("median") is None
    assert Cell().met(bench_report.BY_KEY["cold_start"]) is None


def test_databases_are_named_so_existing_ones_are_reused(tmp_path: Path) -> None:
    assert bench_common.demo_path(tmp_path, 10_000).name == "demo-10000.db"
    assert bench_common.demo_path(tmp_path, 100_000, 500).name == "demo-100000-p500.db"
    assert bench_common.demo_path(tmp_path, 1_000_000, 500).name == "demo-1000000.db"  # has 500 already
    existing = tmp_path / "demo-10000.db"
    existing.write_bytes(b"built before")
    assert bench_common.demo_database(tmp_path, 10_000) == existing  # not rebuilt


def test_smoke_and_sizes_cannot_be_combined() -> None:
    with pytest.raises(SystemExit):
        run.main(["--smoke", "--sizes", "100000"])


def test_metrics_and_documents_measures_run_on_a_small_database(
    db: Database, month: Month, db_path: Path, tmp_path: Path
) -> None:
    times, info = measures.metrics(db_path, 2)
    assert {key: len(runs) for key, runs in times.items()} == {"metrics_year": 2, "metrics_half_year": 2}
    assert info["partners"] >= 1

    times, info = measures.documents(db_path, 2, 50, tmp_path / "out")
    assert {key: len(runs) for key, runs in times.items()} == {"letters": 2, "summary_one_partner": 2}
    assert info["letters"] == info["partners"]  # fewer partners than letters asked: one letter each
    assert (tmp_path / "out" / "letters.pdf").stat().st_size > 0


def test_open_measure_runs_in_a_child_and_reports_its_memory(db_path: Path) -> None:
    found = run.child("open", db_path)

    assert found["info"]["open_s"] > 0
    assert found["rss_mb"] > 0
    assert db_path.exists()  # a new database was made and migrated

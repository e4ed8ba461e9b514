"""The benchmark's figures against their targets: one table to print, one JSON file to keep.

Rows are the measures, columns the target and then each database size (and ``new database`` for the
import into an empty one). A figure is marked ``ok`` or ``MISSED`` where its target applies: the letters'
target is set for 500 partners at 100k referrals, the import's for 100,000 rows; elsewhere the figure is
shown without a mark. Nothing here measures or imports RefDesk: ``run.py`` fills a :class:`Report`.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

#: The column of a measure on an empty database (the import).
NEW = "new"


@dataclass(frozen=True)
class Measure:
    """One row: what is measured, in which unit, against which target (issues 2/7, 4/7 and 5/7)."""

    key: str
    label: str
    unit: str  # "ms", "s" or "MB"
    target: float
    #: where the target was set, when it was not set for every size
    target_note: str = ""
    #: how a cell's runs become its figure
    statistic: str = "median"


MEASURES = [
    Measure("cold_start", "cold start to first queue page shown (sign-in excluded)", "ms", 1000),
    Measure("filter_change", "filter change to first page", "ms", 100),
    Measure("search_keystroke", "search keystroke to first page", "ms", 100),
    Measure("open_referral", "open a referral", "ms", 50),
    Measure("metrics_year", "metrics, all partners, last 12 months", "s", 2),
    Measure("metrics_half_year", "metrics, all partners, half year cut mid-month", "s", 2),
    Measure("letters", "status letters, one file, a month", "s", 20, "500 letters at 100k"),
    Measure("summary_one_partner", "one-partner summary PDF", "s", 1),
    Measure("csv_import", "CSV import", "s", 20, "100,000 rows"),
    Measure("peak_rss", "peak resident memory (largest measuring process)", "MB", 300, statistic="max"),
]
BY_KEY = {measure.key: measure for measure in MEASURES}


@dataclass
class Cell:
    """One measure at one size: its runs (in the measure's unit), or the error that stopped it."""

    samples: list[float] = field(default_factory=list)
    #: False where the target was set for another workload (the mark is left out)
    applies: bool = True
    error: str | None = None
    note: str = ""

    def value(self, statistic: str) -> float | None:
        if self.error is not None or not self.samples:
            return None
        return max(self.samples) if statistic == "max" else statistics.median(self.samples)

    def met(self, measure: Measure) -> bool | None:
        value = self.value(measure.statistic)
        return None if value is None or not self.applies else value < measure.target


@dataclass
class Report:
    """Everything one run found; ``cells[measure key][column]`` with columns ``NEW`` or ``str(size)``."""

    columns: list[str]
    cells: dict[str, dict[str, Cell]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # measure key -> label for this run
    details: dict[str, dict[str, Any]] = field(default_factory=dict)  # column -> what it ran on
    errors: list[str] = field(default_factory=list)  # a line per measure that crashed

    def cell(self, key: str, column: str) -> Cell:
        return self.cells.setdefault(key, {}).setdefault(column, Cell())

    def crashed(self) -> bool:
        return bool(self.errors) or any(
            cell.error is not None for row in self.cells.values() for cell in row.values()
        )

    def missed(self) -> bool:
        return any(cell.met(BY_KEY[key]) is False for key, row in self.cells.items() for cell in row.values())


def column_title(column: str) -> str:
    return "new database" if column == NEW else f"{int(column):,}"


def figure(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    if unit == "ms" and value < 10:
        return f"{value:.1f} ms"
    return f"{value:,.0f} {unit}"


def target_text(measure: Measure) -> str:
    text = f"< {measure.target:g} {measure.unit}"
    return f"{text} ({measure.target_note})" if measure.target_note else text


def cell_text(measure: Measure, cell: Cell | None) -> str:
    if cell is None:
        return ""
    if cell.error is not None:
        return "CRASHED"
    value = cell.value(measure.statistic)
    if value is None:
        return ""
    met = cell.met(measure)
    mark = "" if met is None else " ok" if met else " MISSED"
    return figure(value, measure.unit) + mark


def table(report: Report) -> str:
    """A Markdown table, padded so it also reads in a terminal; rows without a figure are left out."""
    header = ["measure", "target", *(column_title(c) for c in report.columns)]
    rows = [header]
    for measure in MEASURES:
        row = report.cells.get(measure.key)
        if not row:
            continue
        label = report.labels.get(measure.key, measure.label)
        rows.append([label, target_text(measure), *(cell_text(measure, row.get(c)) for c in report.columns)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["| " + " | ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)) + " |"
             for row in rows]  # fmt: skip
    lines.insert(1, "| " + " | ".join("-" * width for width in widths) + " |")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """What the figures were measured on, for comparing runs made on different machines or days."""

    def version(distribution: str) -> str | None:
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            return None

    try:
        from PySide6.QtCore import qVersion

        qt: str | None = qVersion()
    except ImportError:
        qt = None
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=Path(__file__).parent, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu": _cpu_model() or platform.processor() or platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "qt": qt,
        "pyside6": version("PySide6-Essentials") or version("PySide6"),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": version("SQLAlchemy"),
        "reportlab": version("reportlab"),
        "commit": commit,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def as_json(report: Report, **extra: Any) -> dict[str, Any]:
    """The report as plain data: per measure per column the figure, its runs, the target and whether it
    was met (null where the target does not apply or the measure crashed)."""
    measures: dict[str, Any] = {}
    for measure in MEASURES:
        row = report.cells.get(measure.key)
        if not row:
            continue
        measures[measure.key] = {
            "label": report.labels.get(measure.key, measure.label),
            "unit": measure.unit,
            "target": measure.target,
            "target_note": measure.target_note,
            "statistic": measure.statistic,
            "cells": {
                column: {
                    "value": _rounded(cell.value(measure.statistic)),
                    "runs": len(cell.samples),
                    "samples": [round(sample, 3) for sample in cell.samples],
                    "target": measure.target,
                    "target_applies": cell.applies,
                    "met": cell.met(measure),
                    "note": cell.note,
                    "error": cell.error,
                }
                for column, cell in row.items()
            },
        }
    return {
        **extra,
        "columns": report.columns,
        "measures": measures,
        "details": report.details,
        "errors": report.errors,
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def write_json(report: Report, path: Path, **extra: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(as_json(report, **extra), indent=2) + "\n", encoding="utf-8")

"""The measures ``benchmarks/run.py`` runs in fresh child processes, one kind per process.

    python benchmarks/measures.py open DB                         # open once: migrations applied, timed
    python benchmarks/measures.py queue DB RUNS                   # filter change, search, open a referral
    python benchmarks/measures.py metrics DB RUNS                 # all partners' figures (a copy: DB)
    python benchmarks/measures.py documents DB RUNS LETTERS OUT   # letters and a summary (a copy: DB)

A fresh process per kind, so no cache or leftover object of one measure colours the next, and its peak
resident memory is its own. Each prints one JSON line on stdout: ``samples`` (measure key -> seconds per
run, in order), ``info`` (what was measured on) and ``rss_mb``. The measuring code is the single-purpose
scripts' (``bench_queue``, ``bench_metrics``, ``bench_documents``), so both report the same thing.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from bench_common import peak_rss_mb, samples  # noqa: E402

#: The metrics scenarios (``bench_metrics``) that have a target: every partner's figures.
METRICS = {
    "metrics_year": "all partners, last 12 months",
    "metrics_half_year": "all partners, half year 15th-14th",
}

Found = tuple[dict[str, list[float]], dict[str, Any]]


def open_once(path: Path) -> Found:
    """Open (and so migrate) the database, and close it: later measures then time no migration."""
    from refdesk.storage import Database

    start = time.perf_counter()
    Database.open(path).close()
    return {}, {"open_s": time.perf_counter() - start}


def queue(path: Path, runs: int) -> Found:
    """Filter changes, search keystrokes and referrals opened, to the first page / the panel loaded."""
    from bench_queue import queue_samples

    found = queue_samples(path, runs)
    names = {"filter": "filter_change", "search": "search_keystroke", "open": "open_referral"}
    return {names[key]: [ms / 1000 for ms in values] for key, values in found.items()}, {}


def metrics(path: Path, runs: int) -> Found:
    """Every partner's figures for a year and for the slowest half year a coordinator can pick."""
    from bench_metrics import scenarios

    from refdesk.storage import Database

    with Database.open(path) as db:
        found = scenarios(db)
        times = {key: samples(found.work[name], runs) for key, name in METRICS.items()}
    return times, {"partners": found.partners, "cells": found.cells}


def documents(path: Path, runs: int, letters: int, out: Path) -> Found:
    """Status letters for the first ``letters`` partners in one file, and the busiest partner's summary."""
    from bench_documents import letters_samples, pages, prepare, summary_samples

    from refdesk.storage import Database

    with Database.open(path) as db:
        setup = prepare(db, out)
        chosen = setup.partners[:letters]
        times = {
            "letters": letters_samples(db, setup, chosen, out / "letters.pdf", runs),
            "summary_one_partner": summary_samples(db, setup, out / "summary.pdf", runs),
        }
    info: dict[str, Any] = {
        "partners": len(setup.partners),
        "letters": len(chosen),
        "period": f"{setup.period.start} to {setup.period.end}",
    }
    try:
        info["letter_pages"] = pages(out / "letters.pdf")
    except ImportError:  # pypdf is a development extra
        info["letter_pages"] = None
    return times, info


def main(argv: list[str]) -> int:
    kind, path = argv[0], Path(argv[1])
    if kind == "open":
        times, info = open_once(path)
    elif kind == "queue":
        times, info = queue(path, int(argv[2]))
    elif kind == "metrics":
        times, info = metrics(path, int(argv[2]))
    elif kind == "documents":
        times, info = documents(path, int(argv[2]), int(argv[3]), Path(argv[4]))
    else:
        raise SystemExit(f"unknown measure {kind!r}")
    print(json.dumps({"samples": times, "info": info, "rss_mb": peak_rss_mb()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

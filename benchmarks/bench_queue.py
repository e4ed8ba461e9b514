"""The queue's speed and memory at 10k / 100k / 1M referrals, against the targets of issue 2/7.

    python benchmarks/bench_queue.py                    # 10k and 100k
    python benchmarks/bench_queue.py --sizes 1000000    # the big one (building it takes minutes)

Demo databases are built once with ``refdesk demo`` into ``--data`` and reused. Each figure is the median
of several runs; the table is printed and written as JSON (``--out``). Times are wall-clock on this
machine, offscreen Qt: they measure the query and model work, not a real screen's painting. Cold start
builds the main window directly, as the app does after sign-in: signing in is excluded (a person types a
password). ``benchmarks/run.py`` runs these measures with all the others.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from bench_common import bench_actor, child_env, demo_database  # noqa: E402

TARGETS_MS = {"cold_start": 1000, "filter_change": 100, "search_keystroke": 100, "open_referral": 50}
TARGET_RSS_MB = 300


@dataclass
class Result:
    size: int
    cold_start_ms: float
    filter_change_ms: float
    search_keystroke_ms: float
    open_referral_ms: float
    rss_mb: float


def ensure_database(data: Path, size: int) -> Path:
    """``demo-<size>.db`` in ``data``, built with ``refdesk demo`` when missing."""
    return demo_database(data, size)


_COLD_START = r"""
import os, resource, sys, time
from pathlib import Path
t0 = float(os.environ["BENCH_T0"])
from PySide6.QtCore import QEventLoop, QSettings
WAIT = QEventLoop.ProcessEventsFlag.WaitForMoreEvents
from refdesk.storage import Database
from refdesk.domain.vocab import StaffRole
from refdesk.services.actor import ensure_staff
from ui.app import create_application
from ui.main_window import MainWindow
app = create_application(["bench"])
db = Database.open(Path(sys.argv[1]))
prefs = QSettings(sys.argv[2], QSettings.Format.IniFormat)
# the account bench_common.bench_actor uses; sign-in (a person typing a password) is not measured
actor = ensure_staff(db, "bench", "Benchmark", StaffRole.ADMIN)
window = MainWindow(db, actor, demo=True, preferences=prefs)
window.show_tab(1)
window.show()
model = window.queue.model
while model.rowCount() == 0:
    app.processEvents(WAIT)
app.processEvents()
shown = time.time()
# let the full id list and the counts arrive too, then read the peak memory
deadline = time.time() + 30
while model.loading and time.time() < deadline:
    app.processEvents(WAIT)
print((shown - t0) * 1000, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def cold_start(path: Path, tmp: Path) -> tuple[float, float]:
    """One fresh process from its start to the window showing the first queue page: (ms, peak RSS MB)."""
    env = child_env(BENCH_T0=repr(time.time()))
    out = subprocess.run(
        [sys.executable, "-c", _COLD_START, str(path), str(tmp / "prefs.ini")],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return float(out[0]), float(out[1])


def in_process(path: Path, runs: int) -> tuple[float, float, float]:
    """Medians of filter change, search keystroke and opening a referral, in ms."""
    found = queue_samples(path, runs)
    median = statistics.median
    return median(found["filter"]), median(found["search"]), median(found["open"])


def queue_samples(path: Path, runs: int) -> dict[str, list[float]]:
    """Every sample (ms) of filter changes, search keystrokes and referrals opened, in this process."""
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from refdesk.domain.lifecycle import State
    from refdesk.domain.vocab import Urgency
    from refdesk.services.queue import QueueFilter, QueueSort
    from refdesk.storage import Database
    from ui.queue.model import QueueModel
    from ui.referral_detail import ReferralDetail
    from ui.tasks import TaskRunner

    app = QApplication.instance() or QApplication(["bench"])
    WAIT = QEventLoop.ProcessEventsFlag.WaitForMoreEvents  # noqa: N806 - block, so workers get the GIL
    db = Database.open(path)
    runner = TaskRunner()
    model = QueueModel(db, runner)

    resets: list[float] = []
    model.modelReset.connect(lambda: resets.append(time.perf_counter()))

    def first_page(flt: QueueFilter) -> float:
        """From set_query to the model reset that brings the first page (what the table then paints)."""
        resets.clear()
        start = time.perf_counter()
        model.set_query(flt, QueueSort())
        while not resets and time.perf_counter() - start < 30:
            app.processEvents(WAIT)
        elapsed = ((resets[0] if resets else time.perf_counter()) - start) * 1000
        while model.loading:  # let the id list finish before the next measurement
            app.processEvents(WAIT)
        return elapsed

    filters = [
        QueueFilter(urgencies=frozenset({Urgency.URGENT, Urgency.STAT})),
        QueueFilter(states=frozenset({State.CONTACT_ATTEMPTED})),
        QueueFilter(overdue_only=True),
        QueueFilter(),
    ]
    searches = ["m", "ma", "mar", "mari", "ngu", "555", "4477", "zzqx"]
    filter_ms = [first_page(f) for _ in range(runs) for f in filters]
    search_ms = [first_page(QueueFilter(search=s)) for _ in range(runs) for s in searches]

    detail = ReferralDetail(db, bench_actor(db), runner)
    first_page(QueueFilter())  # back to the open queue to pick referrals to open
    ids = [model.referral_id_at(row) for row in range(0, min(model.rowCount(), 2000), 97)]
    open_ms = []
    for referral_id in ids[: max(5, runs * 3)]:
        if referral_id is None:
            continue
        loaded: list[int] = []
        detail.loaded.connect(loaded.append)
        start = time.perf_counter()
        detail.load(referral_id)
        while not loaded:
            app.processEvents(WAIT)
        open_ms.append((time.perf_counter() - start) * 1000)
        detail.loaded.disconnect(loaded.append)
    runner.wait()
    db.close()
    return {"filter": filter_ms, "search": search_ms, "open": open_ms}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "queue.json")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.one is not None:  # a child run: one size, figures as JSON on stdout
        path = ensure_database(args.data, args.one)
        starts = [cold_start(path, args.data) for _ in range(args.runs)]
        filt, search, opened = in_process(path, args.runs)
        result = Result(args.one, statistics.median(s[0] for s in starts), filt, search, opened,
                        max(s[1] for s in starts))  # fmt: skip
        print(json.dumps(result.__dict__))
        return 0
    results = []
    for size in args.sizes:
        ensure_database(args.data, size)
        # Each size in a fresh process: no caches or leftover objects of one size colour the next.
        child = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--runs", str(args.runs),
             "--data", str(args.data)],
            capture_output=True, text=True, check=True, env=child_env(),
        )  # fmt: skip
        results.append(Result(**json.loads(child.stdout.strip().splitlines()[-1])))
    print_table(results)
    args.out.write_text(json.dumps([r.__dict__ for r in results], indent=2))
    return 0


def print_table(results: list[Result]) -> None:
    rows = [
        ("window shown with first queue page (from process start)", "cold_start_ms", "cold_start"),
        ("filter change to first page (median)", "filter_change_ms", "filter_change"),
        ("search keystroke to first page (median)", "search_keystroke_ms", "search_keystroke"),
        ("open a referral (median)", "open_referral_ms", "open_referral"),
    ]
    header = "| measure | target | " + " | ".join(f"{r.size:,}" for r in results) + " |"
    print(header)
    print("|" + " --- |" * (2 + len(results)))
    for label, attr, target in rows:
        cells = " | ".join(f"{getattr(r, attr):.0f} ms" for r in results)
        print(f"| {label} | < {TARGETS_MS[target]} ms | {cells} |")
    print(
        f"| peak resident memory | < {TARGET_RSS_MB} MB | "
        + " | ".join(f"{r.rss_mb:.0f} MB" for r in results)
        + " |"
    )


if __name__ == "__main__":
    raise SystemExit(main())

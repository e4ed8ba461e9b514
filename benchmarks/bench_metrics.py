"""The metrics' speed at 10k / 100k / 1M referrals, against the targets of issue 4/7: every partner's
figures in under 2 s, one partner's summary in under 1 s.

    python benchmarks/bench_metrics.py                    # 10k and 100k
    python benchmarks/bench_metrics.py --sizes 1000000    # the big one (copying and migrating: a minute)

It builds nothing: the demo databases are made beforehand with ``refdesk demo`` into ``--data``
(``benchmarks/bench_queue.py`` does that). Each is copied into a temporary folder and opened there, so
the copy is migrated (revision 0004 counts the metric cells: timed and reported) and the original is
left as it was. Each figure is the median of ``--runs`` runs in one process (warm file cache), with the
first run beside it. Every ``compute`` also computes the previous period of equal length, as the
Reports tab asks for it.

Periods, all ending on the day of the newest referral: the last 12 months (365 days: both ends cut a
month), all time (from the first referral's day), and a half year from the 15th to the 14th (four month
edges counted from rows: the slowest shape a coordinator can pick); one partner is the busiest.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from refdesk.storage import Database

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

TARGET_ALL_MS = 2000
TARGET_ONE_MS = 1000


@dataclass
class Result:
    size: int
    partners: int
    cells: int
    migrate_s: float
    #: scenario -> (median ms, first run ms)
    times_ms: dict[str, tuple[float, float]]


def timed(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), samples[0]


@dataclass
class Scenarios:
    """What the metrics are asked, on one open database."""

    partners: int
    cells: int
    #: scenario name -> the work
    work: dict[str, Callable[[], object]]


def scenarios(db: Database) -> Scenarios:
    """The periods and partners a coordinator asks about (see the module docstring), and one write."""
    from sqlalchemy import func, select

    from refdesk.domain.models import MetricCell, Partner, Referral
    from refdesk.domain.times import to_local
    from refdesk.services import metric_cells
    from refdesk.services.metrics import Period, compute

    with db.session() as session:
        first, last = session.execute(
            select(func.min(Referral.received_at), func.max(Referral.received_at))
        ).one()
        busiest = session.execute(
            select(Referral.partner_id).group_by(Referral.partner_id).order_by(func.count().desc()).limit(1)
        ).scalar_one()
        partners = session.scalar(select(func.count()).select_from(Partner)) or 0
        cells = session.scalar(select(func.count()).select_from(MetricCell)) or 0
        newest = session.execute(
            select(Referral.id).where(Referral.partner_id == busiest).order_by(Referral.id.desc()).limit(1)
        ).scalar_one()
    end = to_local(last).date()
    year = Period(end - timedelta(days=364), end)
    always = Period(to_local(first).date(), end)
    month = date(end.year, end.month, 15)
    half = Period(_months_before(month, 7), _months_before(month, 1) - timedelta(days=1))

    def one_write() -> None:
        """What a write to one of the busiest partner's referrals adds: its facts worked out again and
        its cell recounted (rolled back)."""
        with db.engine.connect() as connection, connection.begin() as transaction:
            metric_cells.refresh(connection, [newest])
            transaction.rollback()

    work: dict[str, Callable[[], object]] = {
        "all partners, last 12 months": lambda: compute(db, year),
        "all partners, all time": lambda: compute(db, always),
        "all partners, half year 15th-14th": lambda: compute(db, half),
        "one partner, last 12 months": lambda: compute(db, year, [busiest]),
        "one partner, all time": lambda: compute(db, always, [busiest]),
        "one partner, half year 15th-14th": lambda: compute(db, half, [busiest]),
        "one write (facts + busiest cell)": one_write,
    }
    return Scenarios(partners, cells, work)


def bench(source: Path, runs: int) -> Result:
    from refdesk.storage import Database

    size = int(source.stem.split("-")[1])
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as folder:
        path = Path(folder) / source.name
        shutil.copyfile(source, path)
        start = time.perf_counter()
        db = Database.open(path)
        migrate_s = time.perf_counter() - start
        try:
            found = scenarios(db)
            times = {name: timed(runs, work) for name, work in found.work.items()}
        finally:
            db.close()
    return Result(size, found.partners, found.cells, migrate_s, times)


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, day.day)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also write the results here as JSON")
    args = parser.parse_args(argv)

    results = []
    for size in args.sizes:
        source = args.data / f"demo-{size}.db"
        if not source.exists():
            parser.error(
                f"{source} is missing: build it with `refdesk demo --db {source} --referrals {size}`"
            )
        print(f"{size:,} referrals ...", file=sys.stderr, flush=True)
        results.append(bench(source, args.runs))

    for result in results:
        print(
            f"\n{result.size:,} referrals, {result.partners} partners, {result.cells:,} cells "
            f"(migration to 0004: {result.migrate_s:.1f} s)"
        )
        print(f"  {'scenario':<36} {'median ms':>10} {'first ms':>10}  target")
        for name, (median, first) in result.times_ms.items():
            target = TARGET_ONE_MS if name.startswith("one partner") else TARGET_ALL_MS
            verdict = f"< {target} ms {'ok' if median < target else 'MISSED'}" if "partner" in name else ""
            print(f"  {name:<36} {median:>10.1f} {first:>10.1f}  {verdict}")
    if args.out:
        args.out.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

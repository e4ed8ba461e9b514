"""The documents' speed against the targets of issue 4/7, on copies of the demo databases.

    python benchmarks/bench_documents.py                    # 100k referrals from 500 partners
    python benchmarks/bench_documents.py --sizes 100000 1000000

Targets: status letters for 500 partners in one file under 20 s; a one-partner summary under 1 s.
Also measured: the letters as one file per partner, the whole-program summary, and the CSV of the open
queue. Each database is copied first (the documents log letters and audit rows, and the letterhead is
filled in), the copy opened once (migrations not timed), and the period is the last whole month of its
data. Times are wall-clock medians in this process, with ReportLab and the fonts already loaded.
``benchmarks/run.py`` runs the letters and the one-partner summary with all the other measures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from bench_common import bench_actor, demo_database, samples  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from refdesk.domain.models import LetterSent, Partner, Referral  # noqa: E402
from refdesk.domain.times import to_local  # noqa: E402
from refdesk.services import settings  # noqa: E402
from refdesk.services.actor import Actor  # noqa: E402
from refdesk.services.metrics import Period  # noqa: E402
from refdesk.storage import Database  # noqa: E402

TARGETS_S = {"letters_one_file": 20.0, "summary_one_partner": 1.0}


@dataclass
class Result:
    database: str
    referrals: int
    partners: int
    period: str
    letters: int
    letter_rows: int
    letter_pages: int
    letters_one_file_s: float
    letters_per_partner_s: float
    summary_one_partner_s: float
    summary_all_partners_s: float
    summary_pages: int
    queue_csv_rows: int
    queue_csv_s: float


def ensure_database(data: Path, referrals: int, partners: int) -> Path:
    """The demo database with that many partners (``demo-<n>-p500.db`` below 1M), built when missing."""
    return demo_database(data, referrals, partners)


def timed(work: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def last_whole_month(db: Database) -> Period:
    with db.session() as session:
        newest = session.scalar(select(func.max(Referral.received_at)))
    assert newest is not None
    end = to_local(newest).date().replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)


def fill_letterhead(db: Database, actor: Actor) -> None:
    for key, value in (
        (settings.CLINIC_NAME, "Riverside Community Clinic"),
        (settings.CLINIC_ADDRESS, "12 River Road, Suite 200\nSpringfield, IL 62704"),
        (settings.CLINIC_PHONE, "(555) 201-0000"),
        (settings.CLINIC_FAX, "(555) 201-0001"),
    ):
        settings.save_letterhead_field(db, actor, key, value)


@dataclass
class Setup:
    """What every document measure needs, worked out once per database."""

    actor: Actor
    period: Period
    busiest: int
    partners: list[int]


def prepare(db: Database, out: Path) -> Setup:
    """Fill the letterhead, pick the period and the busiest partner, and warm up: fonts registered and
    modules imported, as a desk has them after its first document."""
    from refdesk.reports.summary import write_summary

    actor = bench_actor(db)
    fill_letterhead(db, actor)
    period = last_whole_month(db)
    with db.session() as session:
        busiest = session.execute(
            select(Referral.partner_id, func.count())
            .group_by(Referral.partner_id)
            .order_by(func.count().desc())
        ).first()
        everyone = list(session.scalars(select(Partner.id).order_by(Partner.id)))
    assert busiest is not None
    out.mkdir(parents=True, exist_ok=True)
    write_summary(db, actor, period, [busiest[0]], out / "warm.pdf")
    return Setup(actor, period, busiest[0], everyone)


def letters_samples(db: Database, setup: Setup, partners: list[int], target: Path, runs: int) -> list[float]:
    """Seconds per run of the status letters for ``partners``, one file (those without a referral in the
    month get a short letter)."""
    from refdesk.reports.status_letters import write_letters

    return samples(lambda: write_letters(db, setup.actor, setup.period, partners, target), runs)


def summary_samples(db: Database, setup: Setup, target: Path, runs: int) -> list[float]:
    """Seconds per run of the busiest partner's summary PDF."""
    from refdesk.reports.summary import write_summary

    return samples(lambda: write_summary(db, setup.actor, setup.period, [setup.busiest], target), runs)


def measure(source: Path, work: Path, runs: int) -> Result:
    from refdesk.exports.tables import export_queue
    from refdesk.reports.status_letters import write_letters
    from refdesk.reports.summary import write_summary
    from refdesk.services.queue import QueueFilter

    copy = work / source.name
    print(f"copying {source.name} ...", file=sys.stderr, flush=True)
    shutil.copyfile(source, copy)
    db = Database.open(copy)
    try:
        out = work / "out"
        setup = prepare(db, out)
        actor, period = setup.actor, setup.period
        with db.session() as session:
            referrals = session.scalar(select(func.count()).select_from(Referral)) or 0
        folder = out / "letters"
        folder.mkdir(exist_ok=True)

        print(f"{source.name}: letters, one file ...", file=sys.stderr, flush=True)
        # every partner, as the target says
        one_file_s = statistics.median(letters_samples(db, setup, setup.partners, out / "letters.pdf", runs))
        with db.session() as session:
            letters = session.scalar(select(func.count()).select_from(LetterSent)) or 0
        print(f"{source.name}: letters, a file per partner ...", file=sys.stderr, flush=True)
        per_partner_s, _ = timed(lambda: write_letters(db, actor, period, None, folder, one_file=False), 1)
        print(f"{source.name}: summaries ...", file=sys.stderr, flush=True)
        one_s = statistics.median(summary_samples(db, setup, out / "one.pdf", max(runs, 5)))
        all_s, _ = timed(lambda: write_summary(db, actor, period, None, out / "all.pdf"), 1)
        print(f"{source.name}: queue CSV ...", file=sys.stderr, flush=True)
        csv_s, rows = timed(lambda: export_queue(db, actor, QueueFilter(), out / "queue.csv"), 1)
        result = Result(
            database=source.name,
            referrals=referrals,
            partners=len(setup.partners),
            period=f"{period.start} to {period.end}",
            letters=letters // runs,
            letter_rows=_letter_rows(db, period),
            letter_pages=pages(out / "letters.pdf"),
            letters_one_file_s=round(one_file_s, 2),
            letters_per_partner_s=round(per_partner_s, 2),
            summary_one_partner_s=round(one_s, 3),
            summary_all_partners_s=round(all_s, 2),
            summary_pages=pages(out / "all.pdf"),
            queue_csv_rows=int(rows),  # type: ignore[call-overload]
            queue_csv_s=round(csv_s, 2),
        )
    finally:
        db.close()
    return result


def _letter_rows(db: Database, period: Period) -> int:
    from refdesk.reports.status_letters import period_bounds

    start, end = period_bounds(period)
    with db.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Referral)
                .where(Referral.received_at >= start, Referral.received_at < end)
            )
            or 0
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000], help="referrals per database")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="where the demo databases are kept")
    parser.add_argument("--runs", type=int, default=2, help="runs of the letters (median)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "documents.json")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    results = []
    for size in args.sizes:
        source = ensure_database(args.data, size, 500)
        with tempfile.TemporaryDirectory(prefix="refdesk-bench-", dir=os.environ.get("BENCH_TMP")) as work:
            results.append(measure(source, Path(work), args.runs))
    print(f"\n{'database':<24} {'letters':>8} {'rows':>7} {'pages':>6} {'one file':>9} {'per file':>9} "
          f"{'summary 1':>10} {'summary all':>12} {'queue csv':>10}")  # fmt: skip
    for r in results:
        print(
            f"{r.database:<24} {r.letters:>8,} {r.letter_rows:>7,} {r.letter_pages:>6,} "
            f"{r.letters_one_file_s:>8.2f}s {r.letters_per_partner_s:>8.2f}s "
            f"{r.summary_one_partner_s:>9.3f}s {r.summary_all_partners_s:>11.2f}s {r.queue_csv_s:>9.2f}s"
        )
    print(f"targets: letters for 500 partners in one file < {TARGETS_S['letters_one_file']:.0f} s, "
          f"one-partner summary < {TARGETS_S['summary_one_partner']:.0f} s")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``refdesk demo``: a database full of realistic synthetic referrals, for trying RefDesk and benchmarks."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from refdesk.paths import demo_database_path
from refdesk.storage import Database

if TYPE_CHECKING:
    from refdesk.demo import DemoSummary

DEFAULT_REFERRALS = 5_000
DEFAULT_PARTNERS = 60


def run(args: argparse.Namespace) -> int:
    path = getattr(args, "db", None) or demo_database_path()
    with Database.open(path) as db:
        summary = fill(db, referrals=args.referrals, partners=args.partners, seed=args.seed)
    print(
        f"Demo database {path}: {summary.referrals:,} referrals from {summary.partners} partners "
        f"({summary.rows:,} rows) in {summary.seconds:.1f} s"
    )
    return 0


def fill(db: Database, *, referrals: int, partners: int, seed: int = 1) -> DemoSummary:
    """Build demo data, showing progress on a terminal (stderr) for the large sizes."""
    from refdesk.demo import build_demo  # the generator is only needed when demo data is built

    started = time.monotonic()
    show = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show and total:
            elapsed = time.monotonic() - started
            print(
                f"\r  {done:,} / {total:,} referrals ({elapsed:.0f} s)", end="", file=sys.stderr, flush=True
            )

    summary = build_demo(db, referrals=referrals, partners=partners, seed=seed, progress=progress)
    if show:
        print(file=sys.stderr)
    return summary

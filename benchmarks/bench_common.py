"""What the benchmark scripts share: where things are, the demo databases, timing, memory and the actor.

Kept free of Qt and of RefDesk imports at module level, so ``benchmarks/run.py`` can import it without
paying for them (its own memory and start-up are not measured, but its children's are).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from refdesk.services.actor import Actor
    from refdesk.storage import Database

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
RESULTS = HERE / "results"
#: Partners in the databases the metrics and documents run on: the letters' target is for 500.
LETTERS_PARTNERS = 500


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a measuring child: RefDesk importable from anywhere, Qt offscreen."""
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths), QT_QPA_PLATFORM="offscreen", **extra)


def queue_partners(referrals: int) -> int:
    """How many partners ``bench_queue`` gives a database of ``referrals`` (the demo's natural shape)."""
    return max(20, min(LETTERS_PARTNERS, referrals // 2000))


def demo_path(data: Path, referrals: int, partners: int | None = None) -> Path:
    """``demo-<referrals>.db`` in the queue's shape, ``demo-<referrals>-p<partners>.db`` for another
    partner count (so the 1M database, which has 500 partners anyway, serves the letters too)."""
    if partners is None or partners == queue_partners(referrals):
        return data / f"demo-{referrals}.db"
    return data / f"demo-{referrals}-p{partners}.db"


def demo_database(data: Path, referrals: int, partners: int | None = None) -> Path:
    """The demo database of that shape, built once with ``refdesk demo`` and reused afterwards."""
    path = demo_path(data, referrals, partners)
    if not path.exists():
        count = queue_partners(referrals) if partners is None else partners
        print(f"building {path.name} ({referrals:,} referrals, {count} partners) ...", file=sys.stderr)
        data.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "refdesk", "demo", "--db", str(path), "--referrals", str(referrals),
             "--partners", str(count)],
            check=True, env=child_env(), stdout=sys.stderr,  # stdout is for the figures
        )  # fmt: skip
    return path


def samples(work: Callable[[], object], runs: int) -> list[float]:
    """Wall-clock seconds of ``runs`` calls of ``work``, in order (the first one is the coldest)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, interpreter and libraries included (Linux: kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_actor(db: Database) -> Actor:
    """The one account every measure acts as: an administrator, so no permission check is in the way."""
    from refdesk.domain.vocab import StaffRole
    from refdesk.services.actor import ensure_staff

    return ensure_staff(db, "bench", "Benchmark", StaffRole.ADMIN)

"""Demo data: a year of a clinic's referrals, realistic enough to judge the desk by, from a few thousand to
a million referrals, the same every time for the same seed and ``now``.

Demo data never mixes with real patients: it is refused in a database that has any referral.

The modules, each with one job: ``names`` and ``catalog`` (what the clinic and its people are called),
``directory`` (staff, service lines, partners: written through the ORM's column types), ``plans``
(what the stream needs of them), ``clock`` and ``deadlines`` (time as stored text; business hours),
``patients`` and ``histories`` (one referral's patient and story), ``generator`` (the stream of
referrals, in chunks), ``workers`` (chunks made in other processes), ``bulk`` (the fast writer) and
``loader`` (the one transaction that puts it all in the database).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from refdesk.demo.names import DEMO_ADMIN, DEMO_PASSWORD
from refdesk.domain.times import utc_now
from refdesk.errors import RefDeskError

if TYPE_CHECKING:
    from refdesk.storage import Database

__all__ = ["DEMO_ADMIN", "DEMO_PASSWORD", "DemoSummary", "build_demo"]


@dataclass(frozen=True)
class DemoSummary:
    partners: int
    service_lines: int
    staff: int
    referrals: int
    #: Every row written, directory and audit row included.
    rows: int
    seconds: float


def build_demo(
    db: Database,
    *,
    referrals: int,
    partners: int,
    seed: int = 1,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Fill an empty database with ``partners`` partners and ``referrals`` referrals and their histories.

    Everything lies in the twelve months before ``now`` (default: the current time), except
    appointments booked ahead and callbacks promised for the coming days. ``progress(done, total)``
    is called after each chunk of referrals is written.

    Raises:
        RefDeskError: the arguments are out of range, or the database already holds referrals.
    """
    if referrals < 0:
        raise RefDeskError("The number of demo referrals cannot be negative.")
    if partners < 1:
        raise RefDeskError("Demo data needs at least one partner.")
    moment = now if now is not None else utc_now()
    if moment.tzinfo is None:
        raise RefDeskError("The demo's 'now' must carry a time zone.")
    started = time.perf_counter()
    # Imported here: worker processes import this package for the generator, not the database side.
    from refdesk.demo.loader import load

    loaded = load(db, moment, referrals=referrals, partners=partners, seed=seed, progress=progress)
    return DemoSummary(
        partners=loaded.partners,
        service_lines=loaded.service_lines,
        staff=loaded.staff,
        referrals=referrals,
        rows=loaded.rows,
        seconds=time.perf_counter() - started,
    )
